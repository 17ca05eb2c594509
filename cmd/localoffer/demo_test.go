package main

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/localoffer/localoffer/store"
)

// TestDemo_CrawlsAndAssessesTheEmbeddedSites runs the demo without its web
// server on a kept store and checks what it says and what it stored.
func TestDemo_CrawlsAndAssessesTheEmbeddedSites(t *testing.T) {
	var out bytes.Buffer
	dbPath := filepath.Join(t.TempDir(), "demo.db")
	g := &globals{dbPath: dbPath, logFormat: "text", stdout: &out, stderr: &out, log: slog.New(slog.NewTextHandler(&out, nil))}
	err := runDemo(context.Background(), g, demoOptions{addr: "127.0.0.1:0", delay: time.Millisecond, noServe: true}, true)
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	for _, want := range []string{"Serving 3 fictional Local Offers", "Fellside Borough Council", "fellside: crawled", "Suggested scores"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
	db, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	runs, err := db.Runs(0)
	if err != nil || len(runs) != 1 || runs[0].Trigger != store.TriggerDemo || runs[0].Status != store.RunDone {
		t.Fatalf("run history = %v, %v; want one finished demo run", runs, err)
	}
	for _, slug := range []string{"fellside", "merrow-bridge", "sandholme"} {
		sugs, err := db.Suggestions(slug)
		if err != nil || len(sugs) != 13 {
			t.Errorf("%s has %d suggested sub-section scores (%v), want 13", slug, len(sugs), err)
		}
	}
	// The fully written council must score better than the sparse one.
	yes := func(slug string) int {
		sugs, _ := db.Suggestions(slug)
		n := 0
		for _, s := range sugs {
			n += s.Score.Rank()
		}
		return n
	}
	if yes("fellside") <= yes("sandholme") {
		t.Errorf("fellside scores %d, sandholme %d: the demo's strong Local Offer should score higher", yes("fellside"), yes("sandholme"))
	}
	pw, err := demoAccount(db)
	if err != nil || len(pw) < 10 {
		t.Fatalf("demoAccount = %q, %v", pw, err)
	}
	// A second call on a kept store resets the password rather than failing.
	if _, err := demoAccount(db); err != nil {
		t.Errorf("demoAccount on a store that has the account: %v", err)
	}
}
