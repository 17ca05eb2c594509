package changes_test

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/localoffer/localoffer/changes"
	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/store"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
		same     bool
	}{
		{"footer date", "Short breaks\nPage last updated: 3 March 2025", "Short breaks\nPage last updated: 14 November 2026", true},
		{"iso date stamp", "Funding\nLast modified 2025-03-03T10:00:00Z", "Funding\nLast modified 2026-11-14T08:12:55Z", true},
		{"numeric date in text", "Reviewed on 03/03/2025 by the panel", "Reviewed on 14/11/2026 by the panel", true},
		{"session id", "See /send/page;jsessionid=ABC123DEF here", "See /send/page;jsessionid=ZZZ999 here", true},
		{"copyright year", "© 2025 Example Council", "© 2026 Example Council", true},
		{"whitespace", "Top-up  funding\n\n  is paid termly ", "Top-up funding\nis paid termly", true},
		{"time of day", "Generated at 10:32am", "Generated at 4:05pm", true},
		{"real change", "Top-up funding is paid termly", "Top-up funding is paid monthly", false},
		{"number change", "Call 01234 567890", "Call 01234 567891", false},
		{"new paragraph", "Intro", "Intro\nA new drop-in session on Tuesdays", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := changes.Normalize(tt.old), changes.Normalize(tt.new)
			if (a == b) != tt.same {
				t.Errorf("Normalize(%q) = %q, Normalize(%q) = %q; same = %v, want %v", tt.old, a, tt.new, b, a == b, tt.same)
			}
		})
	}
}

func TestDiff(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
		want     string // ops in order
	}{
		{"equal", "a\nb\nc", "a\nb\nc", "   "},
		{"insert middle", "a\nc", "a\nb\nc", " + "},
		{"delete head", "x\na\nb", "a\nb", "-  "},
		{"replace", "a\nb\nc", "a\nB\nc", " -+ "},
		{"from empty", "", "a\nb", "++"},
		{"to empty", "a\nb", "", "--"},
		{"interleaved", "a\nb\nc\nd", "b\nx\nd\ny", "- -+ +"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := changes.Diff(tt.old, tt.new)
			var ops strings.Builder
			var olds, news []string
			for _, l := range d {
				ops.WriteByte(byte(l.Op))
				if l.Op != changes.Insert {
					olds = append(olds, l.Text)
				}
				if l.Op != changes.Delete {
					news = append(news, l.Text)
				}
			}
			if ops.String() != tt.want {
				t.Errorf("Diff ops = %q, want %q", ops.String(), tt.want)
			}
			// The diff must rebuild both texts exactly.
			if got := strings.Join(olds, "\n"); got != tt.old {
				t.Errorf("old side = %q, want %q", got, tt.old)
			}
			if got := strings.Join(news, "\n"); got != tt.new {
				t.Errorf("new side = %q, want %q", got, tt.new)
			}
		})
	}
}

func TestUnified(t *testing.T) {
	old := "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten"
	new := "one\ntwo\nTHREE\nfour\nfive\nsix\nseven\neight\nnine\nten\neleven"
	got := changes.Unified(changes.Diff(old, new), 1)
	want := "@@ -2,3 +2,3 @@\n two\n-three\n+THREE\n four\n@@ -10 +10,2 @@\n ten\n+eleven\n"
	if got != want {
		t.Errorf("Unified =\n%s\nwant\n%s", got, want)
	}
	if got := changes.Unified(changes.Diff("a", "a"), 3); got != "" {
		t.Errorf("Unified of equal texts = %q, want empty", got)
	}
}

// plainText treats the fixture bodies as text; the first line is the title.
func plainText(s *store.Snapshot, body []byte) (string, string, error) {
	title, _, _ := strings.Cut(string(body), "\n")
	return title, string(body), nil
}

type page struct {
	url, body string
	status    int
	final     string
	location  string
}

