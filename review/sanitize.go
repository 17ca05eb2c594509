package review

import (
	"bytes"
	"encoding/base64"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"
)

// snapshotCSP is the policy of a captured page shown in the viewer: a
// sandbox (no scripts, no forms, no same-origin access, no popups), no
// network requests at all (styles and images only inline or as data:
// URLs), and framing only by the viewer itself.
const snapshotCSP = "sandbox allow-top-navigation-by-user-activation; default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src 'none'; media-src 'none'; frame-src 'none'; form-action 'none'; base-uri 'none'; frame-ancestors 'self'"

// highlightCSS marks the evidence passage inside a captured page.
const highlightCSS = `mark.lo-passage{background:#ffdd00!important;color:#0b0c0c!important;outline:3px solid #0b0c0c;box-shadow:0 0 0 6px #ffdd00}
a.lo-uncaptured{text-decoration:underline dotted!important;cursor:not-allowed}`

// resolver looks up what the captured page refers to.
type resolver interface {
	// page returns the viewer path of the captured page at abs, or "".
	page(abs string) string
	// asset returns a captured stylesheet's or image's body and type.
	asset(abs string) ([]byte, string, bool)
}

// dropElements never reach the viewer: they run code, load other
// documents or change how the page is read.
var dropElements = map[atom.Atom]bool{
	atom.Script: true, atom.Noscript: true, atom.Iframe: true, atom.Frame: true, atom.Frameset: true,
	atom.Object: true, atom.Embed: true, atom.Applet: true, atom.Base: true, atom.Template: true,
	atom.Audio: true, atom.Video: true, atom.Source: true, atom.Track: true,
}

// inertHTML rewrites a captured HTML page so that it can be shown safely:
// scripts, event handlers, frames and plugins removed; links to captured
// pages pointing to the viewer and others disabled; captured stylesheets
// and images inlined; nothing fetched from the live site. passage, when
// found in the text, is wrapped in <mark id="lo-passage">. It reports
// whether the passage was found.
func inertHTML(body []byte, contentType, base string, passage string, res resolver) ([]byte, bool, error) {
	rd, err := charset.NewReader(bytes.NewReader(body), contentType)
	if err != nil {
		rd = bytes.NewReader(body)
	}
	doc, err := html.Parse(rd)
	if err != nil {
		return nil, false, err
	}
	baseURL, _ := url.Parse(base)
	var head *html.Node
	var styles []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; {
			next := c.NextSibling
			if c.Type == html.CommentNode {
				n.RemoveChild(c)
				c = next
				continue
			}
			if c.Type == html.ElementNode {
				if keep := sanitizeElement(c, baseURL, res, &styles); !keep {
					n.RemoveChild(c)
					c = next
					continue
				}
				if c.DataAtom == atom.Head && head == nil {
					head = c
				}
				walk(c)
			}
			c = next
		}
	}
	walk(doc)
	found := false
	if passage != "" {
		found = markPassage(doc, passage)
	}
	if head == nil {
		head = &html.Node{Type: html.ElementNode, Data: "head", DataAtom: atom.Head}
		if h := findElement(doc, atom.Html); h != nil {
			h.InsertBefore(head, h.FirstChild)
		}
	}
	meta := &html.Node{Type: html.ElementNode, Data: "meta", DataAtom: atom.Meta, Attr: []html.Attribute{{Key: "charset", Val: "utf-8"}}}
	head.InsertBefore(meta, head.FirstChild)
	for _, css := range append(styles, highlightCSS) {
		st := &html.Node{Type: html.ElementNode, Data: "style", DataAtom: atom.Style}
		st.AppendChild(&html.Node{Type: html.TextNode, Data: css})
		head.AppendChild(st)
	}
	var out bytes.Buffer
	if err := html.Render(&out, doc); err != nil {
		return nil, false, err
	}
	return out.Bytes(), found, nil
}

func findElement(n *html.Node, a atom.Atom) *html.Node {
	if n.Type == html.ElementNode && n.DataAtom == a {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := findElement(c, a); f != nil {
			return f
		}
	}
	return nil
}

