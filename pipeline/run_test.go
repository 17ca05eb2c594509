package pipeline_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/demo"
	"github.com/localoffer/localoffer/evidence"
	"github.com/localoffer/localoffer/pipeline"
	"github.com/localoffer/localoffer/store"
)

// switchable serves one version of a fixture site at a time, on one
// address, so that two crawls see the same URLs with different content.
type switchable struct{ cur atomic.Pointer[demo.Handler] }

func (s *switchable) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.cur.Load().ServeHTTP(w, r) }

func loadVersion(t *testing.T, v string) *demo.Handler {
	t.Helper()
	site, err := demo.LoadSite(os.DirFS(filepath.Join("..", "testdata", "changes", v)), "testshire")
	if err != nil {
		t.Fatal(err)
	}
	return demo.NewHandler(site)
}

func fixture(t *testing.T) (*switchable, *config.Config, *store.DB) {
	t.Helper()
	sw := &switchable{}
	sw.cur.Store(loadVersion(t, "v1"))
	srv := httptest.NewServer(sw)
	t.Cleanup(srv.Close)
	d := config.Duration{Duration: 5 * time.Millisecond}
	cfg := &config.Config{Authorities: []config.Authority{{
		Slug: "testshire", Name: "Testshire County Council",
		StartURLs: []string{srv.URL + "/send"}, HomeURL: srv.URL + "/",
	}}}
	cfg.Crawl.Delay = &d
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(t.TempDir(), "run.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return sw, cfg, db
}

func TestRun_ChangesBetweenTwoCrawls(t *testing.T) {
	sw, cfg, db := fixture(t)
	ctx := context.Background()
	rubric := config.DefaultRubric()
	base := "http://" + cfg.Authorities[0].StartURLs[0][len("http://"):len(cfg.Authorities[0].StartURLs[0])-len("/send")]

	run1, err := pipeline.Run(ctx, db, cfg, rubric, cfg.Authorities, pipeline.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if run1.Status != store.RunDone || len(run1.Authorities) != 1 {
		t.Fatalf("first run = %+v, want done with one authority", run1)
	}
	ra := run1.Authorities[0]
	if ra.Pages < 8 || ra.PreviousCrawlID != "" || ra.Changed+ra.Added+ra.Removed != 0 {
		t.Fatalf("first run authority = %+v, want >= 8 pages and no previous crawl", ra)
	}
	if c, err := db.Crawl(ra.CrawlID); err != nil || c.RunID != run1.ID {
		t.Errorf("crawl %s = %+v, %v; want it tied to run %s", ra.CrawlID, c, err, run1.ID)
	}
	items, err := db.Items("testshire", "")
	if err != nil || len(items) == 0 {
		t.Fatalf("no evidence after the first run (%v)", err)
	}
	// A reviewer accepts the evidence on the funding and custody pages and
	// fixes the scores of their sub-sections.
	reviewed := map[string]bool{}
	for _, it := range items {
		if it.URL != base+"/send/top-up-funding" && it.URL != base+"/send/custody" {
			continue
		}
		if _, err := db.UpdateItem("ann", "testshire", it.ID, func(i *evidence.Item) (string, error) {
			i.Status = evidence.Accepted
			return "accept", nil
		}); err != nil {
			t.Fatal(err)
		}
		if !reviewed[it.Subsection] {
			reviewed[it.Subsection] = true
			if _, err := db.SaveDecision("ann", "testshire", it.Subsection, -1, "score", func(d *evidence.Decision) error {
				d.FinalScore, d.Reviewed = evidence.Yes, true
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(reviewed) == 0 {
		t.Fatal("the fixture's funding and custody pages gave no evidence to review")
	}

	// Version 2: funding text changed, custody removed, EHC page moved,
	// drop-ins added, short breaks changed only its footer date.
	sw.cur.Store(loadVersion(t, "v2"))
	run2, err := pipeline.Run(ctx, db, cfg, rubric, cfg.Authorities, pipeline.Options{Trigger: store.TriggerSchedule})
	if err != nil {
		t.Fatal(err)
	}
	ra = run2.Authorities[0]
	if ra.Error != "" || run2.Status != store.RunDone {
		t.Fatalf("second run = %s, authority error %q", run2.Status, ra.Error)
	}
	if ra.PreviousCrawlID != run1.Authorities[0].CrawlID {
		t.Errorf("second run compared with crawl %q, want %q", ra.PreviousCrawlID, run1.Authorities[0].CrawlID)
	}
	// Changed: the funding page and the Local Offer index (its links).
	if ra.Changed != 2 || ra.Removed != 1 || ra.Moved != 1 || ra.Added != 1 {
		t.Errorf("changes = %d changed, %d removed, %d moved, %d added; want 2, 1, 1, 1", ra.Changed, ra.Removed, ra.Moved, ra.Added)
	}
	if ra.NotModified == 0 {
		t.Errorf("second crawl had no 304 answers: %+v", ra)
	}
	if ra.Stale == 0 || ra.ReReview != len(reviewed) {
		t.Errorf("stale = %d, re-review = %d; want some stale and %d re-reviews", ra.Stale, ra.ReReview, len(reviewed))
	}
	after, _ := db.Items("testshire", "")
	for _, it := range after {
		if it.Status == evidence.Accepted && !it.Stale {
			t.Errorf("accepted item on %s is not stale after its page changed or vanished", it.URL)
		}
		if it.URL == base+"/send/short-breaks" && it.Stale {
			t.Errorf("item on the footer-only page is stale: %s", it.StaleReason)
		}
	}
	for sub := range reviewed {
		d, _ := db.Decision("testshire", sub)
		if !d.NeedsReReview || d.FinalScore != evidence.Yes {
			t.Errorf("decision %s = %+v, want flagged for re-review with its score kept", sub, d)
		}
	}
	runs, _ := db.Runs(0)
	if len(runs) != 2 || runs[0].Trigger != store.TriggerSchedule {
		t.Errorf("run history = %d runs, newest %+v", len(runs), runs[0])
	}
}

func TestRun_SkipsLockedAuthority(t *testing.T) {
	_, cfg, db := fixture(t)
	release, _, err := db.AcquireLock("testshire", "another run")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	crawled := false
	run, err := pipeline.Run(context.Background(), db, cfg, config.DefaultRubric(), cfg.Authorities, pipeline.Options{
		Crawl: func(ctx context.Context, db *store.DB, cfg *config.Config, a config.Authority, runID string) (*store.Crawl, error) {
			crawled = true
			return nil, errors.New("must not crawl")
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if crawled {
		t.Error("a locked authority was crawled")
	}
	if run.Status != store.RunFailed || run.Authorities[0].Skipped == "" {
		t.Errorf("run = %+v, want the authority skipped", run)
	}
}

// Two councils served by one directory host must never be crawled at the
// same time, even when the run has room for more in parallel; a third on
// its own host may run beside them.
func TestRun_SharedHostRunsInTurn(t *testing.T) {
	_, _, db := fixture(t)
	cfg := &config.Config{Authorities: []config.Authority{
		{Slug: "north", Name: "North", StartURLs: []string{"https://directory.example.org/kb5/north/home.page"}},
		{Slug: "south", Name: "South", StartURLs: []string{"https://directory.example.org/kb5/south/home.page"}},
		{Slug: "east", Name: "East", StartURLs: []string{"https://east.example.org/send"}},
	}}
	var active, sharedMax atomic.Int32
	_, err := pipeline.Run(context.Background(), db, cfg, config.DefaultRubric(), cfg.Authorities, pipeline.Options{
		Parallel: 3,
		Crawl: func(ctx context.Context, db *store.DB, cfg *config.Config, a config.Authority, runID string) (*store.Crawl, error) {
			if a.Slug != "east" {
				if m := active.Add(1); m > sharedMax.Load() {
					sharedMax.Store(m)
				}
				defer active.Add(-1)
			}
			time.Sleep(30 * time.Millisecond)
			return nil, errors.New("no site here")
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := sharedMax.Load(); got != 1 {
		t.Errorf("%d crawls of the shared host ran at once, want 1", got)
	}
}
