package extract

import (
	"bytes"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// MaxHTMLBytes bounds how much of an HTML body is read; the rest is
// dropped with a warning so that one huge page cannot stall a run.
const MaxHTMLBytes = 4 << 20

// HTML extracts the main text of a single HTML page. Chrome is recognised
// from the page alone: semantic elements (header, nav, footer, aside),
// landmark roles, cookie banners, breadcrumbs and skip links. Site.Document
// removes more, because it also knows which blocks repeat across the site.
//
// An empty body gives an empty Document; a body that is not text gives an
// error wrapping ErrBinary.
func HTML(body []byte, contentType, pageURL string) (*Document, error) {
	return extractHTML(body, contentType, pageURL, nil)
}

// extractHTML extracts a page; site, when not nil, adds what it learned
// about repeated blocks and title affixes.
func extractHTML(body []byte, contentType, pageURL string, site *Site) (*Document, error) {
	doc := &Document{URL: pageURL, Kind: "html", PathWords: PathWords(pageURL)}
	if len(bytes.TrimSpace(body)) == 0 {
		doc.Warnings = append(doc.Warnings, "empty body")
		return doc, nil
	}
	if len(body) > MaxHTMLBytes {
		body = body[:MaxHTMLBytes]
		doc.Warnings = append(doc.Warnings, fmt.Sprintf("body truncated to %d bytes", MaxHTMLBytes))
	}
	text, _, err := Decode(body, contentType)
	if err != nil {
		return nil, fmt.Errorf("extract html %s: %w", pageURL, err)
	}
	base, _ := url.Parse(pageURL)
	root, tooDeep := buildTree(text)
	if tooDeep {
		doc.Warnings = append(doc.Warnings, fmt.Sprintf("elements nested deeper than %d were flattened", maxDepth))
	}
	p := &pageState{doc: doc, base: base}
	p.head(root)
	body2 := findBody(root)
	if body2 == nil {
		return doc, nil
	}
	p.controlled = ariaControlled(body2)
	p.main = mainRoot(body2)
	p.mainPath = make(map[*html.Node]bool)
	for n := p.main; n != nil; n = n.Parent {
		p.mainPath[n] = true
	}
	if site != nil {
		p.boiler = site.repeated(body2, p.main)
	}
	r := &renderer{p: p}
	r.walk(body2, walkCtx{inMain: body2 == p.main || p.main == nil})
	r.flush()
	r.finish()
	doc.Title = p.title(site)
	return doc, nil
}

// pageState holds what is known about one page while it is rendered.
type pageState struct {
	doc        *Document
	base       *url.URL
	titleText  string
	ogTitle    string
	firstH1    string
	main       *html.Node
	controlled map[string]bool
	boiler     map[*html.Node]bool
	// mainPath holds the main root and its ancestors.
	mainPath map[*html.Node]bool
}

// head reads the title, og:title and base URL.
func (p *pageState) head(root *html.Node) {
	var visit func(n *html.Node)
	visit = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			switch c.DataAtom {
			case atom.Body:
				continue
			case atom.Title:
				if p.titleText == "" {
					p.titleText = collapse(nodeText(c))
				}
			case atom.Meta:
				prop := strings.ToLower(attr(c, "property"))
				if prop == "" {
					prop = strings.ToLower(attr(c, "name"))
				}
				if (prop == "og:title" || prop == "twitter:title") && p.ogTitle == "" {
					p.ogTitle = collapse(attr(c, "content"))
				}
			case atom.Base:
				if h := attr(c, "href"); h != "" && p.base != nil {
					if u, err := p.base.Parse(strings.TrimSpace(h)); err == nil {
						p.base = u
					}
				}
			}
			visit(c)
		}
	}
	visit(root)
}

