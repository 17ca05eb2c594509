package extract

import (
	"hash/maphash"
	"math"
	"math/bits"
	"slices"
	"strings"
	"sync"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Defaults for Site.
const (
	// DefaultShare is the fraction of a site's pages a block must appear
	// on to count as chrome.
	DefaultShare = 0.4
	// DefaultMinPages is the number of learned pages below which
	// repetition says nothing and only semantic chrome removal applies.
	DefaultMinPages = 5
)

// Site learns which blocks repeat across one site's pages (header, nav,
// cookie banner, sidebars, footer) so they can be dropped as chrome.
//
// Use it in two passes over a crawl: Learn every HTML page, then call
// Document on each. Learn keeps only 64-bit fingerprints of pairs of
// neighbouring text runs (a run is the text between two block-level tags),
// so memory stays small, and a sentence counts as chrome only where it
// repeats together with its neighbours. A Site is
// safe for concurrent use.
type Site struct {
	// Share and MinPages tune what counts as repeated; see the defaults.
	Share    float64
	MinPages int

	mu     sync.RWMutex
	pages  int
	runs   map[uint64]int32
	titles map[uint64]int32
}

// NewSite returns a Site with the default settings and nothing learned.
func NewSite() *Site {
	return &Site{
		Share:    DefaultShare,
		MinPages: DefaultMinPages,
		runs:     make(map[uint64]int32),
		titles:   make(map[uint64]int32),
	}
}

// Learn records the text runs and title parts of one HTML page. Bodies
// that are not HTML, or cannot be decoded, are ignored: Learn is a cheap
// first pass and has nothing useful to report about them.
func (s *Site) Learn(body []byte, contentType, pageURL string) {
	if !isHTML(body, contentType) {
		return
	}
	if len(body) > MaxHTMLBytes {
		body = body[:MaxHTMLBytes]
	}
	text, _, err := Decode(body, contentType)
	if err != nil || strings.TrimSpace(text) == "" {
		return
	}
	var seq, ts []uint64
	visitRuns(text, func(raw []byte, h uint64) {
		if len(raw) > maxRunBytes {
			h = 0 // content: pairs with it are never chrome
		}
		seq = append(seq, h)
	}, func(title string) {
		for _, part := range titleParts(title) {
			if h, ok := hashRun([]byte(part)); ok {
				ts = append(ts, h)
			}
		}
	})
	hs := runPairs(seq)
	slices.Sort(hs)
	hs = slices.Compact(hs)
	slices.Sort(ts)
	ts = slices.Compact(ts)
	s.mu.Lock()
	s.pages++
	for _, h := range hs {
		s.runs[h]++
	}
	for _, h := range ts {
		s.titles[h]++
	}
	s.mu.Unlock()
}

// Pages returns how many pages Learn has recorded.
func (s *Site) Pages() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.pages
}

// Document extracts a page like HTML does and also drops the blocks that
// repeat on a large share of the learned pages, and the site name from
// the title. Bodies that are not HTML go to Any.
func (s *Site) Document(body []byte, contentType, pageURL string) (*Document, error) {
	if !isHTML(body, contentType) {
		return Any(body, contentType, pageURL)
	}
	return extractHTML(body, contentType, pageURL, s)
}

// threshold returns the number of pages a fingerprint must be seen on to
// be chrome, or 0 when too few pages were learned. The caller holds mu.
func (s *Site) threshold() int32 {
	minPages := s.MinPages
	if minPages < 2 {
		minPages = 2
	}
	if s.pages < minPages {
		return 0
	}
	share := s.Share
	if share <= 0 || share > 1 {
		share = DefaultShare
	}
	return int32(max(2, math.Ceil(share*float64(s.pages))))
}

// repeated finds the elements under body whose every text run is repeated
// across the site. It never marks the main content root or an ancestor of
// it, nor a lone heading, term or table header, which repeat on template pages
// ("Contact details") while the text under them differs.
func (s *Site) repeated(body, main *html.Node) map[*html.Node]bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.threshold()
	if t == 0 {
		return nil
	}
	var w runWalker
	w.visit(body)
	w.end()
	// A run is chrome when it and a neighbour repeat together: the pair
	// (previous, this) or (this, next) is on enough pages. A sentence
	// that a page shares with the footer, amid the page's own text, is
	// not.
	rep := func(a, b uint64) bool { return a != 0 && b != 0 && s.runs[pairHash(a, b)] >= t }
	// prefix[i] counts repeated runs among the first i runs.
	prefix := make([]int32, len(w.hashes)+1)
	for i, h := range w.hashes {
		f := i > 0 && rep(w.hashes[i-1], h) || i+1 < len(w.hashes) && rep(h, w.hashes[i+1])
		prefix[i+1] = prefix[i]
		if f {
			prefix[i+1]++
		}
	}
	var out map[*html.Node]bool
	var mark func(n *html.Node)
	mark = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode || skipTag(c.DataAtom) {
				continue
			}
			if rg, ok := w.ranges[c]; ok && rg[1] > rg[0] && prefix[rg[1]]-prefix[rg[0]] == rg[1]-rg[0] &&
				(main == nil || !contains(c, main)) && removable(c, rg[1]-rg[0]) {
				if out == nil {
					out = make(map[*html.Node]bool)
				}
				out[c] = true
				continue
			}
			mark(c)
		}
	}
	mark(body)
	return out
}

