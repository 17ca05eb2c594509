package demo

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/text/encoding/charmap"
)

// Handler serves the site. Requests are counted in Requests and Conditional.
type Handler struct {
	Site *Site
	// Requests counts every request; NotModified those answered 304.
	Requests    atomic.Int64
	NotModified atomic.Int64
	// Delay is added before each answer, to look like a real server.
	Delay time.Duration
}

// NewHandler returns a handler serving s.
func NewHandler(s *Site) *Handler { return &Handler{Site: s} }

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.Requests.Add(1)
	if h.Delay > 0 {
		time.Sleep(h.Delay)
	}
	w.Header().Set("Server", "demo-council-cms")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	s := h.Site
	key := r.URL.Path
	if r.URL.RawQuery != "" {
		key += "?" + r.URL.RawQuery
	}
	switch r.URL.Path {
	case "/robots.txt":
		robots := s.Robots
		if !strings.Contains(strings.ToLower(robots), "sitemap:") {
			robots += "\nSitemap: " + baseURL(r) + "/sitemap.xml\n"
		}
		h.send(w, r, "text/plain; charset=utf-8", []byte(robots), time.Time{})
		return
	case "/sitemap.xml":
		h.send(w, r, "application/xml", h.sitemap(baseURL(r)), time.Time{})
		return
	}
	if to, ok := s.Redirects[key]; ok {
		http.Redirect(w, r, to, http.StatusMovedPermanently)
		return
	}
	p, ok := s.Pages[key]
	if !ok && strings.HasSuffix(key, "/") && key != "/" {
		p, ok = s.Pages[strings.TrimSuffix(key, "/")]
	}
	if !ok {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		w.Write(h.layout(&Page{Title: "Page not found", Body: "# Page not found\nSorry, we could not find that page. It may have been moved or deleted.\n\n[Go to the home page](/)", Charset: "utf-8"}))
		return
	}
	if p.Kind == "pdf" {
		h.send(w, r, "application/pdf", PDF(p.Title, plainText(p.Body)), p.Modified)
		return
	}
	body := h.layout(p)
	ct := "text/html; charset=utf-8"
	if p.Charset == "windows-1252" {
		enc, err := charmap.Windows1252.NewEncoder().Bytes(body)
		if err != nil {
			http.Error(w, "page cannot be encoded in windows-1252: "+err.Error(), http.StatusInternalServerError)
			return
		}
		body, ct = enc, "text/html; charset=windows-1252"
	}
	h.send(w, r, ct, body, p.Modified)
}

// send answers with body, or 304 when the client's validators match.
func (h *Handler) send(w http.ResponseWriter, r *http.Request, ct string, body []byte, mod time.Time) {
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	w.Header().Set("ETag", etag)
	if !mod.IsZero() {
		w.Header().Set("Last-Modified", mod.UTC().Format(http.TimeFormat))
	}
	w.Header().Set("Cache-Control", "no-cache")
	notModified := false
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for _, t := range strings.Split(inm, ",") {
			t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
			if t == etag || t == "*" {
				notModified = true
			}
		}
	} else if ims := r.Header.Get("If-Modified-Since"); ims != "" && !mod.IsZero() {
		if t, err := http.ParseTime(ims); err == nil && !mod.Truncate(time.Second).After(t) {
			notModified = true
		}
	}
	if notModified {
		h.NotModified.Add(1)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	w.Write(body)
}

func baseURL(r *http.Request) string { return "http://" + r.Host }

func (h *Handler) sitemap(base string) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">` + "\n")
	for _, path := range h.Site.Paths() {
		p := h.Site.Pages[path]
		if !p.Sitemap {
			continue
		}
		fmt.Fprintf(&b, "  <url><loc>%s%s</loc><lastmod>%s</lastmod></url>\n", base, html.EscapeString(path), p.Modified.Format("2006-01-02"))
	}
	b.WriteString("</urlset>\n")
	return []byte(b.String())
}

// layout wraps a page in the site's chrome: skip link, cookie banner,
// header, navigation, breadcrumbs, and a footer with the update date.
func (h *Handler) layout(p *Page) []byte {
	s := h.Site
	var b strings.Builder
	charset := "utf-8"
	if p.Charset == "windows-1252" {
		charset = "windows-1252"
	}
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"%s\">\n<title>%s - %s</title>\n", charset, html.EscapeString(p.Title), html.EscapeString(s.Name))
	b.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n</head>\n<body>\n")
	b.WriteString("<a class=\"skip\" href=\"#main\">Skip to main content</a>\n")
	b.WriteString("<div class=\"cookie-banner\" role=\"region\" aria-label=\"Cookies\"><p>We use some essential cookies to make this website work. We would also like to set analytics cookies to understand how you use the site.</p><button>Accept analytics cookies</button> <button>Reject analytics cookies</button>")
	if _, ok := s.Pages["/cookies"]; ok {
		b.WriteString(" <a href=\"/cookies\">View cookies</a>")
	}
	b.WriteString("</div>\n")
	fmt.Fprintf(&b, "<header class=\"site-header\"><a class=\"logo\" href=\"/\">%s</a><p class=\"tagline\">%s</p>\n", html.EscapeString(s.Name), html.EscapeString(s.Tagline))
	b.WriteString("<form class=\"search\" action=\"/search\" method=\"get\"><label for=\"q\">Search this site</label><input id=\"q\" name=\"q\"><button>Search</button></form>\n</header>\n")
	b.WriteString("<nav class=\"main-nav\" aria-label=\"Main\"><ul>\n")
	for _, l := range s.Nav {
		fmt.Fprintf(&b, "<li><a href=\"%s\">%s</a></li>\n", html.EscapeString(l[1]), html.EscapeString(l[0]))
	}
	b.WriteString("</ul></nav>\n")
	if p.Parent != "" {
		parent := s.Pages[p.Parent]
		ptitle := p.Parent
		if parent != nil {
			ptitle = parent.Title
		}
		fmt.Fprintf(&b, "<nav class=\"breadcrumb\" aria-label=\"Breadcrumb\"><ol><li><a href=\"/\">Home</a></li><li><a href=\"%s\">%s</a></li><li>%s</li></ol></nav>\n", html.EscapeString(p.Parent), html.EscapeString(ptitle), html.EscapeString(p.Title))
	}
	b.WriteString("<main id=\"main\">\n")
	b.WriteString(renderBody(p.Body))
	b.WriteString("</main>\n<footer class=\"site-footer\">\n")
	fmt.Fprintf(&b, "<p class=\"updated\">Page last updated: %s</p>\n<ul>\n", p.Modified.Format("2 January 2006"))
	for _, l := range s.Footer {
		fmt.Fprintf(&b, "<li><a href=\"%s\">%s</a></li>\n", html.EscapeString(l[1]), html.EscapeString(l[0]))
	}
	fmt.Fprintf(&b, "</ul>\n<p>© %d %s. All rights reserved.</p>\n</footer>\n</body>\n</html>\n", p.Modified.Year(), html.EscapeString(s.Name))
	return []byte(b.String())
}
