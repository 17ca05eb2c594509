package pipeline

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/evidence"
	"github.com/localoffer/localoffer/store"
)

// TestAssessHostileBodies assesses a crawl holding what a hostile site
// leaves in the store after the crawler has cut it down to size: a page
// nested 100,000 deep, a 20 MB page (the default page limit), a megabyte of
// zeros from a gzip bomb, a PDF that is not one, a page of script
// injection. The run must finish, skip what cannot be read, still assess
// the good pages, and keep its heap bounded.
func TestAssessHostileBodies(t *testing.T) {
	if testing.Short() {
		t.Skip("extracts a 20 MB page")
	}
	db := openStore(t)
	c := crawlFixture(t, db, "../testdata/assess/site", nil, nil)
	bad := []struct {
		path, ctype, kind string
		body              []byte
	}{
		{"/deep", "text/html", "html", []byte("<html><body>" + strings.Repeat("<div>", 100000) + "<p>SEND support in early years settings</p>" + strings.Repeat("</div>", 100000) + "</body></html>")},
		{"/huge", "text/html", "html", []byte("<html><body><main>" + strings.Repeat("<p>local offer </p>\n", 20<<20/20) + "</main></body></html>")},
		{"/bomb", "text/html", "html", make([]byte, 1<<20)},
		{"/fake.pdf", "application/pdf", "pdf", []byte("%PDF-1.7\n1 0 obj << /Length 99999999 >> stream\n\x00\x01garbage, not a PDF at all" + strings.Repeat("\xff", 1000))},
		{"/xss", "text/html", "html", []byte(`<html><head><title><script>alert(1)</script>EHC needs assessment</title></head><body><main><h1 onclick="alert(2)">Requesting an EHC needs assessment</h1><p><img src=x onerror=alert(3)>Ask the council for an EHC needs assessment.</p></main></body></html>`)},
	}
	var caps []store.Capture
	for _, b := range bad {
		u := fixtureHost + b.path
		caps = append(caps, store.Capture{Snapshot: &store.Snapshot{CrawlID: c.ID, Authority: c.Authority, URL: u, FinalURL: u, Status: 200, ContentType: b.ctype, Kind: b.kind}, Body: b.body})
	}
	if err := db.PutSnapshots(caps); err != nil {
		t.Fatal(err)
	}

	runtime.GC()
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	start := time.Now()
	res, err := Assess(context.Background(), db, nil, config.DefaultRubric(), fixtureAuthority, AssessOptions{})
	took := time.Since(start)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("hostile bodies ended the run: %v", err)
	}
	t.Logf("assessed %d documents (%d skipped) in %v, heap ceiling %.1f MiB", res.Pages, res.Skipped, took.Round(time.Millisecond), float64(peak.Load())/(1<<20))
	if res.Skipped == 0 {
		t.Errorf("nothing skipped: the zeros and the fake PDF cannot be read")
	}
	if len(res.Suggestions) != len(config.DefaultRubric().Subsections()) {
		t.Errorf("%d suggestions, want one per sub-section", len(res.Suggestions))
	}
	if res.Scores()["general.graduated"] != evidence.Yes {
		t.Errorf("good pages were not assessed alongside the hostile ones: %v", res.Scores())
	}
	// Extraction reads at most 4 MiB of a page; a few copies of that and
	// the matcher's state fit well under this.
	if p := peak.Load(); p > 512<<20 {
		t.Errorf("heap reached %.1f MiB", float64(p)/(1<<20))
	}
	items, err := db.Items(fixtureAuthority.Slug, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		for _, s := range []string{it.Title, it.Heading, it.Snippet} {
			if strings.Contains(s, "<script") || strings.Contains(s, "onerror=") {
				t.Errorf("item %s keeps markup from the page: %q", it.ID, s)
			}
		}
	}
}