// removable reports whether a block whose runs all repeat may be dropped
// on its own.
func removable(n *html.Node, runs int32) bool {
	switch n.DataAtom {
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Dt, atom.Th,
		atom.Caption, atom.Summary, atom.Legend:
		return false
	}
	if runs >= 2 {
		return true
	}
	hasLink := false
	walkElements(n, func(c *html.Node) bool {
		if c.DataAtom == atom.A {
			hasLink = true
		}
		return !hasLink
	})
	return hasLink || len(strings.TrimSpace(nodeText(n))) >= 20
}

// stripTitle removes the parts of a title that repeat across the site
// ("| Anyshire Local Offer"), keeping the whole title when every part
// repeats.
func (s *Site) stripTitle(title string) string {
	parts := titleParts(title)
	if len(parts) < 2 {
		return title
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.threshold()
	if t == 0 {
		return title
	}
	var kept []string
	for _, p := range parts {
		if h, ok := hashRun([]byte(p)); ok && s.titles[h] >= t {
			continue
		}
		kept = append(kept, p)
	}
	if len(kept) == 0 {
		// A page titled with the site's own name ("Council - Council"):
		// say it once.
		kept = slices.Compact(parts)
		if len(kept) == len(parts) {
			return title
		}
	}
	return strings.Join(kept, " - ")
}

// titleSeparators split a title into its page and site parts.
var titleSeparators = []string{" | ", " - ", " – ", " — ", " · ", " :: ", " » ", " > "}

// titleParts splits a collapsed title at its separators.
func titleParts(title string) []string {
	parts := []string{collapse(title)}
	for _, sep := range titleSeparators {
		var next []string
		for _, p := range parts {
			for _, q := range strings.Split(p, sep) {
				if q = strings.TrimSpace(q); q != "" {
					next = append(next, q)
				}
			}
		}
		parts = next
	}
	return parts
}

// runWalker cuts the element tree into text runs exactly as visitRuns
// cuts the scanned text, and records which block elements span which runs.
type runWalker struct {
	buf    []byte
	hashes []uint64 // per run; 0 for runs too long to be chrome
	ranges map[*html.Node][2]int32
}

func (w *runWalker) end() {
	if len(w.buf) > maxRunBytes {
		w.hashes = append(w.hashes, 0)
	} else if h, ok := hashRun(w.buf); ok {
		w.hashes = append(w.hashes, h)
	}
	w.buf = w.buf[:0]
}

// maxRunBytes is the longest text run that is fingerprinted. Chrome is
// made of short runs (menu items, a cookie notice, a footer line); longer
// runs are taken as content without hashing them, which saves most of the
// fingerprinting time.
const maxRunBytes = 512

// runPairs returns the fingerprints of each pair of neighbouring runs,
// leaving out pairs with a long (content) run.
func runPairs(seq []uint64) []uint64 {
	var out []uint64
	for i := 1; i < len(seq); i++ {
		if seq[i-1] != 0 && seq[i] != 0 {
			out = append(out, pairHash(seq[i-1], seq[i]))
		}
	}
	return out
}

// pairHash combines two run fingerprints, in order.
func pairHash(a, b uint64) uint64 {
	return (a^0x9E3779B97F4A7C15)*0xBF58476D1CE4E5B9 ^ bits.RotateLeft64(b, 31)
}

func (w *runWalker) visit(n *html.Node) {
	if w.ranges == nil {
		w.ranges = make(map[*html.Node][2]int32, 256)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch c.Type {
		case html.TextNode:
			w.buf = append(w.buf, c.Data...)
		case html.ElementNode:
			if skipTag(c.DataAtom) {
				continue
			}
			if isBlock(c.DataAtom) {
				w.end()
				first := int32(len(w.hashes))
				w.visit(c)
				w.end()
				w.ranges[c] = [2]int32{first, int32(len(w.hashes))}
				continue
			}
			w.visit(c)
		}
	}
}

// visitRuns scans an HTML document and calls run for each non-blank text
// run with its fingerprint (0 for runs over maxRunBytes, which are not
// fingerprinted), and title with the <title> text.
func visitRuns(text string, run func(raw []byte, h uint64), title func(string)) {
	r := &runScanner{run: run, title: title}
	scanHTML(text, r)
	r.flush()
}

// runSeed seeds run fingerprints; they only live in memory, so one seed
// a process is enough.
var runSeed = maphash.MakeSeed()

// hashRun fingerprints a text run: a hash of its text lower-cased (ASCII)
// with white space collapsed. It reports false for a blank run.
func hashRun(b []byte) (uint64, bool) {
	var buf [512]byte
	norm := buf[:0]
	space := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' {
			space = true
			continue
		}
		if c == 0xC2 && i+1 < len(b) && b[i+1] == 0xA0 { // no-break space
			i++
			space = true
			continue
		}
		if space && len(norm) > 0 {
			norm = append(norm, ' ')
		}
		space = false
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		norm = append(norm, c)
	}
	if len(norm) == 0 {
		return 0, false
	}
	return maphash.Bytes(runSeed, norm), true
}

// isHTML reports whether a body labelled contentType should be read as
// HTML: by its label, or by sniffing when the label is missing or generic.
func isHTML(body []byte, contentType string) bool {
	switch mediaType(contentType) {
	case "text/html", "application/xhtml+xml":
		return true
	case "", "application/octet-stream", "text/plain":
		return sniff(body) == "html"
	}
	return false
}