// title picks the page title: <title> without the site-wide affix the
// site has learned, else og:title, else the first h1.
func (p *pageState) title(site *Site) string {
	t := p.titleText
	if site != nil {
		t = site.stripTitle(t)
	}
	switch {
	case t != "":
		return t
	case p.ogTitle != "":
		return p.ogTitle
	}
	return p.firstH1
}

func findBody(root *html.Node) *html.Node {
	for n := root.FirstChild; n != nil; n = n.NextSibling {
		if n.Type == html.ElementNode && n.DataAtom == atom.Html {
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				if c.Type == html.ElementNode && (c.DataAtom == atom.Body || c.DataAtom == atom.Frameset) {
					return c
				}
			}
		}
	}
	return nil
}

// ariaControlled returns the ids of elements that some control expands or
// collapses: accordion panels that must be kept even while hidden.
func ariaControlled(body *html.Node) map[string]bool {
	var ids map[string]bool
	walkElements(body, func(n *html.Node) bool {
		if v := attr(n, "aria-controls"); v != "" {
			if ids == nil {
				ids = make(map[string]bool)
			}
			for _, id := range strings.Fields(v) {
				ids[id] = true
			}
		}
		return true
	})
	return ids
}

// mainRoot finds the element holding the page's main content: the <main>
// element or role=main (the one with most text when there are several),
// else a single <article>. When the h1 sits outside it, the root widens to
// the nearest ancestor holding both. It returns nil when nothing marks the
// main content, and the whole body is then considered.
func mainRoot(body *html.Node) *html.Node {
	var mains, articles []*html.Node
	var h1 *html.Node
	walkElements(body, func(n *html.Node) bool {
		switch {
		case n.DataAtom == atom.Main || strings.EqualFold(attr(n, "role"), "main"):
			if !isHidden(n) {
				mains = append(mains, n)
			}
			return false
		case n.DataAtom == atom.Article:
			articles = append(articles, n)
		case n.DataAtom == atom.H1 && h1 == nil:
			h1 = n
		case n.DataAtom == atom.Nav || n.DataAtom == atom.Footer:
			return false
		}
		return true
	})
	var m *html.Node
	switch {
	case len(mains) == 1:
		m = mains[0]
	case len(mains) > 1:
		best := -1
		for _, c := range mains {
			if l := len(nodeText(c)); l > best {
				best, m = l, c
			}
		}
	case len(articles) == 1:
		m = articles[0]
	default:
		return nil
	}
	if h1 == nil || contains(m, h1) {
		return m
	}
	// Look for an h1 inside m; if there is one the outside one is chrome.
	inner := false
	walkElements(m, func(n *html.Node) bool {
		if n.DataAtom == atom.H1 {
			inner = true
		}
		return !inner
	})
	if inner || insideChromeTag(h1) {
		return m
	}
	return commonAncestor(m, h1)
}

func insideChromeTag(n *html.Node) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.Type == html.ElementNode {
			switch p.DataAtom {
			case atom.Nav, atom.Footer, atom.Aside:
				return true
			}
		}
	}
	return false
}

func contains(a, b *html.Node) bool {
	for n := b; n != nil; n = n.Parent {
		if n == a {
			return true
		}
	}
	return false
}

func commonAncestor(a, b *html.Node) *html.Node {
	seen := make(map[*html.Node]bool)
	for n := a; n != nil; n = n.Parent {
		seen[n] = true
	}
	for n := b; n != nil; n = n.Parent {
		if seen[n] {
			return n
		}
	}
	return a
}

// walkElements calls fn on every element under n in document order; fn
// returns false to skip an element's children.
func walkElements(n *html.Node, fn func(*html.Node) bool) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode {
			continue
		}
		if fn(c) {
			walkElements(c, fn)
		}
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

