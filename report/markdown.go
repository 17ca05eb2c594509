package report

import (
	"bytes"
	"html/template"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
)

// notesMarkdown renders future-work notes (CommonMark). Raw HTML in a notes
// file is dropped (goldmark's default), so a notes file cannot inject markup
// or scripts.
var notesMarkdown = goldmark.New()

// notesHTML renders a notes file (Markdown or plain text) for the report's
// future-work section. Headings start at h3, below the section's own
// heading, and links are kept only for http, https and mailto targets: they
// open pages, they never load anything into the report.
func notesHTML(src string) template.HTML {
	source := []byte(strings.ReplaceAll(src, "\r\n", "\n"))
	doc := notesMarkdown.Parser().Parse(text.NewReader(source))
	var unsafe []*ast.Link
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			n.Level = min(n.Level+2, 4)
		case *ast.Link:
			if !safeLink(string(n.Destination)) {
				unsafe = append(unsafe, n)
			}
		case *ast.AutoLink:
			if !safeLink(string(n.URL(source))) {
				n.Parent().ReplaceChild(n.Parent(), n, ast.NewString(n.Label(source)))
			}
		}
		return ast.WalkContinue, nil
	})
	for _, l := range unsafe {
		// Keep the link's words, drop the link.
		parent := l.Parent()
		for c := l.FirstChild(); c != nil; {
			next := c.NextSibling()
			parent.InsertBefore(parent, l, c)
			c = next
		}
		parent.RemoveChild(parent, l)
	}
	var b bytes.Buffer
	if err := notesMarkdown.Renderer().Render(&b, source, doc); err != nil {
		return template.HTML(template.HTMLEscapeString(src))
	}
	return template.HTML(b.String())
}

func safeLink(href string) bool {
	l := strings.ToLower(strings.TrimSpace(href))
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "mailto:")
}
