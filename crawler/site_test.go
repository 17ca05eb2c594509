package crawler

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// request is one request the fixture site answered.
type request struct {
	at          time.Time
	uri         string // path and query as sent
	status      int
	conditional bool
}

// fixtureSite serves testdata/crawl/site with the behaviours a crawler
// meets on real Local Offers: robots.txt with a Crawl-delay, a sitemap, a
// redirect chain and loop, a removed page, a page that answers 503 twice,
// a slow page, an endless calendar, a facet explosion, session ids, a
// windows-1252 page, a PDF, gzip, and ETag/Last-Modified with 304s.
type fixtureSite struct {
	t   testing.TB
	dir string
	srv *httptest.Server

	mu      sync.Mutex
	log     []request
	flaky   int
	slow    time.Duration
	modTime time.Time
}

func newFixtureSite(t testing.TB) *fixtureSite {
	t.Helper()
	s := &fixtureSite{t: t, dir: filepath.Join("..", "testdata", "crawl", "site"), slow: 150 * time.Millisecond,
		modTime: time.Date(2025, 9, 14, 10, 0, 0, 0, time.UTC)}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *fixtureSite) URL() string { return s.srv.URL }

// requests returns a copy of the request log.
func (s *fixtureSite) requests() []request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]request(nil), s.log...)
}

func (s *fixtureSite) resetLog() {
	s.mu.Lock()
	s.log = nil
	s.mu.Unlock()
}

func (s *fixtureSite) serve(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w, status: 200}
	s.route(rec, r)
	s.mu.Lock()
	s.log = append(s.log, request{at: time.Now(), uri: r.URL.RequestURI(), status: rec.status,
		conditional: r.Header.Get("If-None-Match") != "" || r.Header.Get("If-Modified-Since") != ""})
	s.mu.Unlock()
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (s *fixtureSite) route(w http.ResponseWriter, r *http.Request) {
	p := r.URL.EscapedPath()
	switch {
	case p == "/old-guide":
		http.Redirect(w, r, "/old-guide-2", http.StatusMovedPermanently)
		return
	case p == "/old-guide-2":
		http.Redirect(w, r, s.srv.URL+"/new-guide.html", http.StatusFound)
		return
	case p == "/loop-a":
		http.Redirect(w, r, "/loop-b", http.StatusFound)
		return
	case p == "/loop-b":
		http.Redirect(w, r, "/loop-a", http.StatusFound)
		return
	case p == "/flaky.html":
		s.mu.Lock()
		s.flaky++
		n := s.flaky
		s.mu.Unlock()
		if n <= 2 {
			w.Header().Set("Retry-After", "0")
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
	case p == "/slow.html":
		time.Sleep(s.slow)
	case p == "/calendar":
		month := r.URL.Query().Get("month")
		var y, m int
		if _, err := fmt.Sscanf(month, "%d-%d", &y, &m); err != nil {
			y, m = 2025, 6
		}
		next := time.Date(y, time.Month(m)+1, 1, 0, 0, 0, 0, time.UTC)
		prev := time.Date(y, time.Month(m)-1, 1, 0, 0, 0, 0, time.UTC)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<html><body><h1>Events %04d-%02d</h1><a href="/calendar?month=%s">Previous</a> <a href="/calendar?month=%s">Next</a></body></html>`,
			y, m, prev.Format("2006-01"), next.Format("2006-01"))
		return
	case p == "/search":
		s.facets(w, r)
		return
	case p == "/records/service.page":
		id := r.URL.Query().Get("id")
		if _, err := r.Cookie("JSESSIONID"); err != nil {
			http.SetCookie(w, &http.Cookie{Name: "JSESSIONID", Value: "8F3A2B", Path: "/"})
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<html><body><h1>Service %s</h1><a href="/records/list.html;jsessionid=8F3A2B">Back to the list</a></body></html>`, id)
		return
	}
	name := p
	if strings.HasSuffix(name, "/") {
		name += "index.html"
	}
	data, err := os.ReadFile(filepath.Join(s.dir, filepath.FromSlash(path.Clean(name))))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if p == "/sitemap.xml" {
		data = bytes.ReplaceAll(data, []byte("{{BASE}}"), []byte(s.srv.URL))
	}
	ct := mime.TypeByExtension(path.Ext(name))
	switch path.Ext(name) {
	case ".html":
		ct = "text/html"
		if !bytes.Contains(data, []byte("windows-1252")) {
			ct = "text/html; charset=utf-8"
		}
	case ".txt":
		ct = "text/plain; charset=utf-8"
	case ".xml":
		ct = "application/xml"
	}
	sum := sha256.Sum256(data)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	w.Header().Set("Content-Type", ct)
	w.Header().Set("ETag", etag)
	w.Header().Set("Last-Modified", s.modTime.Format(http.TimeFormat))
	if inm := r.Header.Get("If-None-Match"); inm != "" && inm == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if strings.HasPrefix(ct, "text/") && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		zw.Write(data)
		zw.Close()
		return
	}
	w.Write(data)
}

// facets answers /search with links that add every other filter: an
// unbounded space of near-duplicate listings.
func (s *fixtureSite) facets(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	var b strings.Builder
	b.WriteString("<html><body><h1>Search</h1><ul>")
	for _, c := range []string{"Health", "Education", "Social care", "Leisure", "Transport", "Advice"} {
		nq := cloneQuery(q)
		nq.Add("category", c)
		fmt.Fprintf(&b, `<li><a href="/search?%s">%s</a></li>`, nq.Encode(), c)
	}
	for _, a := range []string{"0-5", "5-11", "11-16", "16-25"} {
		nq := cloneQuery(q)
		nq.Set("age", a)
		fmt.Fprintf(&b, `<li><a href="/search?%s">Ages %s</a></li>`, nq.Encode(), a)
	}
	nq := cloneQuery(q)
	nq.Set("sort", "name")
	fmt.Fprintf(&b, `<li><a href="/search?%s">Sort by name</a></li>`, nq.Encode())
	b.WriteString("</ul></body></html>")
	w.Write([]byte(b.String()))
}

func cloneQuery(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// gzipBombServer serves a small gzip body that inflates to 16 MiB of
// zeros, labelled as HTML.
func gzipBombServer(t testing.TB) string {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zeros := make([]byte, 1<<20)
	for i := 0; i < 16; i++ {
		zw.Write(zeros)
	}
	zw.Close()
	bomb := buf.Bytes()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(bomb)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