func putCrawl(t *testing.T, db *store.DB, status string, pages []page) string {
	t.Helper()
	c := &store.Crawl{Authority: "bolton"}
	if err := db.CreateCrawl(c); err != nil {
		t.Fatal(err)
	}
	var cs []store.Capture
	for _, p := range pages {
		s := &store.Snapshot{CrawlID: c.ID, Authority: "bolton", URL: p.url, FinalURL: p.final, Status: p.status, Kind: "html"}
		if p.location != "" {
			s.Header = http.Header{"Location": {p.location}}
		}
		cs = append(cs, store.Capture{Snapshot: s, Body: []byte(p.body)})
	}
	if err := db.PutSnapshots(cs); err != nil {
		t.Fatal(err)
	}
	c.Status = status
	if err := db.UpdateCrawl(c); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

func TestCompare(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const h = "http://la.test"
	v1 := putCrawl(t, db, store.CrawlDone, []page{
		{url: h + "/", body: "Home\nWelcome", status: 200},
		{url: h + "/funding", body: "Top-up funding\nPaid termly.\nLast updated 3 March 2025", status: 200},
		{url: h + "/footer-only", body: "Short breaks\nClubs and play.\nLast updated 3 March 2025", status: 200},
		{url: h + "/custody", body: "Leaving custody\nSupport on release.", status: 200},
		{url: h + "/ehc", body: "Asking for an EHC assessment\nFill in the form.", status: 200},
		{url: h + "/old-news", body: "News\nOld story", status: 200},
		{url: h + "/events?month=2025-09", body: "Events\nSeptember", status: 200},
	})
	v2 := putCrawl(t, db, store.CrawlDone, []page{
		{url: h + "/", body: "Home\nWelcome", status: 200},
		{url: h + "/funding", body: "Top-up funding\nPaid monthly.\nLast updated 9 May 2026", status: 200},
		{url: h + "/footer-only", body: "Short breaks\nClubs and play.\nLast updated 9 May 2026", status: 200},
		{url: h + "/custody", body: "gone", status: 404},
		{url: h + "/ehc", status: 301, location: "/ehc-plans"},
		{url: h + "/ehc-plans", body: "Asking for an EHC assessment\nFill in the form.", status: 200},
		{url: h + "/drop-ins", body: "Drop-in sessions\nEvery Tuesday.", status: 200},
		{url: h + "/events?month=2025-10", body: "Events\nOctober", status: 200},
	})
	r, err := changes.Compare(db, v1, v2, changes.Options{Text: plainText, Evidence: map[string][]string{
		h + "/funding": {"general.funding"},
		h + "/custody": {"post16.future"},
		h + "/ehc":     {"general.graduated"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range r.Pages {
		got[p.URL] = string(p.Kind) + " " + p.NewURL
	}
	want := map[string]string{
		h + "/funding":  "changed ",
		h + "/custody":  "removed ",
		h + "/ehc":      "moved " + h + "/ehc-plans",
		h + "/old-news": "removed ",
		h + "/drop-ins": "added ",
	}
	if len(got) != len(want) {
		t.Errorf("pages = %v, want %v", got, want)
	}
	for u, w := range want {
		if got[u] != w {
			t.Errorf("page %s = %q, want %q", u, got[u], w)
		}
	}
	if r.Calendar != 2 {
		t.Errorf("Calendar = %d, want 2 (one month gone, one new)", r.Calendar)
	}
	if r.Unchanged != 2 {
		t.Errorf("Unchanged = %d, want 2 (home and the footer-only page)", r.Unchanged)
	}
	for _, p := range r.Pages {
		if p.URL == h+"/funding" && (p.Inserted != 1 || p.Deleted != 1 || p.Title != "Top-up funding") {
			t.Errorf("funding change = %+v, want 1 line in, 1 out, titled", p)
		}
	}
	groups := r.Grouped(config.DefaultRubric())
	var order []string
	for _, g := range groups {
		order = append(order, g.Subsection)
	}
	if want := "general.funding,general.graduated,post16.future,"; strings.Join(order, ",") != want {
		t.Errorf("groups = %q, want %q", strings.Join(order, ","), want)
	}
	reasons := r.Reasons()
	if !strings.Contains(reasons[h+"/custody"], "removed") || !strings.Contains(reasons[h+"/ehc"], "moved") || reasons[h+"/drop-ins"] != "" {
		t.Errorf("Reasons() = %v", reasons)
	}
}

func TestCompare_IncompleteCrawlDoesNotRemove(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v1 := putCrawl(t, db, store.CrawlDone, []page{{url: "http://x/a", body: "A", status: 200}, {url: "http://x/b", body: "B", status: 200}})
	v2 := putCrawl(t, db, store.CrawlInterrupted, []page{{url: "http://x/a", body: "A", status: 200}})
	r, err := changes.Compare(db, v1, v2, changes.Options{Text: plainText})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Pages) != 0 || len(r.Unseen) != 1 || r.Unseen[0] != "http://x/b" {
		t.Errorf("report = %+v, want no changes and b unseen", r)
	}
	if _, err := changes.Compare(db, v1, "999", changes.Options{Text: plainText}); err == nil {
		t.Error("Compare with a missing crawl succeeded")
	}
}

func TestIsCalendar(t *testing.T) {
	tests := []struct {
		url   string
		links []store.Link
		want  bool
	}{
		{"http://x/events/calendar?month=2025-09", nil, true},
		{"http://x/whats-on?date=2025-09-14&view=day", nil, true},
		{"http://x/events/calendar", []store.Link{{URL: "http://x/events/calendar?month=2025-10"}}, true},
		{"http://x/events/calendar", []store.Link{{URL: "/events/calendar?month=2025-10"}}, true},
		{"http://x/send/local-offer", []store.Link{{URL: "http://x/events/calendar?month=2025-10"}}, false},
		{"http://x/directory/service.page?id=2025", nil, false},
		{"http://x/news?page=2", nil, false},
		{"http://x/annual-report-2025", nil, false},
	}
	for _, tt := range tests {
		if got := changes.IsCalendar(tt.url, tt.links); got != tt.want {
			t.Errorf("IsCalendar(%q, %v) = %v, want %v", tt.url, tt.links, got, tt.want)
		}
	}
}