// sanitizeElement cleans one element in place and reports whether to keep
// it.
func sanitizeElement(n *html.Node, base *url.URL, res resolver, styles *[]string) bool {
	if dropElements[n.DataAtom] || n.Namespace == "svg" && strings.EqualFold(n.Data, "script") {
		return false
	}
	switch n.DataAtom {
	case atom.Meta:
		// The viewer declares its own charset; refresh, CSP and cookie
		// directives must not act.
		if attr(n, "http-equiv") != "" || attr(n, "charset") != "" {
			return false
		}
	case atom.Link:
		if strings.EqualFold(attr(n, "rel"), "stylesheet") {
			if abs := resolve(base, attr(n, "href")); abs != "" {
				if b, _, ok := res.asset(abs); ok && len(b) < 2<<20 {
					*styles = append(*styles, strings.ReplaceAll(string(b), "</", "<\\/"))
				}
			}
		}
		return false
	case atom.Form:
		n.Attr = filterAttr(n.Attr, "action", "method", "target")
	}
	var kept []html.Attribute
	for _, a := range n.Attr {
		k := strings.ToLower(a.Key)
		switch {
		case strings.HasPrefix(k, "on"), k == "srcset", k == "ping", k == "formaction", k == "background",
			k == "poster", k == "xlink:href" || a.Namespace == "xlink", k == "action", k == "data" && n.DataAtom == atom.Object,
			k == "target", k == "integrity", k == "nonce":
			continue
		case k == "href" && (n.DataAtom == atom.A || n.DataAtom == atom.Area):
			abs := resolve(base, a.Val)
			if abs == "" {
				if strings.HasPrefix(strings.TrimSpace(a.Val), "#") {
					kept = append(kept, a)
				}
				continue
			}
			if p := res.page(abs); p != "" {
				kept = append(kept, html.Attribute{Key: "href", Val: p}, html.Attribute{Key: "target", Val: "_top"})
			} else {
				kept = append(kept, html.Attribute{Key: "class", Val: "lo-uncaptured"}, html.Attribute{Key: "title", Val: "Not captured: " + abs})
			}
			continue
		case k == "href":
			continue
		case k == "src":
			if n.DataAtom == atom.Img {
				if abs := resolve(base, a.Val); abs != "" {
					if b, typ, ok := res.asset(abs); ok && strings.HasPrefix(typ, "image/") && !strings.Contains(typ, "svg") && len(b) < 512<<10 {
						kept = append(kept, html.Attribute{Key: "src", Val: "data:" + typ + ";base64," + base64.StdEncoding.EncodeToString(b)})
					}
				}
			}
			continue
		case k == "style":
			// url() would reach the live site (the CSP blocks it too).
			if v := strings.ToLower(a.Val); strings.Contains(v, "expression(") || strings.Contains(v, "url(") || strings.Contains(v, "\\") {
				continue
			}
		}
		kept = append(kept, a)
	}
	n.Attr = mergeClass(kept)
	return true
}

// mergeClass joins the class attributes a rewrite may have doubled.
func mergeClass(as []html.Attribute) []html.Attribute {
	var out []html.Attribute
	ci := -1
	for _, a := range as {
		if strings.EqualFold(a.Key, "class") {
			if ci >= 0 {
				out[ci].Val += " " + a.Val
				continue
			}
			ci = len(out)
		}
		out = append(out, a)
	}
	return out
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if strings.EqualFold(a.Key, key) {
			return a.Val
		}
	}
	return ""
}

func filterAttr(as []html.Attribute, drop ...string) []html.Attribute {
	var out []html.Attribute
outer:
	for _, a := range as {
		for _, d := range drop {
			if strings.EqualFold(a.Key, d) {
				continue outer
			}
		}
		out = append(out, a)
	}
	return out
}

// resolve makes ref absolute against base; it returns "" for anything but
// http and https (javascript:, data:, mailto:, a bare fragment).
func resolve(base *url.URL, ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" || strings.HasPrefix(ref, "#") {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return ""
	}
	u.Fragment = ""
	return u.String()
}

