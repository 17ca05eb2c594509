package crawler

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// hostileSite is a fault-injecting fixture server: one small, well-formed
// Local Offer (the home page and goodPages pages that must all be crawled)
// with a link to every kind of broken or hostile response a council's site,
// a misconfigured proxy or an attacker could send.
type hostileSite struct {
	srv *httptest.Server
	// other is a second server reached only through a redirect to another
	// host name; any request to it is a crawler leaving its scope.
	other *httptest.Server

	mu   sync.Mutex
	hits map[string]int

	// robots chooses the robots.txt: "ok", "html", "huge", "500".
	robots string
	// sitemap chooses the sitemap: "none", "million", "bomb".
	sitemap string
	// slowEvery is the gap between bytes of the slowloris page.
	slowEvery time.Duration
}

const goodPages = 6

// hostilePaths are the pages behind faults, linked from the home page. Each
// must end as an error (or a recorded non-document) and never stop the
// crawl.
var hostilePaths = []string{
	"/reset", "/truncated-gzip", "/gzip-bomb", "/huge", "/slow",
	"/loop/0", "/to-private", "/bad-utf8", "/wrong-charset", "/fake.pdf",
	"/deep", "/bad-length", "/empty-reply",
}

// oddLinks are hrefs that must never be fetched.
var oddLinks = []string{
	"javascript:alert(document.cookie)", "JaVaScRiPt:void(0)", "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
	"mailto:send@la.test", "tel:+441234567890", "file:///etc/passwd", "ftp://la.test/x", "vbscript:msgbox(1)",
	"about:blank", "blob:http://la.test/x", "ws://la.test/socket", "//[::1", "http://%zz/", "http://", " ",
}

func newHostileSite(t testing.TB) *hostileSite {
	h := &hostileSite{hits: map[string]int{}, robots: "ok", sitemap: "none", slowEvery: 200 * time.Millisecond}
	h.other = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.count("other:" + r.URL.Path)
		fmt.Fprint(w, "<html><body>private</body></html>")
	}))
	h.srv = httptest.NewServer(h)
	t.Cleanup(func() {
		h.srv.CloseClientConnections()
		h.srv.Close()
		h.other.Close()
	})
	return h
}

// URL is the site's home page.
func (h *hostileSite) URL() string { return h.srv.URL + "/" }

func (h *hostileSite) count(p string) {
	h.mu.Lock()
	h.hits[p]++
	h.mu.Unlock()
}

// Hits returns how often path was requested.
func (h *hostileSite) Hits(path string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.hits[path]
}

// TotalHits returns the number of requests whose path starts with prefix.
func (h *hostileSite) TotalHits(prefix string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for p, c := range h.hits {
		if strings.HasPrefix(p, prefix) {
			n += c
		}
	}
	return n
}

func page(title, body string) string {
	return "<!doctype html><html lang=en><head><meta charset=utf-8><title>" + title +
		"</title></head><body><main><h1>" + title + "</h1>" + body + "</main></body></html>"
}

