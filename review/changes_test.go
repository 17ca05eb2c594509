package review

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/localoffer/localoffer/changes"
	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/evidence"
	"github.com/localoffer/localoffer/pipeline"
	"github.com/localoffer/localoffer/store"
)

// newEHCPage is brackenfield's EHC page as the second crawl finds it: the
// reply time changed and a paragraph was added whose text (not markup)
// carries a script, as a hostile or careless page could.
const newEHCPage = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Requesting an EHC needs assessment | Brackenfield Local Offer</title></head>
<body>
<header><nav><a href="/send/local-offer">Local Offer home</a></nav></header>
<main>
<h1>Requesting an EHC needs assessment</h1>
<p>Parents, young people and schools can ask the council for an Education, Health and Care (EHC) needs assessment.
Fill in the request form and send it to the SEND Assessment Team; we reply within 4 weeks.</p>
<p>New online form: &lt;script&gt;alert("diff")&lt;/script&gt; is not code here.</p>
<div>Contact the SEND team on 01234 567890.</div>
</main>
</body>
</html>`

// recrawl is what seedRecrawl made.
type recrawl struct {
	run                *store.Run
	oldCrawl, newCrawl string
	// newEHC is the second capture of the EHC page; gradItem an item on
	// the graduated approach page, which the second crawl found gone.
	newEHC   string
	gradItem string
}

// seedRecrawl accepts brackenfield's EHC evidence and fixes its
// sub-section's score, then runs the pipeline as a scheduled run does,
// with a crawl step that stores the site as it now is: the EHC page
// changed, the graduated approach page answers 404, the rest unchanged.
// The pipeline compares the crawls and marks the evidence stale.
func seedRecrawl(t *testing.T, f *fixture) recrawl {
	t.Helper()
	db := f.db
	var rc recrawl
	old, err := db.LatestCrawl("brackenfield")
	if err != nil {
		t.Fatal(err)
	}
	rc.oldCrawl = old.ID
	if _, err := db.UpdateItem("reviewer1", "brackenfield", f.itemEHC, func(it *evidence.Item) (string, error) {
		it.Status = evidence.Accepted
		return "accept", nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SaveDecision("reviewer1", "brackenfield", "general.graduated", 0, "set score", func(d *evidence.Decision) error {
		d.FinalScore, d.Reviewed, d.ReviewedBy = evidence.Yes, true, "reviewer1"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	items, err := db.Items("brackenfield", "general.graduated")
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if strings.HasSuffix(it.URL, "/graduated-approach") {
			rc.gradItem = it.ID
		}
	}
	if rc.gradItem == "" {
		t.Fatal("the fixture has no item on the graduated approach page")
	}
	a, _ := f.cfg.Authority("brackenfield")
	crawl := func(ctx context.Context, db *store.DB, cfg *config.Config, a config.Authority, runID string) (*store.Crawl, error) {
		cr := &store.Crawl{Authority: a.Slug, Started: f.now, RunID: runID}
		if err := db.CreateCrawl(cr); err != nil {
			return nil, err
		}
		put := func(path string, status int, kind, ctype string, body []byte) error {
			u := "https://brackenfield.example" + path
			sn := &store.Snapshot{CrawlID: cr.ID, Authority: a.Slug, URL: u, FinalURL: u, Status: status, ContentType: ctype, Kind: kind, CapturedAt: f.now.Add(time.Minute)}
			if err := db.PutSnapshot(sn, body); err != nil {
				return err
			}
			if strings.HasSuffix(path, "ehc-needs-assessment") {
				rc.newEHC = sn.ID
			}
			return nil
		}
		html := "text/html; charset=utf-8"
		for _, p := range []struct {
			path        string
			status      int
			kind, ctype string
			body        []byte
		}{
			{"/send/local-offer/ehc-needs-assessment", 200, "html", html, []byte(newEHCPage)},
			{"/send/local-offer/graduated-approach", 404, "other", html, []byte("<h1>Page not found</h1>")},
			{"/css/site.css", 200, "other", "text/css", readTestdata(t, "site.css")},
			{"/docs/local-offer-annual-report.pdf", 200, "pdf", "application/pdf", testPDF("Local Offer annual report 2025", "You said the page on short breaks was hard to find, so we moved it to the front page.")},
		} {
			if err := put(p.path, p.status, p.kind, p.ctype, p.body); err != nil {
				return nil, err
			}
		}
		cr.Status, cr.Ended = store.CrawlDone, f.now.Add(2*time.Minute)
		cr.Counts.Pages, cr.Counts.Documents = 2, 1
		cr.Counts.Errors = map[string]int{"404": 1}
		return cr, db.UpdateCrawl(cr)
	}
	assess := func(ctx context.Context, db *store.DB, cfg *config.Config, r *config.Rubric, a config.Authority) (int, error) {
		return 0, nil
	}
	rc.run, err = pipeline.Run(context.Background(), db, f.cfg, f.rubric, []config.Authority{a}, pipeline.Options{Trigger: store.TriggerSchedule, Crawl: crawl, Assess: assess})
	if err != nil {
		t.Fatal(err)
	}
	if len(rc.run.Authorities) != 1 || rc.run.Authorities[0].Error != "" {
		t.Fatalf("run = %+v", rc.run)
	}
	rc.newCrawl = rc.run.Authorities[0].CrawlID
	return rc
}

func TestChangesPages(t *testing.T) {
	f := newFixture(t)
	rc := seedRecrawl(t, f)
	ra := rc.run.Authorities[0]
	if ra.Changed != 1 || ra.Removed != 1 || ra.Stale == 0 || ra.ReReview != 1 {
		t.Fatalf("the run found %+v; want 1 changed, 1 removed, stale items and 1 re-review", ra)
	}
	for _, tc := range []struct {
		name, target string
		want         []string
		notWant      []string
	}{
		{"run history", "/runs", []string{
			">" + rc.run.ID + "<", "schedule", "Brackenfield Borough Council", ">" + rc.newCrawl + "<",
			`href="/a/brackenfield/changes?from=` + rc.oldCrawl + `&amp;to=` + rc.newCrawl + `"`,
			"1 score needs re-review",
		}, nil},
		{"run history of one authority", "/runs?la=fellside", []string{"Fellside Council"}, []string{">" + rc.run.ID + "<"}},
		{"what changed", "/a/brackenfield/changes", []string{
			"Crawl " + rc.oldCrawl, "crawl " + rc.newCrawl,
			"https://brackenfield.example/send/local-offer/ehc-needs-assessment",
			"now answers HTTP 404", "Needs re-review", "Evidence marked stale",
			`href="/a/brackenfield/items/` + f.itemEHC + `/changes"`,
			`/a/brackenfield/diff?old=` + f.snapEHC + `&amp;new=` + rc.newEHC,
		}, nil},
		{"what changed between chosen crawls", "/a/brackenfield/changes?from=" + rc.oldCrawl + "&to=" + rc.newCrawl, []string{"now answers HTTP 404"}, nil},
		{"one crawl only", "/a/fellside/changes", []string{"only one finished crawl"}, []string{"Old beside new"}},
		{"page diff", "/a/brackenfield/diff?old=" + f.snapEHC + "&new=" + rc.newEHC, []string{
			"Old capture", "New capture", "/snapshot/" + f.snapEHC, "/snapshot/" + rc.newEHC,
			`<del><span class="visually-hidden">Removed: </span>`, `<ins><span class="visually-hidden">Added: </span>`,
			"we reply within 6 weeks", "we reply within 4 weeks",
			`New online form: &lt;script&gt;alert(&#34;diff&#34;)&lt;/script&gt;`,
			`<td class="diff__sign" aria-hidden="true">&#43;</td>`, `<td class="diff__sign" aria-hidden="true">−</td>`,
		}, []string{`<script>alert("diff")`}},
		{"stale accepted item", "/a/brackenfield/items/" + f.itemEHC + "/changes", []string{
			"Stale", "page changed in crawl " + rc.newCrawl, "accepted evidence",
			"/snapshot/" + f.snapEHC + "?item=" + f.itemEHC, "we reply within 4 weeks",
		}, []string{`<script>alert("diff")`, `<script>alert("item")`}},
		{"stale item on a removed page", "/a/brackenfield/items/" + rc.gradItem + "/changes", []string{
			"The page answered HTTP 404: it has been removed.", "lines removed",
		}, nil},
		{"authority page links", "/a/brackenfield", []string{
			`href="/a/brackenfield/items/` + f.itemEHC + `/changes"`, `What changed on the site`,
		}, nil},
		{"dashboard link", "/", []string{`href="/a/brackenfield/changes"`}, []string{`href="/a/fellside/changes"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := f.do("GET", tc.target, "viewer1", nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("GET %s = %d\n%s", tc.target, rec.Code, rec.Body)
			}
			body := rec.Body.String()
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("GET %s lacks %q", tc.target, w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(body, w) {
					t.Errorf("GET %s has %q", tc.target, w)
				}
			}
		})
	}
}

// TestChangesDashboardFilter checks that evidence marked stale by a run
// brings its authority under the dashboard's "stale" filter, and the
// others not.
func TestChangesDashboardFilter(t *testing.T) {
	f := newFixture(t)
	rec := f.do("GET", "/?show=stale", "viewer1", nil)
	if strings.Contains(rec.Body.String(), `href="/a/brackenfield"`) {
		t.Fatal("brackenfield shows under the stale filter before any change")
	}
	seedRecrawl(t, f)
	rec = f.do("GET", "/?show=stale", "viewer1", nil)
	body := rec.Body.String()
	if !strings.Contains(body, `href="/a/brackenfield"`) || strings.Contains(body, `href="/a/fellside"`) {
		t.Errorf("stale filter after the run shows the wrong authorities:\n%s", body)
	}
	if !strings.Contains(body, "needs re-review") {
		t.Error("the dashboard does not say the fixed score needs re-review")
	}
}

func TestChangesBadRequests(t *testing.T) {
	f := newFixture(t)
	rc := seedRecrawl(t, f)
	for _, tc := range []struct {
		target string
		code   int
	}{
		{"/a/brackenfield/diff", http.StatusBadRequest},
		{"/a/brackenfield/diff?old=" + f.snapEHC, http.StatusBadRequest},
		{"/a/brackenfield/diff?old=" + f.snapEHC + "&new=999999", http.StatusNotFound},
		// a capture of another authority
		{"/a/fellside/diff?old=" + f.snapEHC + "&new=" + rc.newEHC, http.StatusNotFound},
		{"/a/brackenfield/changes?from=999999", http.StatusNotFound},
		{"/a/brackenfield/changes?from=" + rc.newCrawl + "&to=" + rc.newCrawl, http.StatusBadRequest},
		{"/a/nowhere/changes", http.StatusNotFound},
		{"/a/brackenfield/items/nosuchitem/changes", http.StatusNotFound},
		{"/runs?la=nowhere", http.StatusOK},
	} {
		rec := f.do("GET", tc.target, "viewer1", nil)
		if rec.Code != tc.code {
			t.Errorf("GET %s = %d, want %d", tc.target, rec.Code, tc.code)
		}
	}
}

// TestChangesReadOnly checks that the history pages offer a viewer
// nothing to post and that a viewer's post to them is refused.
func TestChangesReadOnly(t *testing.T) {
	f := newFixture(t)
	rc := seedRecrawl(t, f)
	for _, target := range []string{"/runs", "/a/brackenfield/changes", "/a/brackenfield/items/" + f.itemEHC + "/changes", "/a/brackenfield/diff?old=" + f.snapEHC + "&new=" + rc.newEHC} {
		rec := f.do("GET", target, "viewer1", nil)
		if n := strings.Count(rec.Body.String(), `method="post"`); n != 1 { // the sign-out form
			t.Errorf("GET %s as a viewer has %d post forms, want only sign-out", target, n)
		}
		if rec := f.do("POST", target, "viewer1", nil); rec.Code != http.StatusMethodNotAllowed && rec.Code != http.StatusNotFound {
			t.Errorf("POST %s = %d, want it refused", target, rec.Code)
		}
	}
	// A viewer may read stale evidence but not accept it.
	if rec := f.do("POST", "/a/brackenfield/items/"+f.itemEHC+"/reject", "viewer1", nil); rec.Code != http.StatusForbidden {
		t.Errorf("viewer rejecting stale evidence = %d, want 403", rec.Code)
	}
}

func TestHunks(t *testing.T) {
	for _, tc := range []struct {
		name     string
		old, new string
		want     []string // headers
		signs    string
	}{
		{"one change in the middle", "a\nb\nc\nd\ne\nf\ng\nh\ni", "a\nb\nc\nd\nE\nf\ng\nh\ni", []string{"Old lines 2–8, new lines 2–8"}, "   −+   "},
		{"two far apart", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12", "x\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\ny", []string{"Old lines 1–4, new lines 1–4", "Old lines 9–12, new lines 9–12"}, "−+   " + "   −+"},
		{"all new", "", "a\nb", []string{"Old lines none, new lines 1–2"}, "++"},
		{"nothing changed", "a\nb", "a\nb", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hs, trunc := hunks(changes.Diff(tc.old, tc.new), 3, 100)
			if trunc {
				t.Fatal("truncated")
			}
			var heads []string
			signs := ""
			for _, h := range hs {
				heads = append(heads, h.Header)
				for _, l := range h.Lines {
					if l.Sign == "" {
						signs += " "
					} else {
						signs += l.Sign
					}
				}
			}
			if strings.Join(heads, "|") != strings.Join(tc.want, "|") {
				t.Errorf("headers = %q, want %q", heads, tc.want)
			}
			if signs != tc.signs {
				t.Errorf("signs = %q, want %q", signs, tc.signs)
			}
		})
	}
	// A long rewrite is cut at the limit and says so.
	var a, b []string
	for i := range 50 {
		a = append(a, "old "+string(rune('a'+i%26)))
		b = append(b, "new "+string(rune('a'+i%26)))
	}
	hs, trunc := hunks(changes.Diff(strings.Join(a, "\n"), strings.Join(b, "\n")), 3, 30)
	if !trunc || len(hs) != 1 || len(hs[0].Lines) != 30 {
		t.Errorf("limit 30: truncated=%v, %d hunks", trunc, len(hs))
	}
}

// TestChangesBrowser opens the history pages in a real Chromium under the
// UI's content security policy and keeps screenshots of them (see the
// -screenshots flag).
func TestChangesBrowser(t *testing.T) {
	f := newFixture(t)
	rc := seedRecrawl(t, f)
	ts := httptest.NewServer(f.srv.Handler())
	defer ts.Close()
	ctx, cancel := newBrowser(t)
	defer cancel()
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 1000),
		chromedp.Navigate(ts.URL+"/runs"),
		chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), "viewer1"),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Submit(chromedp.ID("password")),
		chromedp.WaitVisible(chromedp.ID("runs")),
	)
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	for _, pg := range []struct{ name, path, ready string }{
		{"runs", "/runs", "#runs"},
		{"changes", "/a/brackenfield/changes", "#pages"},
		{"item-diff", "/a/brackenfield/items/" + f.itemEHC + "/changes", "table.diff"},
		{"page-diff", "/a/brackenfield/diff?old=" + f.snapEHC + "&new=" + rc.newEHC, "table.diff"},
	} {
		if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+pg.path), chromedp.WaitVisible(chromedp.CSS(pg.ready))); err != nil {
			t.Fatalf("open %s: %v", pg.path, err)
		}
		// The stylesheet loaded under the policy: the diff's rows are tinted.
		if pg.ready == "table.diff" {
			bg, err := evalString(ctx, `getComputedStyle(document.querySelector(".diff__row--ins")).backgroundColor`)
			if err != nil || bg == "" || bg == "rgba(0, 0, 0, 0)" {
				t.Errorf("%s: added lines have background %q (%v): the diff's stylesheet did not load", pg.path, bg, err)
			}
		}
		shot(t, ctx, "changes-"+pg.name)
	}
}

// bigSite stores two finished crawls of fellside with pages HTML pages
// each, sharing a header and footer; every twentieth page changed its
// text in the second, and the last one vanished. It returns the old and
// new capture of the first changed page.
func bigSite(b *testing.B, f *fixture, pages int) (oldSnap, newSnap string) {
	for c := range 2 {
		cr := &store.Crawl{Authority: "fellside", Started: f.now.Add(time.Duration(c) * time.Hour)}
		if err := f.db.CreateCrawl(cr); err != nil {
			b.Fatal(err)
		}
		var caps []store.Capture
		for i := range pages {
			if c == 1 && i == pages-1 {
				continue
			}
			u := fmt.Sprintf("https://fellside.example/localoffer/page-%d", i)
			text := fmt.Sprintf("Page %d of the Local Offer describes short breaks, transport and support for families.", i)
			if c == 1 && i%20 == 0 {
				text += " Updated: the panel now meets every two weeks."
			}
			body := fmt.Sprintf(`<!DOCTYPE html><html lang="en"><head><title>Page %d | Fellside</title></head><body>
<header><nav><a href="/">Home</a> <a href="/localoffer">Local Offer</a> <a href="/contact">Contact us</a></nav></header>
<main><h1>Page %d</h1><p>%s</p><p>Call 01234 567890 for help.</p></main>
<footer><p>Fellside Council, Town Hall. Cookies. Accessibility statement.</p></footer></body></html>`, i, i, text)
			sn := &store.Snapshot{CrawlID: cr.ID, Authority: "fellside", URL: u, FinalURL: u, Status: 200, ContentType: "text/html; charset=utf-8", Kind: "html", CapturedAt: cr.Started}
			caps = append(caps, store.Capture{Snapshot: sn, Body: []byte(body)})
		}
		if err := f.db.PutSnapshots(caps); err != nil {
			b.Fatal(err)
		}
		for _, cp := range caps {
			if strings.HasSuffix(cp.Snapshot.URL, "/page-0") {
				if c == 0 {
					oldSnap = cp.Snapshot.ID
				} else {
					newSnap = cp.Snapshot.ID
				}
			}
		}
		cr.Status, cr.Ended, cr.Counts.Pages = store.CrawlDone, cr.Started.Add(time.Minute), len(caps)
		if err := f.db.UpdateCrawl(cr); err != nil {
			b.Fatal(err)
		}
	}
	return oldSnap, newSnap
}

// BenchmarkChangesPage renders what changed between two 1,000-page crawls
// (50 pages changed, one removed); the site's chrome is learnt once and
// then remembered.
func BenchmarkChangesPage(b *testing.B) {
	f := newFixture(b)
	bigSite(b, f, 1000)
	benchGet(b, f, "/a/fellside/changes")
}

// BenchmarkPageDiffCold renders one page's diff after forgetting the
// site's chrome each time: the wait of the first diff a reviewer opens.
func BenchmarkPageDiffCold(b *testing.B) {
	f := newFixture(b)
	o, n := bigSite(b, f, 1000)
	ck, _ := f.session("viewer1")
	h := f.srv.Handler()
	b.ReportAllocs()
	for b.Loop() {
		siteTexts.Lock()
		siteTexts.keys, siteTexts.m = nil, map[string]changes.TextFunc{}
		siteTexts.Unlock()
		req := httptest.NewRequest("GET", diffURL("fellside", o, n), nil)
		req.AddCookie(ck)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "every two weeks") {
			b.Fatalf("diff = %d", rec.Code)
		}
	}
}

// BenchmarkPageDiffWarm renders the same diff with the chrome remembered.
func BenchmarkPageDiffWarm(b *testing.B) {
	f := newFixture(b)
	o, n := bigSite(b, f, 1000)
	benchGet(b, f, diffURL("fellside", o, n))
}
