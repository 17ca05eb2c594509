package report

import (
	"html"
	"html/template"
	"regexp"
	"strings"
)

// Notes files are short: headings, paragraphs, bullet and numbered lists,
// **bold**, *italic* and [links](url). notesHTML renders that subset of
// Markdown; plain text comes out as paragraphs. Every character of the input
// is escaped first, so a notes file cannot inject markup or scripts, and
// links are kept only for http, https and mailto targets (they open pages;
// they never load anything into the report).
func notesHTML(src string) template.HTML {
	var b strings.Builder
	var para []string
	list := ""
	flushPara := func() {
		if len(para) > 0 {
			b.WriteString("<p>" + inline(strings.Join(para, " ")) + "</p>\n")
			para = nil
		}
	}
	closeList := func() {
		if list != "" {
			b.WriteString("</" + list + ">\n")
			list = ""
		}
	}
	openList := func(tag string) {
		if list != tag {
			closeList()
			b.WriteString("<" + tag + ">\n")
			list = tag
		}
	}
	for _, line := range strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n") {
		t := strings.TrimSpace(line)
		switch {
		case t == "":
			flushPara()
			closeList()
		case strings.HasPrefix(t, "#"):
			flushPara()
			closeList()
			level := len(t) - len(strings.TrimLeft(t, "#"))
			tag := "h4"
			if level <= 1 {
				tag = "h3"
			}
			b.WriteString("<" + tag + ">" + inline(strings.TrimSpace(strings.TrimLeft(t, "#"))) + "</" + tag + ">\n")
		case strings.HasPrefix(t, "- ") || strings.HasPrefix(t, "* ") || strings.HasPrefix(t, "+ "):
			flushPara()
			openList("ul")
			b.WriteString("<li>" + inline(strings.TrimSpace(t[2:])) + "</li>\n")
		case numbered.MatchString(t):
			flushPara()
			openList("ol")
			b.WriteString("<li>" + inline(numbered.ReplaceAllString(t, "")) + "</li>\n")
		default:
			if list != "" && (strings.HasPrefix(line, "  ") || strings.HasPrefix(line, "\t")) {
				// A continuation line of a list item: keep it in the list.
				b.WriteString("<li class=\"cont\">" + inline(t) + "</li>\n")
				continue
			}
			closeList()
			para = append(para, t)
		}
	}
	flushPara()
	closeList()
	return template.HTML(b.String())
}

var (
	numbered = regexp.MustCompile(`^\d+[.)]\s+`)
	linkRE   = regexp.MustCompile(`\[([^\]]+)\]\(([^)\s]+)\)`)
	boldRE   = regexp.MustCompile(`\*\*([^*]+)\*\*`)
	italRE   = regexp.MustCompile(`(^|[\s(])\*([^*\s][^*]*)\*`)
)

// inline escapes s, then turns the Markdown inline forms into tags.
func inline(s string) string {
	e := html.EscapeString(s)
	e = linkRE.ReplaceAllStringFunc(e, func(m string) string {
		sm := linkRE.FindStringSubmatch(m)
		href := html.UnescapeString(sm[2])
		l := strings.ToLower(href)
		if !strings.HasPrefix(l, "http://") && !strings.HasPrefix(l, "https://") && !strings.HasPrefix(l, "mailto:") {
			return sm[1]
		}
		return `<a href="` + html.EscapeString(href) + `">` + sm[1] + `</a>`
	})
	e = boldRE.ReplaceAllString(e, "<strong>$1</strong>")
	e = italRE.ReplaceAllString(e, "$1<em>$2</em>")
	return e
}
