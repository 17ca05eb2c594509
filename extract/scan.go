package extract

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// This file holds a small, fast HTML reader. The full HTML5 parser of
// golang.org/x/net/html spends most of an assessment's time on rules that
// do not change which text sits under which heading, so pages are read
// with a lenient scanner instead and built into the same *html.Node trees:
// void elements, implied end tags (p, li, dt/dd, table rows and cells,
// options, headings), unmatched end tags ignored, raw-text elements
// skipped whole, and nesting bounded by maxDepth (deeper elements are
// flattened into their ancestor) so hostile input cannot blow the stack.

// maxDepth bounds the element nesting of a built tree.
const maxDepth = 100

// scanHandler receives the events of scanHTML. Text is raw (entities not
// yet decoded); names are lower case.
type scanHandler interface {
	text(raw string)
	start(name string, a atom.Atom, attrs string, selfClosing bool)
	end(name string, a atom.Atom)
}

// rawTextTags hold text that is not markup up to their end tag.
func rawText(a atom.Atom) bool {
	switch a {
	case atom.Script, atom.Style, atom.Textarea, atom.Title, atom.Xmp,
		atom.Iframe, atom.Noembed, atom.Noframes, atom.Plaintext:
		return true
	}
	return false
}

// scanHTML walks s once, calling h for text, start and end tags. Comments,
// doctypes and processing instructions are skipped. The content of raw-
// text elements reaches h as one text event.
func scanHTML(s string, h scanHandler) {
	i := 0
	n := len(s)
	for i < n {
		lt := strings.IndexByte(s[i:], '<')
		if lt < 0 {
			h.text(s[i:])
			return
		}
		if lt > 0 {
			h.text(s[i : i+lt])
		}
		i += lt
		if i+1 >= n {
			h.text(s[i:])
			return
		}
		c := s[i+1]
		switch {
		case c == '!':
			if strings.HasPrefix(s[i:], "<!--") {
				e := strings.Index(s[i+4:], "-->")
				if e < 0 {
					return
				}
				i += 4 + e + 3
				continue
			}
			e := strings.IndexByte(s[i:], '>')
			if e < 0 {
				return
			}
			i += e + 1
			continue
		case c == '?':
			e := strings.IndexByte(s[i:], '>')
			if e < 0 {
				return
			}
			i += e + 1
			continue
		case c == '/':
			j := i + 2
			k := j
			for k < n && isNameByte(s[k]) {
				k++
			}
			e := strings.IndexByte(s[k:], '>')
			if e < 0 {
				return
			}
			if k > j {
				name := lower(s[j:k])
				h.end(name, atom.Lookup([]byte(name)))
			}
			i = k + e + 1
			continue
		case isLetter(c):
		default:
			h.text("<")
			i++
			continue
		}
		// Start tag.
		j := i + 1
		k := j
		for k < n && isNameByte(s[k]) {
			k++
		}
		name := lower(s[j:k])
		a := atom.Lookup([]byte(name))
		end, self := tagEnd(s, k)
		if end < 0 {
			return
		}
		attrs := s[k:end]
		if self {
			attrs = s[k : end-1]
		}
		i = end + 1
		h.start(name, a, attrs, self)
		if rawText(a) && !self {
			// Find the matching end tag, case-insensitively.
			close := "</" + name
			e := indexFold(s[i:], close)
			if e < 0 {
				h.text(s[i:])
				return
			}
			if e > 0 {
				h.text(s[i : i+e])
			}
			i += e
			gt := strings.IndexByte(s[i:], '>')
			if gt < 0 {
				return
			}
			i += gt + 1
			h.end(name, a)
		}
	}
}

// tagEnd finds the '>' closing a tag whose attributes start at k, skipping
// quoted values, and reports a self-closing "/>".
func tagEnd(s string, k int) (int, bool) {
	var quote byte
	for p := k; p < len(s); p++ {
		c := s[p]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			// Only a quote right after '=' (and spaces) opens a value.
			q := p - 1
			for q >= k && (s[q] == ' ' || s[q] == '\t' || s[q] == '\n' || s[q] == '\r') {
				q--
			}
			if q >= k && s[q] == '=' {
				quote = c
			}
		case c == '>':
			return p, p > k && s[p-1] == '/'
		}
	}
	return -1, false
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isNameByte(c byte) bool {
	return c > ' ' && c != '>' && c != '/' && c != '=' && c != '"' && c != '\'' && c != '<'
}

