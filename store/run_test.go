package store

import (
	"testing"
	"time"

	"github.com/localoffer/localoffer/evidence"
)

func TestRuns_HistoryNewestFirst(t *testing.T) {
	db := openTestDB(t)
	for i, trig := range []string{TriggerManual, TriggerSchedule, TriggerCatchUp} {
		r := &Run{Trigger: trig, Authorities: []RunAuthority{{Slug: "bolton", Pages: i}}}
		if err := db.CreateRun(r); err != nil {
			t.Fatal(err)
		}
		r.Status, r.Ended = RunDone, time.Now().UTC()
		if err := db.UpdateRun(r); err != nil {
			t.Fatal(err)
		}
	}
	runs, err := db.Runs(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 3 || runs[0].Trigger != TriggerCatchUp || runs[2].Trigger != TriggerManual {
		t.Fatalf("Runs(0) = %+v, want 3 newest first", runs)
	}
	if runs[0].Status != RunDone || runs[0].Authorities[0].Pages != 2 {
		t.Errorf("newest run = %+v, want done with 2 pages", runs[0])
	}
	if got, _ := db.Runs(1); len(got) != 1 {
		t.Errorf("Runs(1) returned %d runs", len(got))
	}
	r, err := db.GetRun(runs[1].ID)
	if err != nil || r.Trigger != TriggerSchedule {
		t.Errorf("GetRun(%s) = %+v, %v", runs[1].ID, r, err)
	}
	if _, err := db.GetRun("nope"); !IsNotFound(err) {
		t.Errorf("GetRun(nope) err = %v, want not found", err)
	}
	if err := db.UpdateRun(&Run{}); err == nil {
		t.Error("UpdateRun without id succeeded")
	}
}

func TestScheduleState_RoundTrip(t *testing.T) {
	db := openTestDB(t)
	if _, err := db.ScheduleState(); !IsNotFound(err) {
		t.Fatalf("ScheduleState on a new store: err = %v, want not found", err)
	}
	want := ScheduleState{Spec: "0 3 * * 1", LastDue: time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC), LastRunID: "000000000004"}
	if err := db.SetScheduleState(want); err != nil {
		t.Fatal(err)
	}
	got, err := db.ScheduleState()
	if err != nil || got.Spec != want.Spec || !got.LastDue.Equal(want.LastDue) || got.LastRunID != want.LastRunID {
		t.Errorf("ScheduleState() = %+v, %v; want %+v", got, err, want)
	}
}

func TestMarkStale(t *testing.T) {
	db := openTestDB(t)
	mk := func(id, sub, url string, st evidence.ItemStatus) evidence.Item {
		return evidence.Item{ID: id, Authority: "bolton", Subsection: sub, URL: url, Status: st, Origin: evidence.Suggested, CrawlID: "1"}
	}
	items := []evidence.Item{
		mk("a", "general.funding", "http://x/funding", evidence.Accepted),
		mk("b", "general.funding", "http://x/funding-old", evidence.Proposed),
		mk("c", "early_years.admission", "http://x/ey", evidence.Rejected),
		mk("d", "early_years.admission", "http://x/unchanged", evidence.Accepted),
		mk("e", "schools.admission", "http://x/fresh", evidence.Proposed),
	}
	items[4].CrawlID = "2" // made from the new crawl: already up to date
	if _, err := db.SaveAssessment("bolton", nil, items, "gone"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SaveDecision("ann", "bolton", "general.funding", 0, "score", func(d *evidence.Decision) error {
		d.FinalScore, d.Reviewed = evidence.Yes, true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	res, err := db.MarkStale("localoffer", "bolton", "2", map[string]string{
		"http://x/funding":     "page changed in crawl 2",
		"http://x/funding-old": "page removed in crawl 2",
		"http://x/ey":          "page changed in crawl 2",
		"http://x/fresh":       "page changed in crawl 2",
	})
	if err != nil {
		t.Fatal(err)
	}
	stale := map[string]string{}
	for _, it := range res.Items {
		stale[it.ID] = it.StaleReason
	}
	want := map[string]string{"a": "page changed in crawl 2", "b": "page removed in crawl 2", "c": "page changed in crawl 2"}
	if len(stale) != len(want) {
		t.Fatalf("stale items = %v, want %v", stale, want)
	}
	for id, why := range want {
		if stale[id] != why {
			t.Errorf("item %s stale reason = %q, want %q", id, stale[id], why)
		}
		it, _ := db.Item("bolton", id)
		if !it.Stale {
			t.Errorf("stored item %s not stale", id)
		}
	}
	// Only general.funding had a reviewed decision; early_years.admission had none.
	if len(res.ReReview) != 1 || res.ReReview[0] != "general.funding" {
		t.Errorf("ReReview = %v, want [general.funding]", res.ReReview)
	}
	d, _ := db.Decision("bolton", "general.funding")
	if !d.NeedsReReview || d.FinalScore != evidence.Yes || d.ReReviewWhy == "" {
		t.Errorf("decision after MarkStale = %+v, want flagged with its score kept", d)
	}
	// Marking again with the same reasons changes nothing.
	res, err = db.MarkStale("localoffer", "bolton", "2", map[string]string{"http://x/funding": "page changed in crawl 2"})
	if err != nil || len(res.Items) != 0 {
		t.Errorf("second MarkStale = %+v, %v; want no change", res, err)
	}
	log, _ := db.AuditLog("bolton", "", 0)
	n := 0
	for _, e := range log {
		if e.Action == "mark stale" || e.Action == "flag for re-review" {
			n++
		}
	}
	if n != 4 {
		t.Errorf("audit entries for stale marking = %d, want 4", n)
	}
}

func TestCrawlEvidence(t *testing.T) {
	db := openTestDB(t)
	want := map[string][]string{"http://x/a": {"general.funding", "schools.admission"}}
	if err := db.SetCrawlEvidence("000000000001", want); err != nil {
		t.Fatal(err)
	}
	// A run created afterwards must not trip over the nested bucket.
	if err := db.CreateRun(&Run{Trigger: TriggerManual}); err != nil {
		t.Fatal(err)
	}
	if runs, err := db.Runs(0); err != nil || len(runs) != 1 {
		t.Fatalf("Runs(0) = %v, %v; want one run", runs, err)
	}
	got, err := db.CrawlEvidence("000000000001")
	if err != nil || len(got["http://x/a"]) != 2 {
		t.Errorf("CrawlEvidence = %v, %v; want %v", got, err, want)
	}
	if got, err := db.CrawlEvidence("000000000002"); err != nil || len(got) != 0 {
		t.Errorf("CrawlEvidence of an unknown crawl = %v, %v; want empty", got, err)
	}
}
