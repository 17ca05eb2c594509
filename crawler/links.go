package crawler

import (
	"bytes"
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// rawLink is a link as found in a page, before resolution.
type rawLink struct {
	href string
	text string
	nav  bool
}

// parsedPage is what the crawler needs from an HTML page.
type parsedPage struct {
	links []rawLink
	// base is the <base href>, if any.
	base string
	// nofollow is set by <meta name="robots" content="nofollow">.
	nofollow bool
}

// maxAnchorText bounds the anchor text kept per link.
const maxAnchorText = 300

// navRoles are ARIA landmark roles that mark site chrome.
var navRoles = map[string]bool{"navigation": true, "banner": true, "contentinfo": true}

var voidElements = map[atom.Atom]bool{
	atom.Area: true, atom.Base: true, atom.Br: true, atom.Col: true, atom.Embed: true,
	atom.Hr: true, atom.Img: true, atom.Input: true, atom.Link: true, atom.Meta: true,
	atom.Source: true, atom.Track: true, atom.Wbr: true, atom.Param: true,
}

// parseHTML extracts links (with anchor text and whether they sit in a
// nav, header or footer element or landmark), the base URL and the
// robots meta directives. It streams tokens rather than building a tree,
// which keeps a fast crawl's memory flat.
func parseHTML(body []byte) parsedPage {
	var p parsedPage
	z := html.NewTokenizer(bytes.NewReader(body))
	type open struct {
		a   atom.Atom
		tag string
		nav bool
	}
	var stack []open
	navDepth := 0
	var cur *rawLink
	var text strings.Builder
	skipText := 0 // inside script/style
	finish := func() {
		if cur == nil {
			return
		}
		t := strings.Join(strings.Fields(text.String()), " ")
		if t != "" {
			cur.text = truncate(t, maxAnchorText)
		}
		p.links = append(p.links, *cur)
		cur = nil
		text.Reset()
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			finish()
			return p
		case html.TextToken:
			if cur != nil && skipText == 0 && text.Len() < maxAnchorText*2 {
				text.Write(z.Text())
				text.WriteByte(' ')
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			var attrs map[string]string
			if hasAttr {
				attrs = map[string]string{}
				for {
					k, v, more := z.TagAttr()
					attrs[string(k)] = string(v)
					if !more {
						break
					}
				}
			}
			isNav := a == atom.Nav || a == atom.Header || a == atom.Footer || navRoles[strings.ToLower(attrs["role"])]
			switch a {
			case atom.A, atom.Area:
				if a == atom.A {
					finish()
				}
				if href, ok := attrs["href"]; ok {
					l := rawLink{href: href, nav: navDepth > 0 || isNav}
					if a == atom.Area || tt == html.SelfClosingTagToken {
						l.text = firstNonEmpty(attrs["aria-label"], attrs["title"], attrs["alt"])
						p.links = append(p.links, l)
					} else {
						cur = &l
						if t := firstNonEmpty(attrs["aria-label"], attrs["title"]); t != "" {
							// Replaced by the element's own text, if it has any.
							cur.text = t
						}
					}
				}
			case atom.Img:
				if cur != nil && attrs["alt"] != "" {
					text.WriteString(attrs["alt"])
					text.WriteByte(' ')
				}
			case atom.Iframe, atom.Frame:
				if src := attrs["src"]; src != "" {
					p.links = append(p.links, rawLink{href: src, nav: navDepth > 0, text: attrs["title"]})
				}
			case atom.Base:
				if p.base == "" {
					p.base = attrs["href"]
				}
			case atom.Meta:
				name := strings.ToLower(attrs["name"])
				content := strings.ToLower(attrs["content"])
				if name == "robots" && (strings.Contains(content, "nofollow") || strings.Contains(content, "none")) {
					p.nofollow = true
				}
				if strings.EqualFold(attrs["http-equiv"], "refresh") {
					if i := strings.Index(content, "url="); i >= 0 {
						raw := attrs["content"][i+4:]
						p.links = append(p.links, rawLink{href: strings.Trim(strings.TrimSpace(raw), `'"`), text: "(refresh)"})
					}
				}
			case atom.Script, atom.Style, atom.Template:
				if tt == html.StartTagToken {
					skipText++
				}
			}
			if tt == html.StartTagToken && !voidElements[a] {
				stack = append(stack, open{a: a, tag: string(name), nav: isNav})
				if isNav {
					navDepth++
				}
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if a == atom.A {
				finish()
			}
			if a == atom.Script || a == atom.Style || a == atom.Template {
				if skipText > 0 {
					skipText--
				}
			}
			// Pop to the matching open element, closing what the page
			// left open inside it.
			for i := len(stack) - 1; i >= 0 && i >= len(stack)-64; i-- {
				if stack[i].tag == string(name) {
					for _, o := range stack[i:] {
						if o.nav {
							navDepth--
						}
					}
					stack = stack[:i]
					break
				}
			}
		}
	}
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut]
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// pageBase returns the URL relative links of a page resolve against.
func pageBase(final *url.URL, base string) *url.URL {
	if base == "" {
		return final
	}
	b, err := url.Parse(strings.TrimSpace(base))
	if err != nil {
		return final
	}
	return final.ResolveReference(b)
}