// lower returns s in ASCII lower case, without allocating when it already is.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// indexFold is strings.Index ignoring ASCII case in s; sub is lower case.
func indexFold(s, sub string) int {
	if len(sub) == 0 {
		return 0
	}
	first := sub[1] // sub starts with "</"
	for i := 0; i+len(sub) <= len(s); {
		j := strings.Index(s[i:], "</")
		if j < 0 {
			return -1
		}
		i += j
		if i+len(sub) > len(s) {
			return -1
		}
		if s[i+1] == first && strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
		i += 2
	}
	return -1
}

// parseAttrs reads name="value" pairs; names are lower-cased and values
// unescaped.
func parseAttrs(s string) []html.Attribute {
	var out []html.Attribute
	i := 0
	for i < len(s) {
		for i < len(s) && (s[i] <= ' ' || s[i] == '/') {
			i++
		}
		j := i
		for j < len(s) && s[j] > ' ' && s[j] != '=' && s[j] != '/' {
			j++
		}
		if j == i {
			i++
			continue
		}
		key := lower(s[i:j])
		k := j
		for k < len(s) && s[k] <= ' ' {
			k++
		}
		val := ""
		if k < len(s) && s[k] == '=' {
			k++
			for k < len(s) && s[k] <= ' ' {
				k++
			}
			if k < len(s) && (s[k] == '"' || s[k] == '\'') {
				q := s[k]
				e := strings.IndexByte(s[k+1:], q)
				if e < 0 {
					val = s[k+1:]
					k = len(s)
				} else {
					val = s[k+1 : k+1+e]
					k += e + 2
				}
			} else {
				e := k
				for e < len(s) && s[e] > ' ' {
					e++
				}
				val = s[k:e]
				k = e
			}
			j = k
		}
		if strings.IndexByte(val, '&') >= 0 {
			val = html.UnescapeString(val)
		}
		out = append(out, html.Attribute{Key: key, Val: val})
		i = j
	}
	return out
}

// voidElement reports elements that never have content.
func voidElement(a atom.Atom) bool {
	switch a {
	case atom.Area, atom.Base, atom.Br, atom.Col, atom.Embed, atom.Hr, atom.Img, atom.Input,
		atom.Link, atom.Meta, atom.Param, atom.Source, atom.Track, atom.Wbr, atom.Keygen:
		return true
	}
	return false
}

// headElement reports elements that may stay in <head>.
func headElement(a atom.Atom) bool {
	switch a {
	case atom.Title, atom.Meta, atom.Link, atom.Base, atom.Style, atom.Script, atom.Noscript, atom.Template:
		return true
	}
	return false
}

// closesP reports start tags that end an open paragraph.
func closesP(a atom.Atom) bool {
	switch a {
	case atom.Address, atom.Article, atom.Aside, atom.Blockquote, atom.Details, atom.Dialog,
		atom.Div, atom.Dl, atom.Fieldset, atom.Figcaption, atom.Figure, atom.Footer, atom.Form,
		atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Header, atom.Hgroup, atom.Hr,
		atom.Li, atom.Dd, atom.Dt, atom.Main, atom.Menu, atom.Nav, atom.Ol, atom.P, atom.Pre,
		atom.Section, atom.Summary, atom.Table, atom.Ul, atom.Center:
		return true
	}
	return false
}

// treeBuilder builds *html.Node trees from scan events.
type treeBuilder struct {
	doc, htmlEl, head, body *html.Node
	stack                   []*html.Node // open elements below body or head
	inBody                  bool
	foreign                 int  // depth inside svg or math
	tooDeep                 bool // nesting beyond maxDepth was flattened
	pending                 []byte
	slab                    []html.Node // nodes are allocated in blocks
}

