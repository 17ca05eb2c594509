package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/evidence"
	"github.com/localoffer/localoffer/extract"
	"github.com/localoffer/localoffer/store"
)

var update = flag.Bool("update", false, "rewrite testdata/assess/got.golden with this run's assessment")

const fixtureHost = "http://farrowdale.test"

// fixtureAuthority is the fictional council of testdata/assess.
var fixtureAuthority = config.Authority{
	Slug:      "farrowdale",
	Name:      "Farrowdale Borough Council",
	StartURLs: []string{fixtureHost + "/send/local-offer"},
	HomeURL:   fixtureHost + "/",
}

// pathOf maps a fixture file to the URL path it is served at:
// index.html is "/", send/local-offer.html is "/send/local-offer".
func pathOf(rel string) string {
	p := "/" + strings.TrimSuffix(filepath.ToSlash(rel), ".html")
	if p == "/index" {
		return "/"
	}
	return p
}

// crawlFixture stores the HTML files under dir as one finished crawl of
// the fixture authority, with the links each page holds (menu links marked
// as navigation), as the crawler would. skip names paths left out (pages
// that vanished), and edit rewrites a page's body before it is stored.
func crawlFixture(t testing.TB, db *store.DB, dir string, skip map[string]bool, edit func(path string, body []byte) []byte) *store.Crawl {
	t.Helper()
	c := &store.Crawl{Authority: fixtureAuthority.Slug}
	if err := db.CreateCrawl(c); err != nil {
		t.Fatal(err)
	}
	var caps []store.Capture
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".html") {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		p := pathOf(rel)
		if skip[p] {
			return nil
		}
		body, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if edit != nil {
			body = edit(p, body)
		}
		u := fixtureHost + p
		snap := &store.Snapshot{CrawlID: c.ID, Authority: c.Authority, URL: u, FinalURL: u, Status: 200,
			ContentType: "text/html; charset=utf-8", Kind: "html"}
		doc, err := extract.HTML(body, snap.ContentType, u)
		if err != nil {
			return err
		}
		for _, l := range doc.Links {
			snap.Links = append(snap.Links, store.Link{URL: resolve(u, l.URL), Text: l.Text, InScope: true})
		}
		for _, l := range doc.NavLinks {
			snap.Links = append(snap.Links, store.Link{URL: resolve(u, l.URL), Text: l.Text, InScope: true, Nav: true})
		}
		caps = append(caps, store.Capture{Snapshot: snap, Body: body})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PutSnapshots(caps); err != nil {
		t.Fatal(err)
	}
	c.Status = store.CrawlDone
	c.Counts.Pages = len(caps)
	if err := db.UpdateCrawl(c); err != nil {
		t.Fatal(err)
	}
	return c
}

func resolve(base, ref string) string {
	if strings.HasPrefix(ref, "/") {
		return fixtureHost + ref
	}
	return ref
}

