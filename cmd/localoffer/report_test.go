package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/evidence"
	"github.com/localoffer/localoffer/store"
)

const reportConfig = `authorities:
  - slug: bolton
    name: Bolton Council
    start_urls: ["https://www.bolton.gov.uk/localoffer"]
  - slug: bury
    name: Bury Council
    start_urls: ["https://www.bury.gov.uk/localoffer"]
`

// seedReportStore gives Bolton a crawl, one captured page, an accepted
// item and a reviewer-fixed score; Bury has nothing.
func seedReportStore(t *testing.T, path string) {
	t.Helper()
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	crawl := &store.Crawl{Authority: "bolton", Started: time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)}
	if err := db.CreateCrawl(crawl); err != nil {
		t.Fatal(err)
	}
	crawl.Status = store.CrawlDone
	if err := db.UpdateCrawl(crawl); err != nil {
		t.Fatal(err)
	}
	url := "https://www.bolton.gov.uk/localoffer/contact"
	snap := &store.Snapshot{CrawlID: crawl.ID, Authority: "bolton", URL: url, FinalURL: url, Status: 200, ContentType: "text/html", Kind: "html"}
	if err := db.PutSnapshot(snap, []byte("<html><body><p>Ring the SEND line on 01204 000000.</p></body></html>")); err != nil {
		t.Fatal(err)
	}
	sub := config.DefaultRubric().Subsections()[0]
	it := evidence.Item{ID: evidence.ItemID("bolton", sub.ID, url, ""), Authority: "bolton", Subsection: sub.ID, Criteria: []string{sub.Criteria[1].ID},
		URL: url, Title: "Contact", Snippet: "Ring the SEND line on 01204 000000.", SnapshotID: snap.ID, Origin: evidence.Suggested, Status: evidence.Accepted, BestPractice: true}
	if _, err := db.SaveAssessment("bolton", nil, []evidence.Item{it}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SaveDecision("ana", "bolton", sub.ID, 0, "fix score", func(d *evidence.Decision) error {
		d.FinalScore, d.Reviewed, d.ReviewedBy, d.RubricVersion = evidence.Partial, true, "ana", "1"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestReportAndBundleCommands(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "authorities.yaml")
	if err := os.WriteFile(cfg, []byte(reportConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "localoffer.db")
	seedReportStore(t, db)
	notes := filepath.Join(dir, "notes.md")
	os.WriteFile(notes, []byte("- Re-assess after the rubric is amended"), 0o644)
	base := []string{"--config", cfg, "--db", db}
	out := filepath.Join(dir, "report")
	bundles := filepath.Join(dir, "bundles")
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"report", []string{"report", "--out", out, "--no-pdf", "--notes", notes, "--title", "Pilot findings"}, 0},
		{"report needs --out", []string{"report"}, 2},
		{"report unknown authority", []string{"report", "--out", out, "--la", "nowhere"}, 2},
		{"report missing notes file", []string{"report", "--out", out, "--notes", filepath.Join(dir, "none.md")}, 2},
		{"snapshot url without id", []string{"report", "--out", out, "--snapshot-url", "http://127.0.0.1:8080/s/"}, 2},
		{"bundle needs --la or --all", []string{"export", "--format", "bundle", "--out", bundles}, 2},
		{"bundle not both", []string{"export", "--format", "bundle", "--all", "--la", "bolton", "--out", bundles}, 2},
		{"bundle of an authority with nothing stored", []string{"export", "--format", "bundle", "--la", "bury", "--out", bundles}, 1},
		{"bundle all", []string{"export", "--format", "bundle", "--all", "--out", bundles}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code := run(context.Background(), append(append([]string{}, base...), tt.args...)); code != tt.code {
				t.Errorf("localoffer %v exited %d, want %d", tt.args, code, tt.code)
			}
		})
	}
	csv, err := os.ReadFile(filepath.Join(out, "scores.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "bolton,Bolton Council,Partial,Not reviewed,") || !strings.HasPrefix(lines[2], "bury,Bury Council,Not reviewed,") {
		t.Errorf("scores.csv:\n%s", csv)
	}
	page, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Pilot findings", "Re-assess after the rubric is amended", "Ring the SEND line"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "scores.xlsx")); err != nil {
		t.Error(err)
	}
	zips, _ := filepath.Glob(filepath.Join(bundles, "*.zip"))
	if len(zips) != 1 || !strings.HasPrefix(filepath.Base(zips[0]), "bolton-") {
		t.Errorf("bundles written: %v, want one for bolton", zips)
	}
}
