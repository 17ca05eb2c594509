package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ledongthuc/pdf"
)

// ErrBrokenPDF reports a PDF that could not be read.
var ErrBrokenPDF = errors.New("broken PDF")

// PDFTimeout bounds the time spent on one PDF.
var PDFTimeout = 20 * time.Second

// MaxPDFBytes bounds the size of a PDF that is read at all.
const MaxPDFBytes = 64 << 20

// PDF extracts the text of a PDF. It reads it with a pure-Go library,
// which knows font sizes and so can tell headings (lines in a larger or
// bold font) from body text; lines are joined into paragraphs and running
// headers or footers repeated on most pages are dropped. When that fails
// or finds almost no text and poppler's pdftotext is installed, pdftotext
// is used instead (no headings). A broken PDF gives an error wrapping
// ErrBrokenPDF; panics inside the library are recovered.
func PDF(body []byte, pageURL string) (*Document, error) {
	doc := &Document{URL: pageURL, Kind: "pdf", PathWords: PathWords(pageURL)}
	if len(bytes.TrimSpace(body)) == 0 {
		doc.Warnings = append(doc.Warnings, "empty body")
		return doc, nil
	}
	if len(body) > MaxPDFBytes {
		return nil, fmt.Errorf("extract pdf %s: %d bytes is over the %d byte limit: %w", pageURL, len(body), MaxPDFBytes, ErrUnsupported)
	}
	pages, title, goErr := pdfPages(body)
	chars, plain := 0, 0
	for _, p := range pages {
		for _, l := range p {
			chars += len(l.text)
			plain += plainChars(l.text)
		}
	}
	// Little text, or text that is mostly symbols (fonts without a
	// Unicode map decode to junk), is worth a second opinion.
	if goErr != nil || chars < 20*max(1, len(pages)) || plain*10 < chars*8 {
		if text, err := pdftotext(body); err == nil && plainChars(text) > plain {
			if goErr != nil {
				doc.Warnings = append(doc.Warnings, "pure-Go reader failed, used pdftotext: "+goErr.Error())
			}
			plainPDF(doc, text)
			doc.Title = firstNonEmpty(title, firstLine(doc))
			return doc, nil
		}
	}
	if goErr != nil {
		return nil, fmt.Errorf("extract pdf %s: %w", pageURL, goErr)
	}
	layoutPDF(doc, pages)
	doc.Title = title
	if doc.Title == "" && len(doc.Headings) > 0 {
		doc.Title = doc.Headings[0]
	}
	if doc.Title == "" {
		doc.Title = firstLine(doc)
	}
	if chars == 0 {
		doc.Warnings = append(doc.Warnings, "no text found (a scanned PDF?)")
	}
	return doc, nil
}

// pdfLine is one line of text on a page with its font size and position.
type pdfLine struct {
	text string
	size float64
	bold bool
	y    float64
}

// pdfPages reads every page's lines with the pure-Go library, in a
// goroutine bounded by PDFTimeout and with panics turned into errors.
func pdfPages(body []byte) (pages [][]pdfLine, title string, err error) {
	type result struct {
		pages [][]pdfLine
		title string
		err   error
	}
	done := make(chan result, 1)
	go func() {
		var res result
		defer func() {
			if p := recover(); p != nil {
				res = result{err: fmt.Errorf("%w: %v", ErrBrokenPDF, p)}
			}
			done <- res
		}()
		res.pages, res.title, res.err = readPDF(body)
	}()
	select {
	case res := <-done:
		return res.pages, res.title, res.err
	case <-time.After(PDFTimeout):
		return nil, "", fmt.Errorf("%w: reading took longer than %v", ErrBrokenPDF, PDFTimeout)
	}
}

// deadlineReader makes the PDF library give up once the deadline has
// passed: its next read panics, and pdfPages recovers. Without it a file
// that sends the library round in circles would keep a goroutine busy
// after PDF has returned.
type deadlineReader struct {
	r        *bytes.Reader
	deadline time.Time
}

func (d deadlineReader) ReadAt(p []byte, off int64) (int, error) {
	if time.Now().After(d.deadline) {
		panic("reading took longer than the time allowed")
	}
	return d.r.ReadAt(p, off)
}