// nodeText returns the raw text under n, skipping non-visible elements.
func nodeText(n *html.Node) string {
	if n.Type == html.TextNode {
		return n.Data
	}
	var b strings.Builder
	var visit func(*html.Node)
	visit = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			switch c.Type {
			case html.TextNode:
				b.WriteString(c.Data)
			case html.ElementNode:
				if skipTag(c.DataAtom) {
					continue
				}
				if isBlock(c.DataAtom) {
					b.WriteByte(' ')
					visit(c)
					b.WriteByte(' ')
					continue
				}
				visit(c)
			}
		}
	}
	visit(n)
	return b.String()
}

// skipTag reports elements whose content is never visible text.
func skipTag(a atom.Atom) bool {
	switch a {
	case atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Svg, atom.Math,
		atom.Textarea, atom.Select, atom.Iframe, atom.Object, atom.Canvas,
		atom.Head, atom.Title, atom.Audio, atom.Video, atom.Datalist:
		return true
	}
	return false
}

// isBlock reports elements that break a line: text runs end at their
// start and end tags. Learn and Document must agree on this set.
func isBlock(a atom.Atom) bool {
	switch a {
	case atom.Address, atom.Article, atom.Aside, atom.Blockquote, atom.Body, atom.Br,
		atom.Caption, atom.Center, atom.Dd, atom.Details, atom.Dialog, atom.Dir, atom.Div,
		atom.Dl, atom.Dt, atom.Fieldset, atom.Figcaption, atom.Figure, atom.Footer,
		atom.Form, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Header,
		atom.Hgroup, atom.Hr, atom.Html, atom.Legend, atom.Li, atom.Main, atom.Menu,
		atom.Nav, atom.Ol, atom.P, atom.Pre, atom.Section, atom.Summary, atom.Table,
		atom.Tbody, atom.Td, atom.Tfoot, atom.Th, atom.Thead, atom.Tr, atom.Ul, atom.Button,
		atom.Option, atom.Frameset, atom.Frame:
		return true
	}
	return false
}

// isHidden reports an element the page hides from every reader.
func isHidden(n *html.Node) bool {
	if hasAttr(n, "hidden") || strings.EqualFold(attr(n, "aria-hidden"), "true") {
		return true
	}
	if n.DataAtom == atom.Input && strings.EqualFold(attr(n, "type"), "hidden") {
		return true
	}
	if st := attr(n, "style"); st != "" {
		st = strings.ToLower(strings.ReplaceAll(st, " ", ""))
		if strings.Contains(st, "display:none") || strings.Contains(st, "visibility:hidden") {
			return true
		}
	}
	return false
}

// chromeWords are class, id and aria-label words that mark site chrome on
// any platform: cookie banners, menus, breadcrumbs, sidebars, share bars.
var chromeWords = map[string]bool{
	"cookie": true, "cookies": true, "consent": true, "gdpr": true, "cookiebar": true,
	"breadcrumb": true, "breadcrumbs": true, "crumbs": true, "crumb": true, "breadcrumbtrail": true,
	"skiplink": true, "skiplinks": true, "nav": true, "navbar": true, "navigation": true,
	"menu": true, "menubar": true, "megamenu": true, "topnav": true, "leftnav": true,
	"sidenav": true, "subnav": true, "sidebar": true, "masthead": true, "colophon": true,
	"share": true, "sharing": true, "social": true, "sharebar": true, "footer": true,
	"pagination": true, "pager": true,
}

// shallowChromeWords mark chrome only near the top of the page: deep in
// the content, "card-header" or "accordion__section-header" are content.
var shallowChromeWords = map[string]bool{
	"header": true, "footer": true, "toolbar": true, "widget": true, "widgets": true,
	"banner": true, "topbar": true, "foot": true, "trail": true,
}

// feedbackWords name "was this page useful?" widgets.
var feedbackWords = map[string]bool{
	"feedback": true, "rating": true, "helpful": true, "useful": true, "pagefeedback": true,
}

