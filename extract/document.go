// Package extract turns captured responses into text a reader would see:
// the main content of an HTML page without the site's chrome, split into
// sections under their headings, and the text of PDF and Word documents.
// It also scores passages against the rubric's signals.
package extract

// Document is the readable content of one captured page or file.
type Document struct {
	URL   string
	Title string
	// Kind is "html", "pdf", "doc" (Word) or "text".
	Kind string
	// Headings are the page's headings in order (h1..h6 text).
	Headings []string
	// Sections split the main text under its headings; a page without
	// headings has one section with an empty heading.
	Sections []Section
	// PathWords are the words of the URL path ("send", "local", "offer").
	PathWords []string
	// Anchors are texts of links from other pages pointing here (filled by
	// the caller, which sees the whole site).
	Anchors []string
	// NavLinks are links found in navigation, header and footer (chrome);
	// Links are links found in the main content.
	NavLinks []Link
	Links    []Link
	// Warnings note what could not be read (a broken PDF, a bad charset).
	Warnings []string
}

// Section is a heading and the text under it, up to the next heading of
// any level: sections do not overlap, so MainText holds each line once.
// Path links a section to the headings above it; Subtree gathers a
// heading with all its subsections when a criterion needs the whole
// topic.
type Section struct {
	Heading string
	// Level is 1-6 for h1-h6, 0 for text before the first heading.
	Level int
	// Path are the headings above this one, outermost first.
	Path []string
	Text string
}

// Link is a link with its anchor text, its URL resolved against the page.
type Link struct {
	URL  string
	Text string
}

// MainText joins the sections' text.
func (d *Document) MainText() string {
	n := 0
	for _, s := range d.Sections {
		n += len(s.Heading) + len(s.Text) + 2
	}
	b := make([]byte, 0, n)
	for _, s := range d.Sections {
		if s.Heading != "" {
			b = append(b, s.Heading...)
			b = append(b, '\n')
		}
		b = append(b, s.Text...)
		b = append(b, '\n')
	}
	return string(b)
}

// Subtree returns the text of section i and of the sections nested under
// it (those that follow with a deeper level), headings included.
func (d *Document) Subtree(i int) string {
	if i < 0 || i >= len(d.Sections) {
		return ""
	}
	top := d.Sections[i]
	var b []byte
	for j := i; j < len(d.Sections); j++ {
		s := d.Sections[j]
		if j > i && (s.Level <= top.Level || top.Level == 0) {
			break
		}
		if s.Heading != "" {
			b = append(b, s.Heading...)
			b = append(b, '\n')
		}
		if s.Text != "" {
			b = append(b, s.Text...)
			b = append(b, '\n')
		}
	}
	return string(b)
}