func readPDF(body []byte) ([][]pdfLine, string, error) {
	src := deadlineReader{r: bytes.NewReader(body), deadline: time.Now().Add(PDFTimeout)}
	r, err := pdf.NewReader(src, int64(len(body)))
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrBrokenPDF, err)
	}
	title := ""
	if info := r.Trailer().Key("Info"); !info.IsNull() {
		title = collapse(info.Key("Title").Text())
	}
	n := r.NumPage()
	var pages [][]pdfLine
	for i := 1; i <= n; i++ {
		p := r.Page(i)
		if p.V.IsNull() {
			continue
		}
		pages = append(pages, pageLines(p.Content().Text))
	}
	return pages, title, nil
}

// pageLines groups a page's glyphs into lines: glyphs on the same
// baseline join, with a space where the gap between them is wide.
func pageLines(glyphs []pdf.Text) []pdfLine {
	var lines []pdfLine
	var b strings.Builder
	var cur pdfLine
	var lastEnd float64
	boldChars, chars := 0, 0
	var sizes map[float64]int
	flush := func() {
		if t := collapse(b.String()); t != "" {
			cur.text = t
			best := 0
			for s, c := range sizes {
				if c > best || c == best && s > cur.size {
					best, cur.size = c, s
				}
			}
			cur.bold = boldChars*2 > chars
			lines = append(lines, cur)
		}
		b.Reset()
		cur = pdfLine{}
		boldChars, chars = 0, 0
		sizes = make(map[float64]int)
	}
	sizes = make(map[float64]int)
	started := false
	for _, g := range glyphs {
		if g.S == "" {
			continue
		}
		size := g.FontSize
		if size <= 0 {
			size = 10
		}
		if started && math.Abs(g.Y-cur.y) > size*0.4 {
			flush()
			started = false
		}
		if !started {
			cur.y = g.Y
			started = true
		} else if g.X-lastEnd > size*0.15 && !strings.HasSuffix(b.String(), " ") {
			b.WriteByte(' ')
		}
		b.WriteString(g.S)
		lastEnd = g.X + g.W
		sizes[math.Round(size*2)/2] += len(g.S)
		chars += len(g.S)
		if strings.Contains(strings.ToLower(g.Font), "bold") {
			boldChars += len(g.S)
		}
	}
	flush()
	return lines
}

// layoutPDF turns lines into sections: larger or bold short lines become
// headings, wrapped body lines join into paragraphs, and lines repeated on
// most pages (running headers, footers, page numbers) are dropped.
func layoutPDF(doc *Document, pages [][]pdfLine) {
	repeated := runningLines(pages)
	// The body size is the size most characters are set in.
	bySize := make(map[float64]int)
	for _, p := range pages {
		for _, l := range p {
			bySize[l.size] += len(l.text)
		}
	}
	body, best := 0.0, -1
	for s, c := range bySize {
		if c > best || c == best && s < body {
			body, best = s, c
		}
	}
	// Heading sizes, largest first, give levels 1, 2, 3...
	var hs []float64
	for s := range bySize {
		if s > body*1.12 {
			hs = append(hs, s)
		}
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(hs)))
	levelOf := func(s float64) int {
		for i, h := range hs {
			if s >= h {
				return min(i+1, 5)
			}
		}
		return 0
	}
	b := &sectionBuilder{doc: doc}
	var para strings.Builder
	var lastY, lastSize float64
	// A heading set over two lines arrives as two heading lines of one
	// level; they are held and joined.
	var head strings.Builder
	headLevel := 0
	var headY float64
	endHead := func() {
		if head.Len() > 0 {
			b.heading(headLevel, head.String())
			head.Reset()
		}
	}
	endPara := func() {
		endHead()
		if para.Len() > 0 {
			b.line(para.String())
			para.Reset()
		}
	}
	for _, p := range pages {
		lastY = math.Inf(1)
		for i, l := range p {
			edge := i < 2 || i >= len(p)-2
			if edge && (repeated[normRunning(l.text)] || l.size < body && pageOf.MatchString(l.text)) || pageNumber(l.text) {
				continue
			}
			lvl := levelOf(l.size)
			if lvl == 0 && l.bold && len(l.text) <= 100 && !strings.HasSuffix(l.text, ".") && l.size >= body {
				lvl = min(len(hs)+1, 6)
			}
			if lvl > 0 && len(l.text) <= 200 {
				if head.Len() > 0 && lvl == headLevel && headY-l.y > 0 && headY-l.y <= l.size*1.6 {
					head.WriteByte(' ')
					head.WriteString(l.text)
				} else {
					endPara()
					head.WriteString(l.text)
					headLevel = lvl
				}
				headY = l.y
				lastY = l.y
				continue
			}
			endHead()
			gap := lastY - l.y
			newPara := para.Len() == 0 || gap > l.size*1.7 || gap < 0 || startsItem(l.text) || lastSize != l.size
			if newPara {
				endPara()
			} else {
				cur := para.String()
				if strings.HasSuffix(cur, "-") && len(cur) > 1 && unicode.IsLetter(rune(cur[len(cur)-2])) {
					para.Reset()
					para.WriteString(cur[:len(cur)-1])
				} else {
					para.WriteByte(' ')
				}
			}
			para.WriteString(l.text)
			lastY, lastSize = l.y, l.size
		}
		endPara()
	}
	b.end()
}

