package crawler

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/localoffer/localoffer/store"
)

// limitSite answers /r/N with a redirect to /r/N+1 (an endless chain),
// /busy with one 503 carrying Retry-After: 1 and then the page, and /slow
// after 300ms.
type limitSite struct {
	*httptest.Server
	mu   sync.Mutex
	hits map[string][]time.Time
}

func newLimitSite(t *testing.T) *limitSite {
	s := &limitSite{hits: map[string][]time.Time{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path] = append(s.hits[r.URL.Path], time.Now())
		n := len(s.hits[r.URL.Path])
		s.mu.Unlock()
		var k int
		switch {
		case r.URL.Path == "/robots.txt":
			http.NotFound(w, r) // 4xx: everything allowed
		case r.URL.Path == "/":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `<a href="/r/0">chain</a> <a href="/busy">busy</a> <a href="/slow">slow</a> <a href="/data.bin">data</a>`)
		case r.URL.Path == "/busy" && n == 1:
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
		case r.URL.Path == "/slow":
			time.Sleep(300 * time.Millisecond)
			fmt.Fprint(w, "<p>late</p>")
		case r.URL.Path == "/data.bin":
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write([]byte{0, 1, 2, 3, 0xff})
		case strings.HasPrefix(r.URL.Path, "/r/"):
			fmt.Sscanf(r.URL.Path, "/r/%d", &k)
			http.Redirect(w, r, fmt.Sprintf("/r/%d", k+1), http.StatusFound)
		default:
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<p>page</p>")
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func TestRedirectLimitRetryAfterAndTimeout(t *testing.T) {
	site := newLimitSite(t)
	db := openStore(t)
	cfg, a := testConfig(t, site.URL+"/", ", timeout: 100ms, max_retries: 1")
	rec, err := Run(context.Background(), db, cfg, a, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	site.mu.Lock()
	defer site.mu.Unlock()

	// At most 10 redirects from the first link: /r/0 .. /r/10 asked, no more.
	if got := len(site.hits["/r/10"]); got != 1 {
		t.Errorf("/r/10 asked %d times, want 1", got)
	}
	if got := len(site.hits["/r/11"]); got != 0 {
		t.Errorf("/r/11 asked: the redirect limit did not hold")
	}
	e, err := db.CrawlDecision(rec.ID, site.URL+"/r/10")
	if err != nil || e.Decision != store.DecisionError || !strings.Contains(e.Detail, "more than 10 redirects") {
		t.Errorf("decision on the 11th hop: %+v %v", e, err)
	}

	// Retry-After: 1 is honoured before the second try.
	busy := site.hits["/busy"]
	if len(busy) != 2 {
		t.Fatalf("/busy asked %d times, want 2", len(busy))
	}
	if gap := busy[1].Sub(busy[0]); gap < time.Second {
		t.Errorf("retried /busy after %v, Retry-After asked for 1s", gap)
	}

	// The slow page times out, is retried once, and is recorded as a timeout.
	if got := len(site.hits["/slow"]); got != 2 {
		t.Errorf("/slow asked %d times, want 2 (one retry)", got)
	}
	snaps := snapshots(t, db, rec.ID)
	if s := snaps[site.URL+"/slow"]; s == nil || s.Kind != "error" || !strings.HasPrefix(s.Error, "timeout") {
		t.Errorf("/slow snapshot %+v", s)
	}
	if rec.Counts.Errors["timeout"] != 1 {
		t.Errorf("errors %v, want one timeout", rec.Counts.Errors)
	}
	// A type that is not kept is recorded without its body.
	if s := snaps[site.URL+"/data.bin"]; s == nil || s.Kind != "other" || s.SHA256 != "" {
		t.Errorf("/data.bin snapshot %+v", s)
	}
}

// TestQueryVariantsSpareDirectoryRecords checks that max_query_variants
// cuts a path with many queries of other shapes but not a directory's
// records (?id=) or listing pages (?page=).
func TestQueryVariantsSpareDirectoryRecords(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		switch r.URL.Path {
		case "/robots.txt":
			http.NotFound(w, r)
		case "/":
			for i := 0; i < 40; i++ {
				fmt.Fprintf(w, `<a href="/service.page?id=rec%d">record %d</a> <a href="/view?style=v%d">view %d</a>`, i, i, i, i)
			}
		default:
			fmt.Fprint(w, "<p>page</p>")
		}
	}))
	defer srv.Close()
	db := openStore(t)
	cfg, a := testConfig(t, srv.URL+"/", ", max_query_variants: 10")
	rec, err := Run(context.Background(), db, cfg, a, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	records, views := 0, 0
	for u := range snapshots(t, db, rec.ID) {
		switch {
		case strings.Contains(u, "/service.page?id="):
			records++
		case strings.Contains(u, "/view?"):
			views++
		}
	}
	if records != 40 || views != 10 {
		t.Errorf("fetched %d records (want all 40) and %d views (want max_query_variants 10)", records, views)
	}
}