// node returns a zero node from the current block, starting a new block
// when it is used up: one allocation per 128 nodes instead of one each.
func (b *treeBuilder) node() *html.Node {
	if len(b.slab) == 0 {
		b.slab = make([]html.Node, 128)
	}
	n := &b.slab[0]
	b.slab = b.slab[1:]
	return n
}

// buildTree parses s into a document node holding html, head and body. It
// reports whether nesting beyond maxDepth was flattened.
func buildTree(s string) (*html.Node, bool) {
	b := &treeBuilder{}
	b.doc = &html.Node{Type: html.DocumentNode}
	b.htmlEl = &html.Node{Type: html.ElementNode, Data: "html", DataAtom: atom.Html}
	b.head = &html.Node{Type: html.ElementNode, Data: "head", DataAtom: atom.Head}
	b.body = &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	b.doc.AppendChild(b.htmlEl)
	b.htmlEl.AppendChild(b.head)
	b.htmlEl.AppendChild(b.body)
	scanHTML(s, b)
	b.flushText()
	return b.doc, b.tooDeep
}

func (b *treeBuilder) current() *html.Node {
	if len(b.stack) > 0 {
		return b.stack[len(b.stack)-1]
	}
	if b.inBody {
		return b.body
	}
	return b.head
}

func (b *treeBuilder) text(raw string) {
	if !b.inBody {
		top := b.current()
		if top == b.head && strings.TrimSpace(raw) == "" {
			return
		}
		if top == b.head {
			b.enterBody()
		}
	}
	// Text arriving in pieces (split by comments or stray '<') is
	// gathered and stored once, so joining stays linear.
	b.pending = append(b.pending, raw...)
}

// flushText stores gathered text in the current element.
func (b *treeBuilder) flushText() {
	if len(b.pending) == 0 {
		return
	}
	raw := string(b.pending)
	b.pending = b.pending[:0]
	if strings.IndexByte(raw, '&') >= 0 {
		raw = html.UnescapeString(raw)
	}
	n := b.node()
	n.Type, n.Data = html.TextNode, raw
	b.current().AppendChild(n)
}

func (b *treeBuilder) enterBody() {
	b.inBody = true
	b.stack = b.stack[:0]
}

func (b *treeBuilder) start(name string, a atom.Atom, attrs string, self bool) {
	b.flushText()
	switch a {
	case atom.Html:
		return
	case atom.Head:
		return
	case atom.Body:
		if !b.inBody {
			b.enterBody()
		}
		if len(b.body.Attr) == 0 {
			b.body.Attr = parseAttrs(attrs)
		}
		return
	}
	if !b.inBody && !headElement(a) {
		b.enterBody()
	}
	if b.foreign == 0 {
		b.implyEnds(a)
	}
	n := b.node()
	n.Type, n.Data, n.DataAtom = html.ElementNode, name, a
	if attrs != "" {
		n.Attr = parseAttrs(attrs)
	}
	b.current().AppendChild(n)
	if voidElement(a) || self && (b.foreign > 0 || a == 0) {
		return
	}
	if len(b.stack) >= maxDepth {
		// Too deep: keep the element but put what follows beside it.
		b.tooDeep = true
		return
	}
	if a == atom.Svg || a == atom.Math {
		b.foreign++
	}
	b.stack = append(b.stack, n)
}

// implyEnds closes the elements a start tag a implicitly ends.
func (b *treeBuilder) implyEnds(a atom.Atom) {
	switch {
	case a == atom.Li:
		b.closeUntil(func(x atom.Atom) bool { return x == atom.Li }, listScope)
	case a == atom.Dt || a == atom.Dd:
		b.closeUntil(func(x atom.Atom) bool { return x == atom.Dt || x == atom.Dd }, listScope)
	case a == atom.Tr:
		b.closeUntil(func(x atom.Atom) bool { return x == atom.Tr }, tableScope)
	case a == atom.Td || a == atom.Th:
		b.closeUntil(func(x atom.Atom) bool { return x == atom.Td || x == atom.Th }, rowScope)
	case a == atom.Thead || a == atom.Tbody || a == atom.Tfoot:
		b.closeUntil(func(x atom.Atom) bool { return x == atom.Thead || x == atom.Tbody || x == atom.Tfoot }, tableScope)
	case a == atom.A:
		// Links do not nest: a new one ends the open one.
		b.closeUntil(func(x atom.Atom) bool { return x == atom.A }, buttonScope)
	case a == atom.Option:
		if top := b.current(); top.DataAtom == atom.Option {
			b.stack = b.stack[:len(b.stack)-1]
		}
	case isHeading(a):
		if top := b.current(); isHeading(top.DataAtom) {
			b.stack = b.stack[:len(b.stack)-1]
		}
	}
	if closesP(a) {
		b.closeUntil(func(x atom.Atom) bool { return x == atom.P }, buttonScope)
	}
}