// feedbackWidget reports a short block with buttons or a form: a page
// rating widget rather than text about feedback.
func feedbackWidget(n *html.Node) bool {
	control := false
	walkElements(n, func(c *html.Node) bool {
		switch c.DataAtom {
		case atom.Button, atom.Form, atom.Input, atom.Textarea, atom.Select:
			control = true
		}
		return !control
	})
	return control && elementStats(n).text < 400
}

// chromeRoles are landmark roles of site chrome.
var chromeRoles = map[string]bool{
	"navigation": true, "banner": true, "contentinfo": true, "search": true,
	"menu": true, "menubar": true, "complementary": true, "alertdialog": true,
}

// classWords splits class, id and aria-label values into lower-case words,
// breaking at punctuation and camelCase ("breadcrumbTrail" gives
// breadcrumb, trail, and also the joined form breadcrumbtrail).
func classWords(n *html.Node, fn func(w string) bool) bool {
	for _, a := range n.Attr {
		if a.Key != "class" && a.Key != "id" && a.Key != "aria-label" {
			continue
		}
		v := a.Val
		start := 0
		emit := func(end int) bool {
			if end > start {
				w := strings.ToLower(v[start:end])
				if fn(w) {
					return true
				}
			}
			return false
		}
		for i := 0; i < len(v); i++ {
			c := v[i]
			isAlnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
			if !isAlnum {
				if emit(i) {
					return true
				}
				start = i + 1
				continue
			}
			if c >= 'A' && c <= 'Z' && i > start && v[i-1] >= 'a' && v[i-1] <= 'z' {
				// camelCase: emit the joined token so far and the part.
				if emit(i) {
					return true
				}
				start = i
			}
		}
		if emit(len(v)) {
			return true
		}
		// Whole hyphen-free tokens like "breadcrumbTrail" also count joined.
		for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == '-' || r == '_' }) {
			if fn(strings.ToLower(f)) {
				return true
			}
		}
	}
	return false
}

// stats are the facts about an element that decide whether it is chrome.
type stats struct {
	text, link int  // characters of text, and of text inside links
	h1         bool // holds an h1
}

func elementStats(n *html.Node) stats {
	var s stats
	var visit func(n *html.Node, inLink bool)
	visit = func(n *html.Node, inLink bool) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			switch c.Type {
			case html.TextNode:
				l := len(strings.TrimSpace(c.Data))
				s.text += l
				if inLink {
					s.link += l
				}
			case html.ElementNode:
				if skipTag(c.DataAtom) {
					continue
				}
				if c.DataAtom == atom.H1 {
					s.h1 = true
				}
				visit(c, inLink || c.DataAtom == atom.A)
			}
		}
	}
	visit(n, false)
	return s
}

// isChrome decides whether an element inside the main content area is
// chrome by its tag, role, class words or site-wide repetition.
func (p *pageState) isChrome(n *html.Node, sectioned bool, depth int) bool {
	if p.boiler[n] {
		return true
	}
	role := strings.ToLower(strings.TrimSpace(attr(n, "role")))
	if role == "note" || role == "main" || role == "article" {
		return false
	}
	switch n.DataAtom {
	case atom.Nav:
		return !p.holdsMain(n)
	case atom.Header, atom.Footer:
		if sectioned {
			return false
		}
		return !p.holdsMain(n) && !elementStats(n).h1
	case atom.Aside:
		if p.holdsMain(n) {
			return false
		}
		s := elementStats(n)
		return role != "" || s.text == 0 || s.link*10 > s.text*3
	}
	if chromeRoles[role] && !p.holdsMain(n) {
		return !elementStats(n).h1
	}
	if n.DataAtom == atom.Form && strings.EqualFold(role, "search") {
		return true
	}
	// Inside a marked main area, "header" and "footer" words name parts of
	// the content (card headers, accordion section headers).
	shallow := p.main == nil && depth <= 5
	if classWords(n, func(w string) bool { return feedbackWords[w] }) && feedbackWidget(n) {
		return true
	}
	if classWords(n, func(w string) bool { return chromeWords[w] || shallow && shallowChromeWords[w] }) {
		if p.holdsMain(n) {
			return false
		}
		s := elementStats(n)
		if s.h1 {
			return false
		}
		// A wrapper named after its sidebar that holds the page's long
		// text is not itself chrome.
		return s.text < 3000 || s.link*2 > s.text
	}
	return false
}

