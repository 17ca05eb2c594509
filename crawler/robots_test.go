package crawler

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

type robotsCase struct {
	Test       string `json:"test"`
	Robots     string `json:"robots"`
	Agent      string `json:"agent"`
	URL        string `json:"url"`
	Allowed    bool   `json:"allowed"`
	GoogleOnly bool   `json:"google_only"`
}

func runRobotsCases(t *testing.T, file string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases []robotsCase `json:"cases"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	n := 0
	for _, c := range doc.Cases {
		if c.GoogleOnly {
			continue
		}
		n++
		got := ParseRobots([]byte(c.Robots)).Test(c.Agent, c.URL)
		if got.Allowed != c.Allowed {
			t.Errorf("%s: agent %q url %q\n%s\ngot allowed=%v (%s), want %v", c.Test, c.Agent, c.URL, c.Robots, got.Allowed, got, c.Allowed)
		}
	}
	if n == 0 {
		t.Fatalf("%s: no RFC 9309 cases", file)
	}
}

// TestRobotsConformanceSubset runs the copy of Google's conformance cases
// kept in testdata, so the matcher is always checked.
func TestRobotsConformanceSubset(t *testing.T) {
	runRobotsCases(t, filepath.Join("..", "testdata", "crawl", "robots-rfc9309-subset.json"))
}

// TestRobotsConformanceFull runs every RFC 9309 case of the benchmark's
// full suite when it sits beside the repository.
func TestRobotsConformanceFull(t *testing.T) {
	f := filepath.Join("..", "..", "shared", "bench", "robots-rfc9309.json")
	if _, err := os.Stat(f); err != nil {
		t.Skip("full robots conformance suite not present")
	}
	runRobotsCases(t, f)
}

func TestRobotsDetails(t *testing.T) {
	r := ParseRobots([]byte("Sitemap: http://x/s.xml\r\nUser-agent: *\r\nDisallow: /admin/\r\nCrawl-delay: 1.5\r\n\r\nUser-agent: localoffer\r\nDisallow: /private\r\nCrawl-delay: 3\r\n"))
	if got := r.CrawlDelay("localoffer/0.1 (+https://example.org)"); got != 3*time.Second {
		t.Errorf("CrawlDelay(localoffer) = %v, want 3s", got)
	}
	if got := r.CrawlDelay("OtherBot"); got != 1500*time.Millisecond {
		t.Errorf("CrawlDelay(OtherBot) = %v, want 1.5s", got)
	}
	if got := r.Sitemaps(); len(got) != 1 || got[0] != "http://x/s.xml" {
		t.Errorf("Sitemaps() = %v", got)
	}
	v := r.Test("localoffer/0.1", "http://x/private/a")
	if v.Allowed || v.Line != 7 || v.Rule != "Disallow: /private" {
		t.Errorf("Test(private) = %+v, want disallowed by line 7", v)
	}
	if v := r.Test("localoffer/0.1", "http://x/admin/"); !v.Allowed {
		t.Errorf("specific group must replace the * group: %+v", v)
	}
	if v := DisallowAll().Test("any", "/x"); v.Allowed {
		t.Errorf("DisallowAll allowed /x")
	}
	if v := AllowAll().Test("any", "/x"); !v.Allowed {
		t.Errorf("AllowAll disallowed /x")
	}
}