func isHeading(a atom.Atom) bool {
	switch a {
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		return true
	}
	return false
}

func listScope(a atom.Atom) bool {
	return a == atom.Ul || a == atom.Ol || a == atom.Dl || a == atom.Table || a == atom.Td || a == atom.Th
}

func tableScope(a atom.Atom) bool { return a == atom.Table }

func rowScope(a atom.Atom) bool { return a == atom.Tr || a == atom.Table }

func buttonScope(a atom.Atom) bool {
	switch a {
	case atom.Button, atom.Table, atom.Td, atom.Th, atom.Caption, atom.Object, atom.Template:
		return true
	}
	return false
}

// closeUntil pops the open elements down to and including the nearest one
// that match accepts, unless an element that scope accepts comes first.
func (b *treeBuilder) closeUntil(match, scope func(atom.Atom) bool) {
	for i := len(b.stack) - 1; i >= 0; i-- {
		x := b.stack[i].DataAtom
		if match(x) {
			b.stack = b.stack[:i]
			return
		}
		if scope(x) {
			return
		}
	}
}

func (b *treeBuilder) end(name string, a atom.Atom) {
	b.flushText()
	switch a {
	case atom.Html, atom.Body:
		return
	case atom.Head:
		return
	case atom.Br:
		b.start(name, a, "", false)
		return
	}
	for i := len(b.stack) - 1; i >= 0; i-- {
		n := b.stack[i]
		if n.Data == name {
			for _, m := range b.stack[i:] {
				if m.DataAtom == atom.Svg || m.DataAtom == atom.Math {
					b.foreign--
				}
			}
			b.stack = b.stack[:i]
			return
		}
		// An end tag does not close through a table it is not in.
		if n.DataAtom == atom.Table && a != atom.Table {
			return
		}
	}
}

// runScanner cuts the token stream into text runs exactly as runWalker
// cuts a built tree.
type runScanner struct {
	buf   []byte
	skip  int
	title func(string)
	run   func(raw []byte, h uint64)
	ent   bool
	inTtl bool
}

func (r *runScanner) flush() {
	b := r.buf
	if r.ent {
		b = []byte(html.UnescapeString(string(b)))
	}
	if len(b) > maxRunBytes {
		// Long runs are content and are not fingerprinted.
		r.run(b, 0)
	} else if h, ok := hashRun(b); ok {
		r.run(b, h)
	}
	r.buf = r.buf[:0]
	r.ent = false
}

func (r *runScanner) text(raw string) {
	if r.inTtl {
		if r.title != nil {
			r.title(html.UnescapeString(raw))
		}
		return
	}
	if r.skip > 0 {
		return
	}
	if !r.ent && strings.IndexByte(raw, '&') >= 0 {
		r.ent = true
	}
	r.buf = append(r.buf, raw...)
}

func (r *runScanner) start(name string, a atom.Atom, _ string, self bool) {
	if a == atom.Title {
		r.inTtl = true
		return
	}
	if skipTag(a) && a != atom.Head {
		if !self && !voidElement(a) {
			r.skip++
		}
		return
	}
	if r.skip == 0 && isBlock(a) {
		r.flush()
	}
}

func (r *runScanner) end(name string, a atom.Atom) {
	if a == atom.Title {
		r.inTtl = false
		return
	}
	if skipTag(a) && a != atom.Head {
		if r.skip > 0 {
			r.skip--
		}
		return
	}
	if r.skip == 0 && isBlock(a) {
		r.flush()
	}
}