func (h *hostileSite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	h.count(p)
	switch {
	case p == "/":
		var b strings.Builder
		b.WriteString("<p>Our SEND Local Offer explains support for children and young people with special educational needs.</p><ul>")
		for i := 1; i <= goodPages; i++ {
			fmt.Fprintf(&b, `<li><a href="/good/%d">Good page %d</a></li>`, i, i)
		}
		for _, hp := range hostilePaths {
			fmt.Fprintf(&b, `<li><a href="%s">%s</a></li>`, hp, hp)
		}
		for _, l := range oddLinks {
			fmt.Fprintf(&b, `<li><a href="%s">odd</a></li>`, strings.ReplaceAll(l, `"`, "&quot;"))
		}
		b.WriteString("</ul>")
		io.WriteString(w, page("SEND Local Offer", b.String()))
	case strings.HasPrefix(p, "/good/"):
		n, _ := strconv.Atoi(strings.TrimPrefix(p, "/good/"))
		if n < 1 || n > goodPages {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, page(fmt.Sprintf("Good page %d", n), "<p>Early years support, EHC needs assessment and the graduated approach: assess, plan, do, review.</p>"))
	case p == "/robots.txt":
		h.serveRobots(w)
	case p == "/sitemap.xml":
		h.serveSitemap(w)
	case p == "/reset":
		// Headers and half a body, then a TCP reset.
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Length", "100000")
		w.WriteHeader(200)
		io.WriteString(w, "<html><body><p>partial")
		w.(http.Flusher).Flush()
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				tc.SetLinger(0)
			}
			conn.Close()
		}
	case p == "/empty-reply":
		// The connection closes before any response.
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	case p == "/bad-length":
		// Content-Length promises more than is sent, then the
		// connection closes.
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Length", "5000")
		w.WriteHeader(200)
		io.WriteString(w, "<html><body>short")
		w.(http.Flusher).Flush()
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	case p == "/truncated-gzip":
		full := gzipBytes([]byte(page("Truncated", strings.Repeat("<p>words words words</p>", 2000))))
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Encoding", "gzip")
		w.WriteHeader(200)
		w.Write(full[:len(full)/2])
	case p == "/gzip-bomb":
		// 1 GiB of zeros behind about 1 MB on the wire: one gzip member
		// of 8 MiB of zeros repeated 128 times (gzip readers read
		// concatenated members as one stream).
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Encoding", "gzip")
		w.WriteHeader(200)
		m := zeroMember()
		for i := 0; i < 128; i++ {
			if _, err := w.Write(m); err != nil {
				return
			}
		}
	case p == "/huge":
		// A 1 GiB page, streamed; the crawler must stop reading at its
		// size limit, never hold it all.
		const size = 1 << 30
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Length", strconv.Itoa(size))
		w.WriteHeader(200)
		chunk := bytes.Repeat([]byte("<p>local offer </p>\n"), 1<<12)
		for sent := 0; sent < size; sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	case p == "/slow":
		// Slowloris: a byte at a time, for ever, until the client gives up.
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(200)
		tick := time.NewTicker(h.slowEvery)
		defer tick.Stop()
		for {
			select {
			case <-r.Context().Done():
				return
			case <-tick.C:
				if _, err := w.Write([]byte("<")); err != nil {
					return
				}
				w.(http.Flusher).Flush()
			}
		}
	case strings.HasPrefix(p, "/loop/"):
		n, _ := strconv.Atoi(strings.TrimPrefix(p, "/loop/"))
		http.Redirect(w, r, fmt.Sprintf("/loop/%d", n+1), http.StatusFound)
	case p == "/to-private":
		// A redirect off the site to a private address (here loopback
		// under another name; in production an internal host or the
		// cloud metadata address).
		http.Redirect(w, r, strings.Replace(h.other.URL, "127.0.0.1", "localhost", 1)+"/latest/meta-data/", http.StatusFound)
	case p == "/bad-utf8":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, page("Bad \xff\xfe UTF-8", "<p>Special educational needs \xc3\x28 \xa0\xa1 \xf0\x28\x8c\xbc support \xed\xa0\x80</p>"))
	case p == "/wrong-charset":
		// Says Shift_JIS in the header, UTF-8 in a meta tag, and is
		// really windows-1252.
		w.Header().Set("Content-Type", "text/html; charset=shift_jis")
		io.WriteString(w, "<html><head><meta charset=utf-8><title>Caf\xe9 na\xefve</title></head><body><p>Parents\x92 guide \x96 SEND \x93support\x94</p></body></html>")
	case p == "/fake.pdf":
		w.Header().Set("Content-Type", "application/pdf")
		io.WriteString(w, "%PDF-1.7\n1 0 obj << /Length 99999999 >> stream\n\x00\x01garbage, not a PDF at all"+strings.Repeat("\xff", 1000))
	case p == "/deep":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		const depth = 100000
		io.WriteString(w, "<html><body>")
		io.WriteString(w, strings.Repeat("<div>", depth))
		io.WriteString(w, "<p>deep SEND local offer text</p>")
		io.WriteString(w, strings.Repeat("</div>", depth))
		io.WriteString(w, "</body></html>")
	default:
		http.NotFound(w, r)
	}
}

func (h *hostileSite) serveRobots(w http.ResponseWriter) {
	switch h.robots {
	case "html":
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, page("Welcome", "<p>User-agent: * Disallow: / is not what this page means</p><a href=\"/good/1\">x</a>"))
	case "huge":
		// 5 MB: a real group at the top, then junk. Parsers must read a
		// bounded prefix (RFC 9309 asks for at least 500 KiB).
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "User-agent: *\nDisallow: /never/\n")
		line := "# " + strings.Repeat("x", 98) + "\n"
		for n := 0; n < 5<<20; n += len(line) {
			if _, err := io.WriteString(w, line); err != nil {
				return
			}
		}
	case "500":
		http.Error(w, "server error", http.StatusInternalServerError)
	default:
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "User-agent: *\nDisallow: /never/\nSitemap: "+h.srv.URL+"/sitemap.xml\n")
	}
}

func (h *hostileSite) serveSitemap(w http.ResponseWriter) {
	switch h.sitemap {
	case "million":
		// A million URLs, generated as they are sent.
		w.Header().Set("Content-Type", "application/xml")
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">`+"\n")
		var b []byte
		for i := 0; i < 1_000_000; i++ {
			b = fmt.Appendf(b[:0], "<url><loc>%s/gen/%d</loc></url>\n", h.srv.URL, i)
			if _, err := w.Write(b); err != nil {
				return
			}
		}
		io.WriteString(w, "</urlset>\n")
	case "bomb":
		// Billion laughs: entities that expand to gigabytes.
		w.Header().Set("Content-Type", "application/xml")
		var b strings.Builder
		b.WriteString(`<?xml version="1.0"?>` + "\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n")
		prev := "lol"
		for i := 1; i <= 9; i++ {
			name := fmt.Sprintf("lol%d", i)
			fmt.Fprintf(&b, "<!ENTITY %s \"%s\">\n", name, strings.Repeat("&"+prev+";", 10))
			prev = name
		}
		b.WriteString("]>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"><url><loc>" + h.srv.URL + "/good/1&lol9;</loc></url></urlset>\n")
		io.WriteString(w, b.String())
	default:
		http.NotFound(w, nil)
	}
}

var (
	zeroOnce sync.Once
	zeroGz   []byte
)

// zeroMember is one gzip member holding 8 MiB of zeros (about 8 KB).
func zeroMember() []byte {
	zeroOnce.Do(func() {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(make([]byte, 8<<20))
		zw.Close()
		zeroGz = buf.Bytes()
	})
	return zeroGz
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}