// holdsMain reports whether n contains the main content root.
func (p *pageState) holdsMain(n *html.Node) bool {
	return p.mainPath[n]
}

// renderer turns the element tree into sections.
type renderer struct {
	p       *pageState
	line    lineBuilder
	prefix  string   // list bullet waiting for the item's first line
	text    []string // lines of the current section
	cur     Section
	started bool
	stack   []Section // open headings, outermost first
	pseudo  []bool    // whether each open heading is a pseudo-heading
}

// walkCtx is what the walk knows about an element's ancestors.
type walkCtx struct {
	inMain    bool // inside the main content root
	chrome    bool // inside chrome: only links are collected
	sectioned bool // inside sectioning content (article, section, main...)
	depth     int  // element depth below body
}

// walk renders n's children.
func (r *renderer) walk(n *html.Node, ctx walkCtx) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch c.Type {
		case html.TextNode:
			if ctx.inMain && !ctx.chrome {
				r.line.add(c.Data)
			}
		case html.ElementNode:
			r.element(c, ctx)
		}
	}
}

func (r *renderer) element(n *html.Node, ctx walkCtx) {
	a := n.DataAtom
	if skipTag(a) {
		return
	}
	if n == r.p.main {
		ctx.inMain = true
	}
	inner := ctx // what n's children see
	inner.depth++
	switch a {
	case atom.Article, atom.Section, atom.Main, atom.Aside, atom.Nav:
		inner.sectioned = true
	}
	if n == r.p.main {
		inner.sectioned = true
	}
	if !ctx.inMain && !ctx.chrome {
		if r.p.holdsMain(n) {
			r.walk(n, inner)
			return
		}
		ctx.chrome = true
		inner.chrome = true
	}
	if isHidden(n) && !r.p.controlled[attr(n, "id")] {
		// Hidden menu panels (mega menus) still say where the site's
		// navigation leads; hidden content says nothing.
		if ctx.chrome {
			r.collectNavLinks(n)
		}
		return
	}
	if !ctx.chrome && r.p.isChrome(n, ctx.sectioned, ctx.depth) {
		ctx.chrome = true
		inner.chrome = true
	}
	if ctx.chrome {
		if a == atom.A {
			r.link(n, true)
			return
		}
		r.walk(n, inner)
		return
	}
	switch a {
	case atom.A:
		if r.link(n, false) {
			r.walk(n, inner)
		}
		return
	case atom.Br:
		r.flush()
		return
	case atom.Img, atom.Input, atom.Hr, atom.Wbr:
		return
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		r.heading(n, int(a.String()[1]-'0'))
		return
	case atom.Summary:
		r.heading(n, 0)
		return
	case atom.Button:
		if hasAttr(n, "aria-controls") || hasAttr(n, "aria-expanded") {
			r.heading(n, 0)
		}
		return
	case atom.P:
		if boldOnly(n) {
			r.heading(n, 0)
			return
		}
	case atom.Table:
		if !layoutTable(n) {
			r.table(n)
			return
		}
	case atom.Dl:
		r.definitions(n)
		return
	case atom.Li:
		r.flush()
		r.listItem(n)
		r.walk(n, inner)
		r.flush()
		r.prefix = ""
		return
	case atom.Pre:
		r.flush()
		r.collectLinks(n)
		for _, l := range strings.Split(nodeText(n), "\n") {
			r.line.add(l)
			r.flush()
		}
		return
	}
	if isBlock(a) {
		r.flush()
		r.walk(n, inner)
		r.flush()
		return
	}
	r.walk(n, inner)
}

