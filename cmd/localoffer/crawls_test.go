package main

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/localoffer/localoffer/store"
)

func TestPrintHistoryAndPickCrawls(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ids []string
	for _, la := range []string{"bolton", "bury", "bolton"} {
		c := &store.Crawl{Authority: la, Status: store.CrawlDone, Counts: store.Counts{Pages: 40, NotModified: 35}}
		if err := db.CreateCrawl(c); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	r := &store.Run{Trigger: store.TriggerSchedule, Status: store.RunPartial, Authorities: []store.RunAuthority{
		{Slug: "bolton", CrawlID: ids[2], Pages: 40, Changed: 3, Stale: 2, ReReview: 1},
		{Slug: "bury", Skipped: "bury is being crawled by process 42"},
	}}
	if err := db.CreateRun(r); err != nil {
		t.Fatal(err)
	}
	release, _, err := db.AcquireLock("bury", "crawl")
	if err != nil {
		t.Fatal(err)
	}
	defer release()

	var out bytes.Buffer
	if err := printHistory(&out, db, nil, 0); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{ids[0], ids[2], "schedule", "1 scores need re-review", "skipped: bury is being crawled", "lock: bury by process"} {
		if !strings.Contains(got, want) {
			t.Errorf("history lacks %q:\n%s", want, got)
		}
	}
	out.Reset()
	if err := printHistory(&out, db, []string{"bury"}, 0); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), ids[0]+"  bolton") {
		t.Errorf("--la bury shows bolton's crawls:\n%s", out.String())
	}

	from, cur, err := pickCrawls(db, "bolton", "", "")
	if err != nil || from.ID != ids[0] || cur.ID != ids[2] {
		t.Errorf("pickCrawls(bolton) = %v, %v, %v; want %s -> %s", from, cur, err, ids[0], ids[2])
	}
	if _, _, err := pickCrawls(db, "bury", "", ""); err == nil || !strings.Contains(err.Error(), "only one finished crawl") {
		t.Errorf("pickCrawls(bury) err = %v, want only one crawl", err)
	}
	var ue *usageError
	if _, _, err := pickCrawls(db, "bolton", ids[1], ""); !errors.As(err, &ue) {
		t.Errorf("--since a crawl of another authority: err = %v, want a usage error", err)
	}
	if _, _, err := pickCrawls(db, "wigan", "", ""); err == nil {
		t.Error("pickCrawls of an authority never crawled succeeded")
	}
}
