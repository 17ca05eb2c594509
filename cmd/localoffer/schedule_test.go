package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/evidence"
	"github.com/localoffer/localoffer/store"
)

func TestStartSchedule(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out bytes.Buffer
	g := &globals{stdout: &out, stderr: &out, log: slog.New(slog.NewTextHandler(&out, nil))}
	cfg := config.Default()
	rub := config.DefaultRubric()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	s, err := startSchedule(ctx, g, db, cfg, rub, "")
	if err != nil || s != nil {
		t.Fatalf("no schedule anywhere: startSchedule = %v, %v; want nil, nil", s, err)
	}
	var ue *usageError
	if _, err := startSchedule(ctx, g, db, cfg, rub, "every monday"); !errors.As(err, &ue) {
		t.Errorf("bad schedule: err = %v, want a usage error", err)
	}
	cfg.Schedule = "0 3 * * 1"
	s, err = startSchedule(ctx, g, db, cfg, rub, "")
	if err != nil || s == nil {
		t.Fatalf("schedule from the config file: %v, %v", s, err)
	}
	if !strings.Contains(out.String(), `Scheduled runs "0 3 * * 1"`) {
		t.Errorf("output = %q, want the schedule announced", out.String())
	}
	// The first start records a baseline and runs nothing.
	deadline := time.Now().Add(5 * time.Second)
	for {
		if st, err := db.ScheduleState(); err == nil && st.Spec == "0 3 * * 1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("scheduler did not record its baseline")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	s.Wait()
	if runs, _ := db.Runs(0); len(runs) != 0 {
		t.Errorf("first start ran %d runs, want none", len(runs))
	}
}

func TestDashboardInfo(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "d.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	info := dashboardInfo(db, nil)
	if got := info("bolton"); len(got) != 0 {
		t.Errorf("never crawled: info = %q, want nothing", got)
	}
	c := &store.Crawl{Authority: "bolton", Status: store.CrawlDone, Counts: store.Counts{Pages: 12}}
	if err := db.CreateCrawl(c); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SaveDecision("ann", "bolton", "general.funding", -1, "score", func(d *evidence.Decision) error {
		d.FinalScore, d.Reviewed = evidence.Yes, true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	r := &store.Run{Trigger: store.TriggerSchedule}
	if err := db.CreateRun(r); err != nil {
		t.Fatal(err)
	}
	r.Authorities = []store.RunAuthority{{Slug: "bolton", Ended: time.Now().Add(time.Minute), Added: 1, Changed: 2, Removed: 1}}
	if err := db.UpdateRun(r); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(info("bolton"), "\n")
	for _, want := range []string{"Last crawled", "12 pages", "4 pages changed since the scores were last fixed"} {
		if !strings.Contains(got, want) {
			t.Errorf("info = %q, want %q", got, want)
		}
	}
}