// listItem starts a list item line with a bullet or its number.
func (r *renderer) listItem(n *html.Node) {
	if n.Parent != nil && n.Parent.DataAtom == atom.Ol {
		i := 1
		for s := n.PrevSibling; s != nil; s = s.PrevSibling {
			if s.Type == html.ElementNode && s.DataAtom == atom.Li {
				i++
			}
		}
		r.prefix = strconv.Itoa(i) + ". "
		return
	}
	r.prefix = "- "
}

// link records a link and reports whether its text belongs to the page
// (false for skip links).
func (r *renderer) link(n *html.Node, chrome bool) bool {
	text := collapse(nodeText(n))
	if text == "" {
		text = collapse(attr(n, "aria-label"))
	}
	if text == "" {
		text = collapse(attr(n, "title"))
	}
	if text == "" {
		walkElements(n, func(c *html.Node) bool {
			if c.DataAtom == atom.Img && text == "" {
				text = collapse(attr(c, "alt"))
			}
			return text == ""
		})
	}
	href := strings.TrimSpace(attr(n, "href"))
	if strings.HasPrefix(href, "#") {
		lt := strings.ToLower(text)
		if strings.HasPrefix(lt, "skip") || strings.HasPrefix(lt, "jump to") || strings.HasPrefix(lt, "back to top") {
			return false
		}
	}
	if href == "" || strings.HasPrefix(href, "#") {
		return true
	}
	u := r.resolve(href)
	if u == "" {
		return true
	}
	l := Link{URL: u, Text: text}
	if chrome {
		r.p.doc.NavLinks = append(r.p.doc.NavLinks, l)
	} else {
		r.p.doc.Links = append(r.p.doc.Links, l)
	}
	return true
}

// resolve makes href absolute against the page and drops its fragment; it
// returns "" for links that are not http(s).
func (r *renderer) resolve(href string) string {
	if s, ok := r.fastResolve(href); ok {
		return s
	}
	var u *url.URL
	var err error
	if r.p.base != nil {
		u, err = r.p.base.Parse(href)
	} else {
		u, err = url.Parse(href)
	}
	if err != nil {
		return ""
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return ""
	}
	u.Fragment = ""
	u.RawFragment = ""
	return u.String()
}

// fastResolve handles the common hrefs, a root-relative path or an
// absolute http(s) URL made of plain characters, without the cost of
// parsing; it reports false for anything else.
func (r *renderer) fastResolve(href string) (string, bool) {
	if i := strings.IndexByte(href, '#'); i >= 0 {
		href = href[:i]
	}
	for i := 0; i < len(href); i++ {
		c := href[i]
		plain := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '/' || c == '-' || c == '_' || c == '=' || c == '&' || c == '?' || c == ':'
		if !plain && c != '.' {
			return "", false
		}
		if c == '.' && (i == 0 || href[i-1] == '/') {
			return "", false // dot segments need resolving
		}
	}
	switch {
	case strings.HasPrefix(href, "https://") || strings.HasPrefix(href, "http://"):
		if strings.Count(href, ":") != 1 || strings.Count(href, "?") > 1 {
			return "", false
		}
		rest := href[strings.Index(href, "//")+2:]
		if rest == "" || rest[0] == '/' || strings.ContainsAny(rest[:strings.IndexAny(rest+"/", "/?")], "&=") {
			return "", false
		}
		if !strings.ContainsAny(rest, "/?") {
			return "", false // net/url decides about a bare host
		}
		// href is a slice of the whole page; a copy lets the page go.
		return strings.Clone(href), true
	case len(href) > 0 && href[0] == '/' && (len(href) == 1 || href[1] != '/'):
		b := r.p.base
		if b == nil || b.Host == "" || (b.Scheme != "http" && b.Scheme != "https") || b.User != nil ||
			strings.Count(href, "?") > 1 || strings.IndexByte(href, ':') >= 0 {
			return "", false
		}
		return b.Scheme + "://" + b.Host + href, true
	}
	return "", false
}