// squeeze lower-cases s and keeps only letters and digits, so that a
// passage matches the page's text however the markup split and wrapped it
// and whatever separators or ellipses an extractor put in between.
func squeeze(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if keepRune(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func keepRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// findPassage returns where passage (squeezed) sits in hay (squeezed), or
// failing that where its longest head or tail does, trying ever shorter
// pieces down to 24 runes. end is exclusive.
func findPassage(hay, passage string) (start, end int, ok bool) {
	p := squeeze(passage)
	if p == "" {
		return 0, 0, false
	}
	if i := strings.Index(hay, p); i >= 0 {
		return i, i + len(p), true
	}
	for n := utf8.RuneCountInString(p) / 2; n >= 24; n /= 2 {
		head := string([]rune(p)[:n])
		if i := strings.Index(hay, head); i >= 0 {
			return i, i + len(head), true
		}
		rs := []rune(p)
		tail := string(rs[len(rs)-n:])
		if i := strings.Index(hay, tail); i >= 0 {
			return i, i + len(tail), true
		}
	}
	return 0, 0, false
}

// markPassage wraps the text nodes that hold passage in <mark> elements,
// the first with id "lo-passage" so the viewer can scroll to it.
func markPassage(doc *html.Node, passage string) bool {
	type span struct {
		n          *html.Node
		start, end int
	}
	var spans []span
	var hay strings.Builder
	var collect func(n *html.Node)
	collect = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			switch c.Type {
			case html.TextNode:
				sq := squeeze(c.Data)
				if sq == "" {
					continue
				}
				spans = append(spans, span{c, hay.Len(), hay.Len() + len(sq)})
				hay.WriteString(sq)
			case html.ElementNode:
				if c.DataAtom == atom.Style || c.DataAtom == atom.Title || c.DataAtom == atom.Head || c.DataAtom == atom.Textarea {
					continue
				}
				collect(c)
			}
		}
	}
	collect(doc)
	start, end, ok := findPassage(hay.String(), passage)
	if !ok {
		return false
	}
	first := true
	for _, sp := range spans {
		if sp.end <= start || sp.start >= end {
			continue
		}
		m := &html.Node{Type: html.ElementNode, Data: "mark", DataAtom: atom.Mark, Attr: []html.Attribute{{Key: "class", Val: "lo-passage"}}}
		if first {
			m.Attr = append(m.Attr, html.Attribute{Key: "id", Val: "lo-passage"})
			first = false
		}
		parent := sp.n.Parent
		parent.InsertBefore(m, sp.n)
		parent.RemoveChild(sp.n)
		m.AppendChild(sp.n)
	}
	return true
}

// textSegments splits text into before / passage / after for the text
// view of PDF and Word captures; the passage segment is marked.
func textSegments(text, passage string) ([]segment, bool) {
	if passage == "" {
		return []segment{{Text: text}}, false
	}
	// Build the squeezed text with a map back to byte offsets of text.
	var sq strings.Builder
	var pos []int
	for i, r := range text {
		lr := []rune(strings.ToLower(string(r)))
		if !keepRune(r) {
			continue
		}
		for _, l := range lr {
			n := utf8.RuneLen(l)
			for k := 0; k < n; k++ {
				pos = append(pos, i)
			}
			sq.WriteRune(l)
		}
	}
	start, end, ok := findPassage(sq.String(), passage)
	if !ok || end == 0 {
		return []segment{{Text: text}}, false
	}
	bs := pos[start]
	last := pos[end-1]
	_, size := utf8.DecodeRuneInString(text[last:])
	be := last + size
	// A partial match may start or end inside a word: widen it to whole
	// words.
	for bs > 0 {
		r, n := utf8.DecodeLastRuneInString(text[:bs])
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			break
		}
		bs -= n
	}
	for be < len(text) {
		r, n := utf8.DecodeRuneInString(text[be:])
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			break
		}
		be += n
	}
	return []segment{{Text: text[:bs]}, {Text: text[bs:be], Mark: true}, {Text: text[be:]}}, true
}

// htmlTitle returns the <title> of an HTML document, or "".
func htmlTitle(body []byte, contentType string) string {
	rd, err := charset.NewReader(bytes.NewReader(body), contentType)
	if err != nil {
		rd = bytes.NewReader(body)
	}
	z := html.NewTokenizer(rd)
	in := false
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken:
			name, _ := z.TagName()
			in = string(name) == "title"
		case html.TextToken:
			if in {
				return strings.Join(strings.Fields(string(z.Text())), " ")
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if string(name) == "title" || string(name) == "head" {
				if string(name) == "head" {
					return ""
				}
				in = false
			}
		}
	}
}
