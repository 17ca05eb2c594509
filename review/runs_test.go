package review

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/localoffer/localoffer/store"
)

// TestRunsHistory checks the run history page against runs recorded by
// hand: one still running, one that skipped a locked authority and failed
// another, one that stopped before any authority, and an empty history.
func TestRunsHistory(t *testing.T) {
	f := newFixture(t)
	rec := f.do("GET", "/runs", "viewer1", nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "No runs yet") {
		t.Fatalf("empty history: %d\n%s", rec.Code, rec.Body)
	}
	start := time.Date(2026, 11, 21, 2, 0, 0, 0, time.UTC)
	runs := []*store.Run{
		{Trigger: store.TriggerSchedule, Started: start, Ended: start.Add(90 * time.Second), Status: store.RunPartial, Authorities: []store.RunAuthority{
			{Slug: "fellside", Skipped: "locked by process 4242 (crawl) <b>since</b> 01:59"},
			{Slug: "merrow-bridge", Error: "crawl: dial tcp: connection refused", Errors: 3},
		}},
		{Trigger: store.TriggerManual, Started: start.Add(time.Hour), Ended: start.Add(time.Hour + time.Second), Status: store.RunFailed, Error: "store: disk full"},
		{Trigger: store.TriggerManual, Started: start.Add(2 * time.Hour), Status: store.RunRunning, Authorities: []store.RunAuthority{{Slug: "brackenfield", CrawlID: "000000000009"}}},
	}
	for _, r := range runs {
		if err := f.db.CreateRun(r); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		target    string
		want, not []string
	}{
		{"/runs", []string{
			"still running", "ended 21 Nov 2026 02:01 UTC, took 1m30s", "partial", "schedule",
			"Skipped: locked by process 4242 (crawl) &lt;b&gt;since&lt;/b&gt; 01:59",
			"crawl: dial tcp: connection refused", "store: disk full", "First crawl",
			// the order is newest first
		}, []string{"<b>since</b>", "No runs yet"}},
		{"/runs?la=merrow-bridge", []string{"connection refused", "Merrow Bridge City Council"}, []string{"still running", "disk full", "Skipped:"}},
	} {
		rec := f.do("GET", tc.target, "viewer1", nil)
		body := rec.Body.String()
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s = %d", tc.target, rec.Code)
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s lacks %q", tc.target, w)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(body, w) {
				t.Errorf("GET %s has %q", tc.target, w)
			}
		}
		if tc.target == "/runs" {
			i, j := strings.Index(body, ">"+runs[2].ID+"<"), strings.Index(body, ">"+runs[0].ID+"<")
			if i < 0 || j < 0 || i > j {
				t.Errorf("runs are not newest first (run %s at %d, run %s at %d)", runs[2].ID, i, runs[0].ID, j)
			}
		}
	}
	rec = f.do("GET", "/runs?la=nowhere", "viewer1", nil)
	if !strings.Contains(rec.Body.String(), "Choose an authority from the list") {
		t.Error("an unknown authority in the filter is not reported")
	}
}

func TestRunTag(t *testing.T) {
	for status, want := range map[string]string{
		store.RunDone: "tag--green", store.RunPartial: "tag--yellow", store.RunFailed: "tag--red",
		store.RunRunning: "tag--blue", store.CrawlInterrupted: "tag--yellow", "": "tag--grey",
	} {
		if got := runTag(status); got != want {
			t.Errorf("runTag(%q) = %q, want %q", status, got, want)
		}
	}
}
