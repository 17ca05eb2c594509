package demo_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/localoffer/localoffer"
	"github.com/localoffer/localoffer/demo"
)

func TestEmbeddedSites(t *testing.T) {
	sites, err := demo.LoadSites(localoffer.DemoSites(), ".")
	if err != nil {
		t.Fatal(err)
	}
	if len(sites) != 3 {
		t.Fatalf("got %d demo sites, want 3", len(sites))
	}
	pdfs, cp1252 := 0, 0
	for _, s := range sites {
		if n := len(s.Pages); n < 15 || n > 30 {
			t.Errorf("%s has %d pages, want 15 to 30", s.Slug, n)
		}
		for _, p := range s.Pages {
			if p.Kind == "pdf" {
				pdfs++
			}
			if p.Charset == "windows-1252" {
				cp1252++
			}
		}
	}
	if pdfs == 0 || cp1252 == 0 {
		t.Errorf("demo sites have %d PDFs and %d windows-1252 pages, want at least one of each", pdfs, cp1252)
	}
}

func get(t *testing.T, url string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestServe(t *testing.T) {
	sites, err := demo.LoadSites(localoffer.DemoSites(), ".")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := demo.Start(sites, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if !strings.HasPrefix(srv.URLs[0], "http://127.0.0.1:") {
		t.Fatalf("site URL %s is not on loopback", srv.URLs[0])
	}
	var fell, merrow string
	for i, s := range sites {
		switch s.Slug {
		case "fellside":
			fell = srv.URLs[i]
		case "merrow-bridge":
			merrow = srv.URLs[i]
		}
	}

	resp, body := get(t, fell+"/robots.txt")
	if resp.StatusCode != 200 || !strings.Contains(body, "Disallow: /send-local-offer/drafts/") || !strings.Contains(body, "Sitemap: "+fell+"/sitemap.xml") {
		t.Errorf("robots.txt = %d %q", resp.StatusCode, body)
	}
	_, body = get(t, fell+"/sitemap.xml")
	if !strings.Contains(body, "<loc>"+fell+"/send-local-offer/funding/top-up-funding</loc>") || strings.Contains(body, "drafts") {
		t.Errorf("sitemap.xml misses a page or lists an unlisted one:\n%s", body)
	}

	resp, body = get(t, fell+"/send-local-offer/funding/top-up-funding")
	if resp.StatusCode != 200 || !strings.Contains(body, "<h1>Top-up funding for schools and settings</h1>") ||
		!strings.Contains(body, `<nav class="main-nav"`) || !strings.Contains(body, "Page last updated: 30 June 2025") {
		t.Fatalf("page = %d, body lacks heading, nav or footer:\n%s", resp.StatusCode, body)
	}
	etag, lm := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	if etag == "" || lm == "" {
		t.Fatalf("no validators: ETag %q, Last-Modified %q", etag, lm)
	}
	if resp, _ := get(t, fell+"/send-local-offer/funding/top-up-funding", "If-None-Match", etag); resp.StatusCode != 304 {
		t.Errorf("If-None-Match answered %d, want 304", resp.StatusCode)
	}
	if resp, _ := get(t, fell+"/send-local-offer/funding/top-up-funding", "If-Modified-Since", lm); resp.StatusCode != 304 {
		t.Errorf("If-Modified-Since answered %d, want 304", resp.StatusCode)
	}
	if resp, _ := get(t, fell+"/send-local-offer/funding/top-up-funding", "If-None-Match", `"other"`); resp.StatusCode != 200 {
		t.Errorf("stale If-None-Match answered %d, want 200", resp.StatusCode)
	}

	resp, body = get(t, fell+"/send-local-offer/documents/parents-guide.pdf")
	if resp.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(body, "%PDF-1.4") || !strings.Contains(body, "SENDIASS") {
		t.Errorf("PDF = %s, starts %q", resp.Header.Get("Content-Type"), body[:min(20, len(body))])
	}

	resp, body = get(t, merrow+"/directory/advice.page?id=schools")
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=windows-1252" {
		t.Errorf("windows-1252 page Content-Type = %q", ct)
	}
	if !strings.Contains(body, "SENCO first \x96 they") || !strings.Contains(body, "\x93SEN support\x94") {
		t.Errorf("windows-1252 page is not encoded in windows-1252")
	}

	resp, _ = get(t, fell+"/localoffer")
	if resp.Request.URL.Path != "/send-local-offer" {
		t.Errorf("redirect led to %s", resp.Request.URL)
	}
	if resp, _ := get(t, fell+"/no-such-page"); resp.StatusCode != 404 {
		t.Errorf("missing page answered %d", resp.StatusCode)
	}
	cfg := srv.Config(0)
	if len(cfg.Authorities) != 3 || cfg.Authorities[0].StartURLs[0] != srv.URLs[0]+sites[0].StartPath {
		t.Errorf("Config() = %+v", cfg.Authorities)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("Config() does not validate: %v", err)
	}
}

func TestLoadSite_Errors(t *testing.T) {
	site := `{"slug":"x","name":"X","start_path":"/"}`
	tests := []struct {
		name string
		fs   fstest.MapFS
		want string
	}{
		{"no site.json", fstest.MapFS{"x/pages/index.txt": {Data: []byte("title: A\n---\nA")}}, "site.json"},
		{"bad json", fstest.MapFS{"x/site.json": {Data: []byte("{")}}, "site.json"},
		{"no header end", fstest.MapFS{"x/site.json": {Data: []byte(site)}, "x/pages/index.txt": {Data: []byte("title: A\nA")}}, `no "---"`},
		{"bad date", fstest.MapFS{"x/site.json": {Data: []byte(site)}, "x/pages/index.txt": {Data: []byte("title: A\nmodified: soon\n---\nA")}}, "not a date"},
		{"unknown key", fstest.MapFS{"x/site.json": {Data: []byte(site)}, "x/pages/index.txt": {Data: []byte("title: A\ncolour: red\n---\nA")}}, "unknown key"},
		{"no start page", fstest.MapFS{"x/site.json": {Data: []byte(site)}, "x/pages/other.txt": {Data: []byte("title: A\n---\nA")}}, "no page at start_path"},
		{"duplicate path", fstest.MapFS{"x/site.json": {Data: []byte(site)}, "x/pages/index.txt": {Data: []byte("title: A\n---\nA")}, "x/pages/b.txt": {Data: []byte("title: B\npath: /\n---\nB")}}, "used twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := demo.LoadSite(tt.fs, "x")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("LoadSite err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}
