package crawler

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/store"
)

// testConfig returns an authority list with one authority whose start
// URL is start, and the given extra crawl settings (YAML flow mapping
// entries).
func testConfig(t testing.TB, start, crawl string) (*config.Config, config.Authority) {
	t.Helper()
	if !strings.Contains(crawl, "timeout:") {
		crawl += ", timeout: 5s"
	}
	yaml := fmt.Sprintf(`user_agent: "localoffer-test/1.0 (+https://example.org/crawler)"
crawl: {delay: 1ms%s}
authorities:
  - slug: fixture
    name: Fixture Council
    start_urls: [%q]
`, crawl, start)
	cfg, err := config.Parse("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return cfg, cfg.Authorities[0]
}

func openStore(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "crawl.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func testOptions() Options {
	return Options{BackoffBase: 5 * time.Millisecond, BatchInterval: 20 * time.Millisecond}
}

// snapshots returns the crawl's snapshots by URL.
func snapshots(t testing.TB, db *store.DB, crawlID string) map[string]*store.Snapshot {
	t.Helper()
	out := map[string]*store.Snapshot{}
	if err := db.CrawlSnapshots(crawlID, func(s *store.Snapshot) error {
		out[s.URL] = s
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCrawlFixtureSite(t *testing.T) {
	site := newFixtureSite(t)
	db := openStore(t)
	cfg, a := testConfig(t, site.URL()+"/", "")
	var progress []Progress
	o := testOptions()
	o.Progress = func(p Progress) { progress = append(progress, p) }
	rec, err := Run(context.Background(), db, cfg, a, o)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != store.CrawlDone {
		t.Fatalf("status %s (%s), want done", rec.Status, rec.Error)
	}
	reqs := site.requests()
	if len(reqs) == 0 || reqs[0].uri != "/robots.txt" {
		t.Fatalf("first request %v, want /robots.txt", reqs)
	}

	// Politeness: Crawl-delay 0.02 applies between requests (one at a time).
	for i := 1; i < len(reqs); i++ {
		// The log time is when the answer was complete; the next request
		// may start only Crawl-delay after that.
		if gap := reqs[i].at.Sub(reqs[i-1].at); gap < 19*time.Millisecond {
			t.Errorf("requests %s and %s only %v apart, want >= 20ms (Crawl-delay)", reqs[i-1].uri, reqs[i].uri, gap)
		}
	}

	count := map[string]int{}
	for _, r := range reqs {
		count[r.uri]++
		if strings.Contains(strings.ToLower(r.uri), "jsessionid") || strings.Contains(r.uri, "PHPSESSID") {
			t.Errorf("request with a session id: %s", r.uri)
		}
		if strings.HasPrefix(r.uri, "/private/") && !strings.HasPrefix(r.uri, "/private/public-") {
			t.Errorf("robots.txt disallows %s but it was fetched", r.uri)
		}
		for _, never := range []string{"/logo.png", "slaction", "print=1"} {
			if strings.Contains(r.uri, never) {
				t.Errorf("fetched %s, which must never be fetched", r.uri)
			}
		}
	}
	for uri, n := range count {
		if n > 1 && uri != "/flaky.html" {
			t.Errorf("%s fetched %d times, want once", uri, n)
		}
	}
	if count["/flaky.html"] != 3 {
		t.Errorf("/flaky.html fetched %d times, want 3 (two 503s, then the page)", count["/flaky.html"])
	}
	for _, want := range []string{"/", "/about.html", "/sitemap-only.html", "/sitemap.xml", "/old-guide", "/old-guide-2", "/new-guide.html",
		"/loop-a", "/loop-b", "/missing.html", "/slow.html", "/guide.pdf", "/paying-for-care.html", "/private/public-summary.html",
		"/records/service.page?id=1", "/records/service.page?id=2", "/records/service.page?id=3", "/accessibility.html"} {
		if count[want] == 0 {
			t.Errorf("%s was never fetched", want)
		}
	}
	cal, facets := 0, 0
	for uri := range count {
		if strings.HasPrefix(uri, "/calendar") {
			cal++
		}
		if strings.HasPrefix(uri, "/search") {
			facets++
		}
	}
	if cal == 0 || cal > maxCalendarVariants+1 {
		t.Errorf("%d calendar pages fetched, want 1..%d", cal, maxCalendarVariants+1)
	}
	if facets == 0 || facets > maxFacetVariants+1 {
		t.Errorf("%d search pages fetched, want 1..%d", facets, maxFacetVariants+1)
	}

	snaps := snapshots(t, db, rec.ID)
	base := site.URL()
	get := func(p string) *store.Snapshot {
		s := snaps[base+p]
		if s == nil {
			t.Fatalf("no snapshot of %s", p)
		}
		return s
	}
	if s := get("/paying-for-care.html"); s.Charset != "windows-1252" {
		t.Errorf("charset of the windows-1252 page = %q", s.Charset)
	}
	if s := get("/guide.pdf"); s.Kind != "pdf" || s.Size == 0 {
		t.Errorf("guide.pdf: kind %q size %d", s.Kind, s.Size)
	}
	home := get("/")
	body, err := db.Body(home.SHA256)
	if err != nil || !strings.Contains(string(body), "<h1>SEND Local Offer</h1>") {
		t.Errorf("home body (served gzipped) not stored decompressed: %v %.60q", err, body)
	}
	links := map[string]store.Link{}
	for _, l := range home.Links {
		links[l.URL] = l
	}
	if l := links[base+"/about.html"]; !l.Nav || l.Text != "About the Local Offer" || !l.InScope {
		t.Errorf("nav link to about.html = %+v", l)
	}
	if l := links[base+"/missing.html"]; l.Nav || l.Text == "" {
		t.Errorf("body link to missing.html = %+v", l)
	}
	if l := links["http://elsewhere.example/ipsea"]; l.InScope || l.Text != "IPSEA advice line" {
		t.Errorf("external link = %+v", l)
	}
	if l := links["mailto:localoffer@example.gov.uk"]; l.Text == "" {
		t.Errorf("mailto link not recorded: %+v", home.Links)
	}
	if l := links[base+"/accessibility.html"]; !l.Nav {
		t.Errorf("footer link not marked nav: %+v", l)
	}
	if s := get("/old-guide"); s.Kind != "redirect" || s.FinalURL != base+"/old-guide-2" || s.Status != 301 {
		t.Errorf("/old-guide snapshot %+v", s)
	}
	if s := get("/missing.html"); s.Status != 404 || s.Error == "" {
		t.Errorf("/missing.html snapshot status %d error %q", s.Status, s.Error)
	}
	if s := get("/flaky.html"); s.Status != 200 || s.Kind != "html" {
		t.Errorf("/flaky.html after retries: %d %s", s.Status, s.Kind)
	}

	// Counts and the decision log.
	c := rec.Counts
	if c.Documents != 1 || c.Pages < 15 || c.Robots != 1 || c.OutOfScope < 2 || c.Traps == 0 || c.Errors["http 404"] != 1 || c.Bytes == 0 {
		t.Errorf("counts %+v", c)
	}
	for _, tc := range []struct{ url, decision, detail string }{
		{base + "/private/secret.html", store.DecisionRobots, "Disallow: /private/"},
		{"http://elsewhere.example/ipsea", store.DecisionOutOfScope, "not configured"},
		{"http://10.0.0.1/intranet", store.DecisionOutOfScope, "private"},
		{base + "/directory/service.action?id=1&slaction=ADD", store.DecisionExcluded, "state"},
		{base + "/logo.png", store.DecisionSkipped, ".png"},
		{base + "/search?category=Health&sort=name", store.DecisionTrap, "re-orders"},
		{base + "/about.html", store.DecisionFetched, ""},
		{base + "/old-guide", store.DecisionRedirect, "/old-guide-2"},
		{base + "/missing.html", store.DecisionError, "404"},
	} {
		e, err := db.CrawlDecision(rec.ID, tc.url)
		if err != nil {
			t.Errorf("decision about %s: %v", tc.url, err)
			continue
		}
		if e.Decision != tc.decision || !strings.Contains(e.Detail, tc.detail) {
			t.Errorf("decision about %s = %s %q, want %s containing %q", tc.url, e.Decision, e.Detail, tc.decision, tc.detail)
		}
	}
	if len(progress) == 0 || !progress[len(progress)-1].Finished || progress[len(progress)-1].Queued != 0 {
		t.Errorf("progress reports %+v", progress)
	}
}

func TestRecrawlIsConditional(t *testing.T) {
	site := newFixtureSite(t)
	site.slow = 0
	db := openStore(t)
	cfg, a := testConfig(t, site.URL()+"/", "")
	if _, err := Run(context.Background(), db, cfg, a, testOptions()); err != nil {
		t.Fatal(err)
	}
	site.resetLog()
	rec, err := Run(context.Background(), db, cfg, a, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	files, notModified := 0, 0
	for _, r := range site.requests() {
		// Every file the site serves with validators must come back 304.
		p, _, _ := strings.Cut(r.uri, "?")
		if strings.HasSuffix(p, ".html") && !strings.HasPrefix(p, "/records/") && p != "/missing.html" || strings.HasSuffix(p, ".pdf") || p == "/robots.txt" || p == "/sitemap.xml" || p == "/" {
			files++
			if !r.conditional || r.status != 304 {
				t.Errorf("re-crawl of %s: conditional=%v status %d, want a 304", r.uri, r.conditional, r.status)
			}
		}
		if r.status == 304 {
			notModified++
		}
	}
	if files < 12 {
		t.Fatalf("only %d file requests in the re-crawl", files)
	}
	if rec.Counts.NotModified < 11 || rec.Counts.Pages < 15 {
		t.Errorf("re-crawl counts %+v", rec.Counts)
	}
	// Permanent redirects are remembered; temporary ones asked again.
	n := map[string]int{}
	for _, r := range site.requests() {
		n[r.uri]++
	}
	if n["/old-guide"] != 0 || n["/old-guide-2"] != 1 || n["/new-guide.html"] != 1 {
		t.Errorf("re-crawl requests: /old-guide %d (301, want 0), /old-guide-2 %d (302, want 1), /new-guide.html %d (want 1)",
			n["/old-guide"], n["/old-guide-2"], n["/new-guide.html"])
	}
	if s := snapshots(t, db, rec.ID)[site.URL()+"/old-guide"]; s == nil || !s.Remembered || s.FinalURL != site.URL()+"/old-guide-2" {
		t.Errorf("remembered redirect snapshot %+v", s)
	}
	// A 304 reuses the previous capture, links and all.
	snaps := snapshots(t, db, rec.ID)
	home := snaps[site.URL()+"/"]
	if home == nil || !home.NotModified || home.SHA256 == "" || len(home.Links) == 0 || home.Status != 200 {
		t.Fatalf("home in the re-crawl: %+v", home)
	}
}

func TestUnreachableHost(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	db := openStore(t)
	cfg, a := testConfig(t, "http://"+addr+"/local-offer", "")
	rec, err := Run(context.Background(), db, cfg, a, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != store.CrawlFailed || rec.Error == "" {
		t.Fatalf("status %s error %q, want failed with a reason", rec.Status, rec.Error)
	}
	if rec.Counts.Errors["refused"] != 1 {
		t.Errorf("errors %v, want one refused (robots.txt)", rec.Counts.Errors)
	}
	e, err := db.CrawlDecision(rec.ID, "http://"+addr+"/local-offer")
	if err != nil || e.Decision != store.DecisionRobots || !strings.Contains(e.Detail, "unreachable") {
		t.Errorf("decision about the start URL: %+v %v", e, err)
	}
}

func TestCancelThenResume(t *testing.T) {
	site := newFixtureSite(t)
	site.slow = 0
	db := openStore(t)
	cfg, a := testConfig(t, site.URL()+"/", "")
	ctx, cancel := context.WithCancel(context.Background())
	o := testOptions()
	o.Progress = func(p Progress) {
		if p.Done >= 8 {
			cancel()
		}
	}
	o.BatchSize = 1
	rec, err := Run(ctx, db, cfg, a, o)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != store.CrawlInterrupted {
		t.Fatalf("status %s, want interrupted", rec.Status)
	}
	first := snapshots(t, db, rec.ID)
	if len(first) < 8 {
		t.Fatalf("%d snapshots committed before the cancel", len(first))
	}
	site.resetLog()

	resumed, err := Run(context.Background(), db, cfg, a, Options{Resume: true, BackoffBase: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if resumed.ID != rec.ID || resumed.Status != store.CrawlDone {
		t.Fatalf("resumed crawl %s status %s, want %s done", resumed.ID, resumed.Status, rec.ID)
	}
	for _, r := range site.requests() {
		u := site.URL() + r.uri
		if s, ok := first[u]; ok && s.Kind != "error" && r.uri != "/flaky.html" {
			t.Errorf("%s was completed before the cancel but fetched again", r.uri)
		}
	}
	all := snapshots(t, db, rec.ID)
	for _, p := range []string{"/", "/about.html", "/sitemap-only.html", "/guide.pdf", "/new-guide.html", "/records/service.page?id=3"} {
		if all[site.URL()+p] == nil {
			t.Errorf("resumed crawl never got %s", p)
		}
	}
}

func TestSizeLimitAndGzipBomb(t *testing.T) {
	site := newFixtureSite(t)
	db := openStore(t)
	// index.html is about 1.7 KB; cut at 600 bytes.
	cfg, a := testConfig(t, site.URL()+"/", ", max_page_bytes: 600, max_pages: 1")
	rec, err := Run(context.Background(), db, cfg, a, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	s := snapshots(t, db, rec.ID)[site.URL()+"/"]
	if s == nil || !s.Truncated || s.Size != 600 {
		t.Fatalf("home snapshot %+v, want truncated at 600", s)
	}
	if rec.Counts.Traps == 0 {
		t.Errorf("max_pages 1 cut nothing: %+v", rec.Counts)
	}

	// A gzip bomb: 1 GB of zeros compressed is about 1 MB; reading stops
	// at max_page_bytes.
	f := (&crawl{ctx: context.Background(), set: config.Settings{Timeout: 5 * time.Second}, client: newClient(config.Settings{Timeout: 5 * time.Second}, &scope{}, true), agent: "t"})
	srv := gzipBombServer(t)
	got := f.get(srv+"/bomb", nil, 1<<20, false)
	if got.err != nil || !got.truncated || len(got.body) != 1<<20 {
		t.Fatalf("gzip bomb: err %v truncated %v len %d", got.err, got.truncated, len(got.body))
	}
}

func TestScopeAndTraps(t *testing.T) {
	a := config.Authority{Slug: "x", StartURLs: []string{"https://www.example.gov.uk/send"}, HomeURL: "https://example.gov.uk/", AllowedHosts: []string{"docs.example.org", "127.0.0.1:9000"}}
	for _, tc := range []struct {
		url  string
		want bool
	}{
		{"https://www.example.gov.uk/a", true},
		{"http://www.example.gov.uk/a", true},
		{"https://example.gov.uk/b", true},
		{"https://docs.example.org:8443/c.pdf", true},
		{"http://127.0.0.1:9000/", true},
		{"http://127.0.0.1:9001/", false},
		{"https://evil.example.gov.uk.attacker.net/", false},
	} {
		if got := InScope(a, tc.url); got != tc.want {
			t.Errorf("InScope(%s) = %v, want %v", tc.url, got, tc.want)
		}
	}
	if trapShape("/a/b/a/b/a/b/a/b/") == "" {
		t.Error("repeated segments not taken for a trap")
	}
	if trapShape("/send/local-offer/early-years") != "" {
		t.Error("ordinary path taken for a trap")
	}
	sc := &scope{}
	for _, u := range []string{"https://h/kb5/x/directory/service.action?id=1&slaction=ADD", "https://h/basket", "https://h/logout", "https://h/page?print=1", "https://h/news/email-this-page/"} {
		if sc.excluded(u) == "" {
			t.Errorf("%s not excluded", u)
		}
	}
	for _, u := range []string{"https://h/send/printing-support", "https://h/register-office", "https://h/kb5/x/service.page?id=1"} {
		if why := sc.excluded(u); why != "" {
			t.Errorf("%s excluded: %s", u, why)
		}
	}
	for q, lookup := range map[string]bool{"id=Xy12abC": true, "page=7": true, "serviceid=123": true, "id=1&x=2": false, "category=Health": false, "month=2025-06": false, "q=speech+therapy": false} {
		if got := shapeOf(q).lookup; got != lookup {
			t.Errorf("shapeOf(%q).lookup = %v, want %v", q, got, lookup)
		}
	}
	for q, cal := range map[string]bool{"month=2025-06": true, "date=2025-06-01": true, "id=1234567": false, "page=2": false, "from=2025/06/01": true} {
		if got := shapeOf(q).calendar; got != cal {
			t.Errorf("shapeOf(%q).calendar = %v, want %v", q, got, cal)
		}
	}
}

func TestParseHTMLLinks(t *testing.T) {
	page := []byte(`<html><head><base href="/sub/"><meta name="robots" content="index, nofollow"></head><body>
<div role="navigation"><a href="a.html">A <b>bold</b>
 link</a></div>
<p><a href="b.html" aria-label="Label B"></a><a href="c.html"><img src="x.png" alt="Picture C"></a></p>
<footer><p>Foot <a href="d.html">D</a></footer>
<a href="e.html">E<script>var x = "<a href='nope.html'>"</script></a>
</body></html>`)
	p := parseHTML(page)
	if p.base != "/sub/" || !p.nofollow {
		t.Errorf("base %q nofollow %v", p.base, p.nofollow)
	}
	var got []string
	for _, l := range p.links {
		got = append(got, fmt.Sprintf("%s|%s|%v", l.href, l.text, l.nav))
	}
	want := []string{"a.html|A bold link|true", "b.html|Label B|false", "c.html|Picture C|false", "d.html|D|true", "e.html|E|false"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("links:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	base := pageBase(&url.URL{Scheme: "http", Host: "h", Path: "/x/y.html"}, p.base)
	if n, _ := resolve(base, "a.html"); n != "http://h/sub/a.html" {
		t.Errorf("resolve against base = %s", n)
	}
}

func TestParseSitemap(t *testing.T) {
	pages, maps, err := parseSitemap([]byte(`<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc> http://h/s1.xml </loc></sitemap><sitemap><loc>http://h/s2.xml.gz</loc></sitemap></sitemapindex>`))
	if err != nil || len(pages) != 0 || strings.Join(maps, ",") != "http://h/s1.xml,http://h/s2.xml.gz" {
		t.Errorf("index: %v %v %v", pages, maps, err)
	}
	pages, maps, err = parseSitemap([]byte(`<urlset><url><loc>http://h/a</loc></url><url><loc>http://h/b?x=1&amp;y=2</loc></url></urlset>`))
	sort.Strings(pages)
	if err != nil || len(maps) != 0 || strings.Join(pages, ",") != "http://h/a,http://h/b?x=1&y=2" {
		t.Errorf("urlset: %v %v %v", pages, maps, err)
	}
	if _, _, err := parseSitemap([]byte(`<html><body>not a sitemap</body></html>`)); err == nil {
		t.Error("an HTML page parsed as a sitemap")
	}
}

func TestGroupsShareNoHost(t *testing.T) {
	as := []config.Authority{
		{Slug: "a", StartURLs: []string{"https://search3.openobjects.com/kb5/a/home.page"}},
		{Slug: "b", StartURLs: []string{"https://www.b.gov.uk/send"}},
		{Slug: "c", StartURLs: []string{"https://search3.openobjects.com/kb5/c/home.page"}},
		{Slug: "d", StartURLs: []string{"http://127.0.0.1:18000/"}},
		{Slug: "e", StartURLs: []string{"http://127.0.0.1:18001/"}, AllowedHosts: []string{"www.b.gov.uk"}},
	}
	var got []string
	for _, g := range Groups(as) {
		var names []string
		for _, a := range g {
			names = append(names, a.Slug)
		}
		got = append(got, strings.Join(names, "+"))
	}
	if strings.Join(got, " ") != "a+c b+e d" {
		t.Errorf("Groups = %v, want [a+c b+e d]", got)
	}
}
