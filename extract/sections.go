package extract

import "strings"

// sectionBuilder collects headings and lines into sections for formats
// without an element tree (PDF, Word, plain text).
type sectionBuilder struct {
	doc   *Document
	stack []Section
	cur   Section
	lines []string
	open  bool
}

// heading starts a section at level 1-6.
func (b *sectionBuilder) heading(level int, text string) {
	text = collapse(text)
	if text == "" {
		return
	}
	level = min(max(level, 1), 6)
	b.end()
	for len(b.stack) > 0 && b.stack[len(b.stack)-1].Level >= level {
		b.stack = b.stack[:len(b.stack)-1]
	}
	var path []string
	for _, s := range b.stack {
		path = append(path, s.Heading)
	}
	b.cur = Section{Heading: text, Level: level, Path: path}
	b.open = true
	b.stack = append(b.stack, b.cur)
}

// line adds a line of text to the current section.
func (b *sectionBuilder) line(text string) {
	text = collapse(text)
	if text == "" {
		return
	}
	b.lines = append(b.lines, text)
	b.open = true
}

// level returns the level of the innermost open heading, 0 if none.
func (b *sectionBuilder) level() int {
	if len(b.stack) == 0 {
		return 0
	}
	return b.stack[len(b.stack)-1].Level
}

func (b *sectionBuilder) end() {
	if b.open && (b.cur.Heading != "" || len(b.lines) > 0) {
		b.cur.Text = strings.Join(b.lines, "\n")
		b.doc.Sections = append(b.doc.Sections, b.cur)
		if b.cur.Heading != "" {
			b.doc.Headings = append(b.doc.Headings, b.cur.Heading)
		}
	}
	b.lines = nil
	b.cur = Section{}
	b.open = false
}
