package report

import (
	"strings"
	"testing"
)

func TestNotesHTML(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
		not      []string
	}{
		{"plain text is paragraphs", "First line\nsame paragraph.\n\nSecond.", []string{"<p>First line\nsame paragraph.</p>", "<p>Second.</p>"}, nil},
		{"headings and lists", "# Next year\n## Detail\n- one\n- two\n\n1. first\n2. second", []string{"<h3>Next year</h3>", "<h4>Detail</h4>", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>", "<ol>\n<li>first</li>\n<li>second</li>\n</ol>"}, nil},
		{"inline forms", "**bold** and *it* and [DfE](https://www.gov.uk/dfe)", []string{"<strong>bold</strong>", "<em>it</em>", `<a href="https://www.gov.uk/dfe">DfE</a>`}, nil},
		{"markup is dropped", `<script>alert(1)</script> <img src=x onerror=alert(1)>`, nil, []string{"<script", "<img", "onerror"}},
		{"markup inside a paragraph is dropped", "See <b onclick=alert(1)>this</b>", []string{"See", "this"}, []string{"<b", "onclick"}},
		{"unsafe link targets lose the link", "[x](javascript:alert(1)) [y](data:text/html,hi) [z](/local)", []string{"x", "y", "z"}, []string{"href"}},
		{"quotes in a link cannot break out", `[a](https://e.example/"onmouseover="x)`, []string{`href="https://e.example/%22onmouseover=%22x"`}, []string{`"onmouseover="`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(notesHTML(tt.in))
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("notesHTML(%q) = %q, want it to contain %q", tt.in, got, w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(got, n) {
					t.Errorf("notesHTML(%q) = %q, must not contain %q", tt.in, got, n)
				}
			}
		})
	}
}
