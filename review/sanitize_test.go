package review

import (
	"net/url"
	"strings"
	"testing"
)

// fakeResolver knows one captured page and one stylesheet.
type fakeResolver struct{}

func (fakeResolver) page(abs string) string {
	if abs == "https://la.example/send/page2" {
		return "/snapshot/s2"
	}
	return ""
}

func (fakeResolver) asset(abs string) ([]byte, string, bool) {
	if abs == "https://la.example/site.css" {
		return []byte("h1{color:green}</style><script>alert(1)</script>"), "text/css", true
	}
	return nil, "", false
}

func TestInertHTML(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		passage   string
		want, not []string
		found     bool
	}{
		{
			name: "scripts and handlers",
			in:   `<html><head><script>x()</script></head><body onload="x()"><p onclick="x()">Hi <b onmouseover="x()">there</b></p><svg><script>x()</script></svg></body></html>`,
			want: []string{"<p>Hi <b>there</b></p>"},
			not:  []string{"<script", "onload", "onclick", "onmouseover"},
		},
		{
			name: "links",
			in:   `<a href="page2">captured</a><a href="/other">not captured</a><a href="javascript:x()">js</a><a href="#top">fragment</a><a href="mailto:a@b.c">mail</a>`,
			want: []string{`<a href="/snapshot/s2" target="_top">captured</a>`, `<a class="lo-uncaptured" title="Not captured: https://la.example/other">`, `<a>js</a>`, `<a href="#top">fragment</a>`, `<a>mail</a>`},
			not:  []string{"javascript:", "mailto:"},
		},
		{
			name: "embedded documents and refresh",
			in:   `<head><meta http-equiv="refresh" content="0;url=https://x.example"><base href="https://x.example/"><link rel="stylesheet" href="/site.css"></head><body><iframe src="https://x.example"></iframe><object data="x.swf"></object><embed src="x"><form action="https://x.example/post"><button formaction="https://x.example">go</button></form></body>`,
			want: []string{"h1{color:green}<\\/style><script>alert(1)<\\/script>", "<form><button>go</button></form>"},
			not:  []string{"http-equiv", "<base", "<iframe", "<object", "<embed", "x.example"},
		},
		{
			name: "images and styles",
			in:   `<img src="https://tracker.example/p.gif" srcset="a 1x" alt="A family"><div style="background:url(https://tracker.example/b.png)">x</div><p style="color:red">y</p>`,
			want: []string{`<img alt="A family"/>`, `<div>x</div>`, `<p style="color:red">y</p>`},
			not:  []string{"tracker.example", "srcset"},
		},
		{
			name:    "passage across elements",
			in:      `<p>Parents can <strong>ask for an</strong>   EHC needs assessment by writing to us.</p><p>Other text.</p>`,
			passage: "…ask for an EHC needs assessment by writing…",
			want:    []string{`<mark class="lo-passage" id="lo-passage">ask for an</mark>`, `<mark class="lo-passage">   EHC needs assessment by writing to us.</mark>`, "<p>Other text.</p>"},
			found:   true,
		},
		{
			name:    "passage missing",
			in:      `<p>Nothing to see.</p>`,
			passage: "Portage home visiting for families with young children",
			not:     []string{"<mark"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, found, err := inertHTML([]byte(tt.in), "text/html; charset=utf-8", "https://la.example/send/page1", tt.passage, fakeResolver{})
			if err != nil {
				t.Fatal(err)
			}
			s := string(out)
			for _, w := range tt.want {
				if !strings.Contains(s, w) {
					t.Errorf("output lacks %s\n%s", w, s)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(s, n) {
					t.Errorf("output keeps %s\n%s", n, s)
				}
			}
			if found != tt.found {
				t.Errorf("found = %v, want %v", found, tt.found)
			}
		})
	}
}

func TestInertHTMLCharset(t *testing.T) {
	// "café" in windows-1252.
	out, _, err := inertHTML([]byte("<p>caf\xe9</p>"), "text/html; charset=windows-1252", "https://la.example/", "", fakeResolver{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "café") || !strings.Contains(string(out), `<meta charset="utf-8"/>`) {
		t.Errorf("charset not converted: %s", out)
	}
}

func TestHighlight(t *testing.T) {
	tests := []struct {
		text  string
		terms []string
		want  string
	}{
		{"Request an EHC needs assessment", []string{"ehc", "needs assessment"}, "Request an [EHC] [needs assessment]"},
		{"Assess, plan, do, review", []string{"plan", "review"}, "Assess, [plan], do, [review]"},
		{"explanation of planning", []string{"plan"}, "explanation of [plan]ning"},
		{"No terms here", nil, "No terms here"},
		{"<script>alert(1)</script>", []string{"script"}, "<[script]>alert(1)</[script]>"},
	}
	for _, tt := range tests {
		var b strings.Builder
		for _, s := range highlight(tt.text, tt.terms) {
			if s.Mark {
				b.WriteString("[" + s.Text + "]")
			} else {
				b.WriteString(s.Text)
			}
		}
		if b.String() != tt.want {
			t.Errorf("highlight(%q, %q) = %q, want %q", tt.text, tt.terms, b.String(), tt.want)
		}
	}
}

func TestTextSegments(t *testing.T) {
	text := "Annual report 2025\nYou said the page on short\nbreaks was hard to find, so we moved it."
	segs, ok := textSegments(text, "the page on short breaks was hard to find")
	if !ok || len(segs) != 3 || segs[1].Text != "the page on short\nbreaks was hard to find" || !segs[1].Mark {
		t.Errorf("textSegments = %+v, %v", segs, ok)
	}
	if segs[0].Text+segs[1].Text+segs[2].Text != text {
		t.Errorf("segments do not join back into the text")
	}
	// Only the end of this passage is in the text; the mark starts on a
	// word boundary.
	segs, ok = textSegments(text, "Each year we publish a report. You said the page on short breaks was hard to find")
	if !ok || !strings.HasPrefix(segs[1].Text, "the page on short") || !strings.HasSuffix(segs[0].Text, " ") {
		t.Errorf("partial textSegments = %+v, %v", segs, ok)
	}
	if _, ok := textSegments(text, "nowhere in this document at all, not a word"); ok {
		t.Error("found a passage that is not there")
	}
}

func TestResolve(t *testing.T) {
	base, _ := url.Parse("https://la.example/send/a/b?x=1")
	tests := map[string]string{
		"../c":                "https://la.example/send/c",
		"/d#frag":             "https://la.example/d",
		"javascript:alert()":  "",
		" JavaScript:alert()": "",
		"data:text/html,x":    "",
		"#top":                "",
		"//cdn.example/x":     "https://cdn.example/x",
	}
	for in, want := range tests {
		if got := resolve(base, in); got != want {
			t.Errorf("resolve(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAuditDiff(t *testing.T) {
	got := diff(`{"status":"proposed","note":"","updated":"t1","version":1,"best_practice":false}`, `{"status":"accepted","note":"good","updated":"t2","version":2,"best_practice":true}`)
	want := []change{{"best practice", "no", "yes"}, {"note", "", "good"}, {"status", "proposed", "accepted"}}
	if len(got) != len(want) {
		t.Fatalf("diff = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("diff[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{512: "512 bytes", 237568: "232 KB", 5 << 20: "5.0 MB", 3 << 30: "3.0 GB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