// collectLinks records the links under n as content links.
func (r *renderer) collectLinks(n *html.Node) {
	walkElements(n, func(c *html.Node) bool {
		if skipTag(c.DataAtom) {
			return false
		}
		if c.DataAtom == atom.A {
			r.link(c, false)
			return false
		}
		return true
	})
}

// collectNavLinks records the links under n as chrome links.
func (r *renderer) collectNavLinks(n *html.Node) {
	if n.DataAtom == atom.A {
		r.link(n, true)
		return
	}
	walkElements(n, func(c *html.Node) bool {
		if skipTag(c.DataAtom) {
			return false
		}
		if c.DataAtom == atom.A {
			r.link(c, true)
			return false
		}
		return true
	})
}

// boldOnly reports a short paragraph whose whole text is bold: a heading
// in all but name.
func boldOnly(n *html.Node) bool {
	var bold *html.Node
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch c.Type {
		case html.TextNode:
			if strings.TrimSpace(c.Data) != "" {
				return false
			}
		case html.ElementNode:
			if c.DataAtom == atom.Br {
				continue
			}
			if bold != nil || (c.DataAtom != atom.Strong && c.DataAtom != atom.B) {
				return false
			}
			bold = c
		}
	}
	if bold == nil {
		return false
	}
	t := collapse(nodeText(bold))
	return t != "" && len(t) <= 120
}

// layoutTable reports a table used to lay out a page rather than to hold
// data: it nests tables, headings or long blocks, or says it is
// presentational.
func layoutTable(n *html.Node) bool {
	switch strings.ToLower(attr(n, "role")) {
	case "presentation", "none":
		return true
	}
	layout := false
	walkElements(n, func(c *html.Node) bool {
		switch c.DataAtom {
		case atom.Table, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6,
			atom.Main, atom.Nav, atom.Form, atom.Header, atom.Footer, atom.Article, atom.Section:
			layout = true
		}
		return !layout
	})
	if layout {
		return true
	}
	// No nested tables: cells are disjoint, so measuring them is linear.
	walkElements(n, func(c *html.Node) bool {
		if (c.DataAtom == atom.Td || c.DataAtom == atom.Th) && len(nodeText(c)) > 2000 {
			layout = true
		}
		return !layout && c.DataAtom != atom.Td && c.DataAtom != atom.Th
	})
	return layout
}

// table renders a data table one row a line, cells joined by " | ".
// When the table opens with a header row (every cell a th), each later
// cell is read with its column's header, "Week: 20 | What happens: The
// final plan is issued", as a screen reader announces it: a row on its
// own ("20 | The final plan is issued") loses what its numbers mean.
func (r *renderer) table(n *html.Node) {
	r.flush()
	var header []string
	first := true
	walkElements(n, func(c *html.Node) bool {
		switch c.DataAtom {
		case atom.Caption:
			r.collectLinks(c)
			r.line.add(nodeText(c))
			r.flush()
			return false
		case atom.Tr:
			var cells []string
			allTh := true
			for td := c.FirstChild; td != nil; td = td.NextSibling {
				if td.Type == html.ElementNode && (td.DataAtom == atom.Td || td.DataAtom == atom.Th) {
					if isHidden(td) {
						continue
					}
					r.collectLinks(td)
					cells = append(cells, collapse(nodeText(td)))
					allTh = allTh && td.DataAtom == atom.Th
				}
			}
			for len(cells) > 0 && cells[len(cells)-1] == "" {
				cells = cells[:len(cells)-1]
			}
			if len(cells) == 0 {
				return false
			}
			if first && allTh && len(cells) > 1 {
				header = cells
			} else if header != nil {
				cells = withHeaders(header, cells)
			}
			first = false
			r.line.add(strings.Join(cells, " | "))
			r.flush()
			return false
		}
		return !skipTag(c.DataAtom)
	})
}