// plainChars counts the bytes of s that are letters, digits, spaces or
// common punctuation.
func plainChars(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsSpace(r) || strings.ContainsRune(".,;:'\"()-–—?!/&%£€@•", r) {
			n += utf8.RuneLen(r)
		}
	}
	return n
}

// startsItem reports a line that opens a list item.
func startsItem(s string) bool {
	for _, p := range []string{"•", "- ", "– ", "* ", "▪", "◦", "o "} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	if i := strings.IndexAny(s, ".)"); i > 0 && i <= 3 {
		for _, c := range s[:i] {
			if !unicode.IsDigit(c) && !(c >= 'a' && c <= 'z') {
				return false
			}
		}
		return len(s) > i+1 && s[i+1] == ' '
	}
	return false
}

// runningLines finds lines among the first and last two of a page that
// repeat, digits aside, on at least half of a document's pages.
func runningLines(pages [][]pdfLine) map[string]bool {
	if len(pages) < 2 {
		return nil
	}
	count := make(map[string]int)
	for _, p := range pages {
		seen := make(map[string]bool)
		for i, l := range p {
			if i >= 2 && i < len(p)-2 {
				continue
			}
			k := normRunning(l.text)
			if !seen[k] {
				seen[k] = true
				count[k]++
			}
		}
	}
	out := make(map[string]bool)
	for k, c := range count {
		if c >= 2 && c*2 >= len(pages) && k != "" {
			out[k] = true
		}
	}
	return out
}

// pageOf finds "Page 3" or "page 3 of 9" in a running footer.
var pageOf = regexp.MustCompile(`(?i)\bpage \d+( of \d+)?\b`)

// pageNumber reports a line that is only a page number ("12", "Page 3",
// "Page 3 of 9", "3 / 9").
func pageNumber(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "page")
	s = strings.Map(func(r rune) rune {
		if unicode.IsDigit(r) || r == ' ' || r == '/' || r == '-' {
			return -1
		}
		return r
	}, s)
	return s == "" || s == "of"
}

// normRunning lower-cases a line and drops its digits, so "Page 3 of 9"
// matches "Page 4 of 9".
func normRunning(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsDigit(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
}

// pdftotext runs poppler's pdftotext when it is installed.
func pdftotext(body []byte) (string, error) {
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), PDFTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-q", "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(body)
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("pdftotext: %w", err)
	}
	return out.String(), nil
}

// plainPDF fills doc from pdftotext output: paragraphs separated by blank
// lines or page breaks, lines within a paragraph joined.
func plainPDF(doc *Document, text string) {
	b := &sectionBuilder{doc: doc}
	var para []string
	end := func() {
		if len(para) > 0 {
			b.line(strings.Join(para, " "))
			para = para[:0]
		}
	}
	for _, page := range strings.Split(text, "\f") {
		for _, l := range strings.Split(page, "\n") {
			l = collapse(l)
			if l == "" {
				end()
				continue
			}
			if startsItem(l) {
				end()
			}
			para = append(para, l)
		}
		end()
	}
	b.end()
}

func firstLine(doc *Document) string {
	for _, s := range doc.Sections {
		if s.Heading != "" {
			return s.Heading
		}
		if l, _, _ := strings.Cut(s.Text, "\n"); l != "" {
			if len(l) > 120 {
				l = l[:120]
			}
			return strings.ToValidUTF8(l, "")
		}
	}
	return ""
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
