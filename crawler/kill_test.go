package crawler

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/localoffer/localoffer/store"
)

const killHelperEnv = "LOCALOFFER_CRAWL_KILL_HELPER"

// TestKillHelper is not a test: started by TestResumeAfterKill with the
// store path and the site URL in its environment, it crawls until killed.
func TestKillHelper(t *testing.T) {
	v := os.Getenv(killHelperEnv)
	if v == "" {
		t.Skip("helper process for TestResumeAfterKill")
	}
	dbPath, site, _ := strings.Cut(v, "|")
	db, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg, a := testConfig(t, site+"/", "")
	Run(context.Background(), db, cfg, a, testOptions())
	t.Fatal("the crawl finished before it was killed")
}

// TestResumeAfterKill kills a crawling process with SIGKILL (no chance to
// clean up, as in a power cut) and resumes its crawl: pages committed
// before the kill are not fetched again, and the crawl completes.
func TestResumeAfterKill(t *testing.T) {
	site := newFixtureSite(t)
	site.slow = 300 * time.Millisecond
	dbPath := t.TempDir() + "/crawl.db"
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillHelper$")
	cmd.Env = append(os.Environ(), killHelperEnv+"="+dbPath+"|"+site.URL())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(site.requests()) < 20 && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()

	db, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rec, err := db.InterruptedCrawl("fixture")
	if err != nil {
		t.Fatalf("no interrupted crawl after the kill: %v", err)
	}
	before := snapshots(t, db, rec.ID)
	if len(before) == 0 {
		t.Fatal("nothing committed before the kill")
	}
	site.resetLog()
	cfg, a := testConfig(t, site.URL()+"/", "")
	o := testOptions()
	o.Resume = true
	done, err := Run(context.Background(), db, cfg, a, o)
	if err != nil {
		t.Fatal(err)
	}
	if done.ID != rec.ID || done.Status != store.CrawlDone {
		t.Fatalf("resume: crawl %s status %s, want %s done", done.ID, done.Status, rec.ID)
	}
	for _, r := range site.requests() {
		if s, ok := before[site.URL()+r.uri]; ok && s.Kind != "error" && r.uri != "/flaky.html" {
			t.Errorf("%s was committed before the kill and fetched again", r.uri)
		}
	}
	after := snapshots(t, db, rec.ID)
	for _, p := range []string{"/", "/about.html", "/sitemap-only.html", "/guide.pdf", "/new-guide.html", "/slow.html", "/records/service.page?id=3"} {
		if after[site.URL()+p] == nil {
			t.Errorf("%s missing after the resumed crawl", p)
		}
	}
	t.Logf("%d URLs committed before the kill, %d after the resume", len(before), len(after))
}