// maxHeaderLen is the longest column header a cell is read with; a longer
// "header" is more likely a row of content marked up with th.
const maxHeaderLen = 60

// withHeaders prefixes each non-empty cell with its column's header,
// "Header: cell". A cell that already starts with its header, or whose
// header is empty or long, is left as it is.
func withHeaders(header, cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = c
		if i >= len(header) || c == "" {
			continue
		}
		h := strings.TrimRight(header[i], ": ")
		if h == "" || len(h) > maxHeaderLen || strings.HasPrefix(strings.ToLower(c), strings.ToLower(h)) {
			continue
		}
		out[i] = h + ": " + c
	}
	return out
}

// definitions renders a definition list as "term: description" lines;
// dt and dd may be wrapped in div elements.
func (r *renderer) definitions(n *html.Node) {
	r.flush()
	var term string
	emit := func(dd string) {
		switch {
		case term != "" && dd != "":
			r.line.add(term + ": " + dd)
		case term != "":
			r.line.add(term)
		default:
			r.line.add(dd)
		}
		r.flush()
	}
	pending := false
	var visit func(n *html.Node)
	visit = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode || skipTag(c.DataAtom) || isHidden(c) {
				continue
			}
			switch c.DataAtom {
			case atom.Dt:
				if pending {
					emit("")
				}
				r.collectLinks(c)
				term = collapse(nodeText(c))
				pending = term != ""
			case atom.Dd:
				r.collectLinks(c)
				emit(collapse(nodeText(c)))
				pending = false
			case atom.Div:
				visit(c)
			}
		}
	}
	visit(n)
	if pending {
		emit("")
	}
}

// heading starts a new section. level 0 means a pseudo-heading (summary,
// accordion button, bold paragraph) one level below the open heading.
func (r *renderer) heading(n *html.Node, level int) {
	r.flush()
	r.collectLinks(n)
	text := collapse(nodeText(n))
	if text == "" {
		return
	}
	pseudo := level == 0
	if pseudo {
		// One level below the open real heading; pseudo-headings in a row
		// (FAQ questions, accordion titles) are siblings.
		level = 2
		if n := len(r.stack); n > 0 {
			level = min(r.stack[n-1].Level+1, 6)
			if r.pseudo[n-1] {
				level = r.stack[n-1].Level
			}
		}
	}
	if level == 1 && r.p.firstH1 == "" {
		r.p.firstH1 = text
	}
	r.endSection()
	r.prefix = ""
	for len(r.stack) > 0 && r.stack[len(r.stack)-1].Level >= level {
		r.stack = r.stack[:len(r.stack)-1]
		r.pseudo = r.pseudo[:len(r.pseudo)-1]
	}
	var path []string
	for _, s := range r.stack {
		path = append(path, s.Heading)
	}
	r.cur = Section{Heading: text, Level: level, Path: path}
	r.started = true
	r.stack = append(r.stack, r.cur)
	r.pseudo = append(r.pseudo, pseudo)
}

// flush ends the current line.
func (r *renderer) flush() {
	if r.line.empty() {
		r.line.space = false
		return
	}
	line := r.line.take()
	if r.prefix != "" {
		line = r.prefix + line
		r.prefix = ""
	}
	r.text = append(r.text, line)
	r.started = true
}

// endSection stores the current section if it holds anything.
func (r *renderer) endSection() {
	if r.started && (r.cur.Heading != "" || len(r.text) > 0) {
		r.cur.Text = strings.Join(r.text, "\n")
		r.p.doc.Sections = append(r.p.doc.Sections, r.cur)
		if r.cur.Heading != "" {
			r.p.doc.Headings = append(r.p.doc.Headings, r.cur.Heading)
		}
	}
	r.text = r.text[:0]
	r.cur = Section{}
	r.started = false
}

func (r *renderer) finish() { r.endSection() }