func openStore(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// want is the hand-written expectation for the fixture authority.
type want struct {
	// Subsections are the expected score and the pages that must be among
	// the first five evidence items.
	Subsections map[string]struct {
		Score    evidence.Score             `json:"score"`
		Criteria map[string]evidence.Status `json:"criteria"`
		Evidence []string                   `json:"evidence"`
	} `json:"subsections"`
	// Never are distractor pages that must not be evidence anywhere.
	Never []string `json:"never"`
}

func TestAssessFixtureAuthority(t *testing.T) {
	db := openStore(t)
	crawlFixture(t, db, "../testdata/assess/site", nil, nil)
	r := config.DefaultRubric()
	res, err := Assess(context.Background(), db, nil, r, fixtureAuthority, AssessOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Pages != 17 || res.Skipped != 0 {
		t.Errorf("pages = %d skipped %d, want 17 and 0", res.Pages, res.Skipped)
	}
	a, err := LoadAssessment(db, r, fixtureAuthority)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		data, _ := json.MarshalIndent(a, "", "  ")
		os.WriteFile("../testdata/assess/got.golden", append(data, '\n'), 0o644)
	}
	var w want
	data, err := os.ReadFile("../testdata/assess/want.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &w); err != nil {
		t.Fatal(err)
	}
	got := map[string]evidence.SubsectionAssessment{}
	for _, s := range a.Subsections {
		got[s.ID] = s
	}
	if len(got) != 13 {
		t.Errorf("sub-sections = %d, want 13", len(got))
	}
	for id, ws := range w.Subsections {
		s, ok := got[id]
		if !ok {
			t.Errorf("%s missing", id)
			continue
		}
		if s.SuggestedScore != ws.Score {
			t.Errorf("%s: score %s, want %s (criteria %+v)", id, s.SuggestedScore, ws.Score, s.Criteria)
		}
		for _, c := range s.Criteria {
			if st, ok := ws.Criteria[c.ID]; ok && st != c.SuggestedStatus {
				t.Errorf("%s: %s, want %s", c.ID, c.SuggestedStatus, st)
			}
		}
		var first []string
		for i, e := range s.Evidence {
			if i == 5 {
				break
			}
			first = append(first, strings.TrimPrefix(e.URL, fixtureHost))
		}
		for _, u := range ws.Evidence {
			if !slices.Contains(first, u) {
				t.Errorf("%s: %s not among the first five evidence items %q", id, u, first)
			}
		}
		if ws.Score == evidence.No && len(s.Evidence) > 0 {
			t.Errorf("%s scores No but lists evidence %q", id, first)
		}
	}
	for _, s := range a.Subsections {
		for _, e := range s.Evidence {
			u := strings.TrimPrefix(e.URL, fixtureHost)
			if slices.Contains(w.Never, u) {
				t.Errorf("%s: distractor %s suggested as evidence (signals %q)", s.ID, u, e.Signals)
			}
			if e.Snippet == "" || e.Title == "" || e.Confidence <= 0 || e.Confidence >= 1 || len(e.Criteria) == 0 || e.Status != evidence.Proposed {
				t.Errorf("%s: incomplete item %+v", s.ID, e)
			}
		}
	}
}

func TestAssessKeepsReviewersWork(t *testing.T) {
	db := openStore(t)
	crawlFixture(t, db, "../testdata/assess/site", nil, nil)
	r := config.DefaultRubric()
	la := fixtureAuthority
	if _, err := Assess(context.Background(), db, nil, r, la, AssessOptions{}); err != nil {
		t.Fatal(err)
	}
	find := func(sub, path string) evidence.Item {
		t.Helper()
		its, err := db.Items(la.Slug, sub)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range its {
			if it.URL == fixtureHost+path {
				return it
			}
		}
		t.Fatalf("no item for %s in %s", path, sub)
		return evidence.Item{}
	}
	set := func(it evidence.Item, st evidence.ItemStatus) {
		t.Helper()
		_, err := db.UpdateItem("rita", la.Slug, it.ID, func(x *evidence.Item) (string, error) {
			x.Status = st
			return "review", nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	custody := find("post16.future", "/send/local-offer/youth-justice")
	set(custody, evidence.Accepted)
	topup := find("general.funding", "/send/local-offer/top-up-funding")
	set(topup, evidence.Rejected)
	contact := find("general.accessibility", "/send/local-offer/contact")
	set(contact, evidence.Accepted)
	manual, err := db.AddItem("rita", evidence.Item{ID: "manual-1", Authority: la.Slug, Subsection: "general.feedback",
		Criteria: []string{"general.feedback.annual_review"}, URL: "https://example.org/annual-report.pdf", Snippet: "seen on paper",
		Origin: evidence.Manual, Status: evidence.Accepted})
	if err != nil {
		t.Fatal(err)
	}
	proposedFeedback := find("general.feedback", "/send/local-offer/feedback")

	// A re-crawl: the custody and feedback pages are gone, the rest is
	// unchanged.
	crawlFixture(t, db, "../testdata/assess/site", map[string]bool{"/send/local-offer/youth-justice": true, "/send/local-offer/feedback": true}, nil)
	res, err := Assess(context.Background(), db, nil, r, la, AssessOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Scores()["post16.future"] != evidence.No {
		t.Errorf("post16.future = %s after the custody page vanished, want No", res.Scores()["post16.future"])
	}
	got, err := db.Item(la.Slug, custody.ID)
	if err != nil {
		t.Fatalf("accepted item on a vanished page was dropped: %v", err)
	}
	if got.Status != evidence.Accepted || !got.Stale || got.StaleReason == "" {
		t.Errorf("accepted item on a vanished page = status %s stale %v %q; want accepted and stale", got.Status, got.Stale, got.StaleReason)
	}
	if got, err := db.Item(la.Slug, topup.ID); err != nil || got.Status != evidence.Rejected || got.Stale {
		t.Errorf("rejected item on an unchanged page = %+v, %v; want still rejected, not stale", got, err)
	}
	if got, err := db.Item(la.Slug, contact.ID); err != nil || got.Status != evidence.Accepted || got.Stale {
		t.Errorf("accepted item on an unchanged page = %+v, %v; want still accepted, not stale", got, err)
	}
	if got, err := db.Item(la.Slug, manual.ID); err != nil || got.Status != evidence.Accepted || got.Origin != evidence.Manual || got.Stale {
		t.Errorf("reviewer's own item = %+v, %v; want untouched", got, err)
	}
	if got, err := db.Item(la.Slug, proposedFeedback.ID); err != nil || got.Status != evidence.Proposed || !got.Stale {
		t.Errorf("proposed item on a vanished page = %+v, %v; want kept, proposed and stale", got, err)
	}
	// The export puts the accepted items first.
	a, err := LoadAssessment(db, r, la)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range a.Subsections {
		if s.ID == "general.accessibility" && (len(s.Evidence) == 0 || s.Evidence[0].URL != contact.URL) {
			t.Errorf("accessibility evidence starts with %v, want the accepted contact page", s.Evidence)
		}
	}
}

func TestAssessWithAmendedRubric(t *testing.T) {
	db := openStore(t)
	crawlFixture(t, db, "../testdata/assess/site", nil, nil)
	// The adviser's amendment: custody evidence must now also name the
	// virtual school, and the version is bumped. No code changes.
	y := string(config.DefaultRubricYAML())
	y = strings.Replace(y, `version: "1"`, `version: "2"`, 1)
	old := `- [ehc plan, education, training, special educational needs, send]`
	if !strings.Contains(y, old) {
		t.Fatal("the default rubric changed; update this test's amendment")
	}
	y = strings.Replace(y, old, old+"\n                - [virtual school]", 1)
	path := filepath.Join(t.TempDir(), "rubric-v2.yaml")
	if err := os.WriteFile(path, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := config.LoadRubric(path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Assess(context.Background(), db, nil, r, fixtureAuthority, AssessOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Suggestions {
		if s.RubricVersion != "2" {
			t.Errorf("%s assessed under rubric %q, want 2", s.Subsection, s.RubricVersion)
		}
	}
	if got := res.Scores()["post16.future"]; got != evidence.Partial {
		t.Errorf("post16.future = %s under the amended rubric, want Partial (the page names no virtual school)", got)
	}
	a, err := LoadAssessment(db, r, fixtureAuthority)
	if err != nil {
		t.Fatal(err)
	}
	if a.RubricVersion != "2" {
		t.Errorf("assessment rubric_version = %q", a.RubricVersion)
	}
}

func TestAssessWithoutCrawl(t *testing.T) {
	db := openStore(t)
	_, err := Assess(context.Background(), db, nil, config.DefaultRubric(), fixtureAuthority, AssessOptions{})
	if !errors.Is(err, evidence.ErrNotFound) {
		t.Errorf("err = %v, want not found", err)
	}
	if _, err := LoadAssessment(db, config.DefaultRubric(), fixtureAuthority); !errors.Is(err, evidence.ErrNotFound) {
		t.Errorf("LoadAssessment err = %v, want not found", err)
	}
}

func TestAssessSurvivesBadDocuments(t *testing.T) {
	db := openStore(t)
	c := crawlFixture(t, db, "../testdata/assess/site", nil, nil)
	bad := []struct {
		path, ctype, kind string
		body              []byte
	}{
		{"/empty", "text/html", "html", []byte{}},
		{"/junk", "text/html", "html", []byte("\x00\x01\x02\xff\xfe binary \x00\x00 junk")},
		{"/broken.pdf", "application/pdf", "pdf", []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >>\nbroken")},
		{"/latin1", "text/html; charset=utf-8", "html", []byte("<html><title>Caf\xe9</title><body><main><p>Invalid UTF-8: \xff\xfe support</p></main></body></html>")},
		{"/long-line", "text/html", "html", []byte("<html><body><main><p>" + strings.Repeat("helpline drop-in ", 600000) + "</p></main></body></html>")},
	}
	var caps []store.Capture
	for _, b := range bad {
		u := fixtureHost + b.path
		caps = append(caps, store.Capture{Snapshot: &store.Snapshot{CrawlID: c.ID, Authority: c.Authority, URL: u, FinalURL: u, Status: 200, ContentType: b.ctype, Kind: b.kind}, Body: b.body})
	}
	if err := db.PutSnapshots(caps); err != nil {
		t.Fatal(err)
	}
	res, err := Assess(context.Background(), db, nil, config.DefaultRubric(), fixtureAuthority, AssessOptions{})
	if err != nil {
		t.Fatalf("one bad document ended the run: %v", err)
	}
	if res.Pages+res.Skipped != 22 {
		t.Errorf("pages %d + skipped %d, want 22 documents seen", res.Pages, res.Skipped)
	}
	if res.Scores()["general.graduated"] != evidence.Yes {
		t.Errorf("good pages were not assessed: %v %+v", res.Scores(), res.Suggestions[3])
	}
}

func TestURLKey(t *testing.T) {
	tests := map[string]string{
		"http://a.test/":                        "/",
		"http://a.test":                         "/",
		"http://a.test/x/":                      "/x",
		"http://a.test/x/index.html":            "/x",
		"http://a.test/x;jsessionid=AB12?b=2&a": "/x?a=&b=2",
		"http://a.test/p?id=3#top":              "/p?id=3",
	}
	for in, want := range tests {
		if got := urlKey(in); got != want {
			t.Errorf("urlKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSignposting(t *testing.T) {
	// home -> hub -> local offer: two clicks, not in the council's menus.
	mk := func(key string, links ...graphLink) *page {
		return &page{snap: &store.Snapshot{ID: key}, url: "http://x" + key, key: key, doc: &extract.Document{Title: key}}
	}
	tests := []struct {
		name   string
		out    map[string][]graphLink
		want   evidence.Status
		urls   []string
		noHome bool
	}{
		{"one click from home", map[string][]graphLink{"/": {{to: "/lo", text: "SEND Local Offer"}}}, evidence.Met, []string{"http://x/", "http://x/lo"}, false},
		{"two clicks", map[string][]graphLink{"/": {{to: "/hub", text: "Children"}}, "/hub": {{to: "/lo", text: "Local Offer"}}}, evidence.PartMet, []string{"http://x/lo", "http://x/hub"}, false},
		{"two clicks and council menus", map[string][]graphLink{"/": {{to: "/hub", text: "Children"}}, "/hub": {{to: "/lo", text: "Local Offer", nav: true}}}, evidence.Met, []string{"http://x/lo"}, false},
		{"own menu does not count", map[string][]graphLink{"/": {{to: "/hub", text: "Children"}}, "/hub": {{to: "/x", text: "More"}}, "/x": {{to: "/lo", text: "Local Offer"}}, "/lo/a": {{to: "/lo", text: "Local Offer", nav: true}}}, evidence.PartMet, nil, false},
		{"unreachable", map[string][]graphLink{"/": {{to: "/hub", text: "Children"}}}, evidence.Absent, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys := map[string]bool{"/": true, "/lo": true, "/lo/a": true}
			for k, ls := range tt.out {
				keys[k] = true
				for _, l := range ls {
					keys[l.to] = true
				}
			}
			var pages []*page
			for k := range keys {
				pages = append(pages, mk(k))
			}
			sort.Slice(pages, func(i, j int) bool { return pages[i].key < pages[j].key })
			g := &linkGraph{out: tt.out}
			a := config.Authority{Slug: "x", StartURLs: []string{"http://x/lo"}, HomeURL: "http://x/"}
			cs := signposting("c", a, pages, g, 4)
			st := evidence.Absent
			var urls []string
			for _, c := range cs {
				if c.Status == evidence.Met || st == evidence.Absent {
					st = c.Status
				}
				urls = append(urls, c.URL)
			}
			if st != tt.want {
				t.Errorf("status %s, want %s (%+v)", st, tt.want, cs)
			}
			for _, u := range tt.urls {
				if !slices.Contains(urls, u) {
					t.Errorf("evidence %q lacks %s", urls, u)
				}
			}
			if len(cs) > 0 && !reflect.DeepEqual(cs[0].Criterion, "c") {
				t.Errorf("criterion %q", cs[0].Criterion)
			}
		})
	}
}

// TestDropListings checks that a listing page whose best passage sits under
// a link to a record that is evidence for the same criterion is dropped,
// and that it is kept when the record is not a candidate, the heading is no
// link, or the criterion differs.
func TestDropListings(t *testing.T) {
	const host = "http://dir.test"
	mk := func(u string, links ...extract.Link) *page {
		return &page{url: u, key: urlKey(u), doc: &extract.Document{URL: u, Links: links}}
	}
	listing := mk(host+"/results.page?page=1",
		extract.Link{URL: host + "/service.page?id=homevis1", Text: "Little Steps  home learning visits"},
		extract.Link{URL: host + "/old.page?id=7", Text: "Moved service"})
	record := mk(host + "/service.page?id=homevis1")
	moved := mk(host + "/new.page?id=7")
	byURL := map[string]*page{listing.url: listing, record.url: record, moved.url: moved}
	g := &linkGraph{alias: map[string]string{urlKey(host + "/old.page?id=7"): moved.key}}
	cand := func(u, crit, heading string) evidence.Candidate {
		return evidence.Candidate{URL: u, Criterion: crit, Heading: heading}
	}
	cases := []struct {
		name  string
		cands []evidence.Candidate
		want  []string // URL|criterion kept
	}{
		{
			name:  "record is a candidate",
			cands: []evidence.Candidate{cand(listing.url, "c.home", "Little Steps home learning visits"), cand(record.url, "c.home", "Little Steps home learning visits")},
			want:  []string{record.url + "|c.home"},
		},
		{
			name:  "record is a candidate through a redirect",
			cands: []evidence.Candidate{cand(listing.url, "c.home", "Moved service"), cand(moved.url, "c.home", "")},
			want:  []string{moved.url + "|c.home"},
		},
		{
			name:  "record is no candidate",
			cands: []evidence.Candidate{cand(listing.url, "c.home", "Little Steps home learning visits")},
			want:  []string{listing.url + "|c.home"},
		},
		{
			name:  "record evidences another criterion",
			cands: []evidence.Candidate{cand(listing.url, "c.home", "Little Steps home learning visits"), cand(record.url, "c.other", "")},
			want:  []string{listing.url + "|c.home", record.url + "|c.other"},
		},
		{
			name:  "heading is no link",
			cands: []evidence.Candidate{cand(listing.url, "c.home", "About our services"), cand(record.url, "c.home", "")},
			want:  []string{listing.url + "|c.home", record.url + "|c.home"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, k := range dropListings(c.cands, byURL, g) {
				got = append(got, k.URL+"|"+k.Criterion)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("kept %q, want %q", got, c.want)
			}
		})
	}
}
