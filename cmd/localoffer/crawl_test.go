package main

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestCrawlCommand crawls two sites, one of them down, and checks the
// summary, the exit status and --explain.
func TestCrawlCommand(t *testing.T) {
	site := newChainSite(t, 12)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + l.Addr().String() + "/local-offer"
	l.Close()
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, "1ms", site.URL+"/p/0", down)
	dbPath := filepath.Join(dir, "s.db")

	out, errOut, code := runCLI(t, "--config", cfgPath, "--db", dbPath, "crawl")
	if code != 1 {
		t.Fatalf("crawl with one site down: exit %d, want 1\n%s%s", code, out, errOut)
	}
	if !regexpLine(out, `la-0\s+done\s+12\s`) || !regexpLine(out, `la-1\s+failed`) {
		t.Errorf("summary:\n%s", out)
	}
	if !strings.Contains(errOut, "1 of 2 authorities could not be crawled") {
		t.Errorf("stderr: %s", errOut)
	}

	out, errOut, code = runCLI(t, "--config", cfgPath, "--db", dbPath, "crawl", "--la", "la-0")
	if code != 0 || !strings.Contains(out, "la-0") || strings.Contains(out, "la-1") {
		t.Fatalf("crawl --la la-0: exit %d\n%s%s", code, out, errOut)
	}

	out, _, code = runCLI(t, "--config", cfgPath, "--db", dbPath, "crawl", "--explain", site.URL+"/p/5")
	if code != 0 || !strings.Contains(out, "la-0: not_modified") && !strings.Contains(out, "la-0: fetched") || !strings.Contains(out, "found on: "+site.URL+"/p/1") {
		t.Errorf("--explain /p/5: exit %d\n%s", code, out)
	}
	out, _, code = runCLI(t, "--config", cfgPath, "--db", dbPath, "crawl", "--explain", down)
	if code != 0 || !strings.Contains(out, "la-1: robots") || !strings.Contains(out, "unreachable") {
		t.Errorf("--explain on the site that was down: exit %d\n%s", code, out)
	}
	if _, _, code = runCLI(t, "--config", cfgPath, "--db", dbPath, "crawl", "--la", "nowhere"); code != 2 {
		t.Errorf("unknown --la: exit %d, want 2", code)
	}
	if _, _, code = runCLI(t, "--config", cfgPath, "--db", dbPath, "crawl", "--explain", "not a url"); code != 2 {
		t.Errorf("bad --explain: exit %d, want 2", code)
	}
}

func TestRobotsCommand(t *testing.T) {
	dir := t.TempDir()
	rf := filepath.Join(dir, "robots.txt")
	os.WriteFile(rf, []byte("User-agent: *\nDisallow: /private/\nAllow: /private/ok$\nCrawl-delay: 3\n"), 0o600)
	for _, tc := range []struct{ url, first, rule string }{
		{"https://h/private/x", "disallowed", "Disallow: /private/ (line 2)"},
		{"https://h/private/ok", "allowed", "Allow: /private/ok$ (line 3)"},
		{"https://h/public", "allowed", "none matches"},
	} {
		out, errOut, code := runCLI(t, "robots", "--robots", rf, "--agent", "TestBot/1.0", tc.url)
		if code != 0 || !strings.HasPrefix(out, tc.first+" ") || !strings.Contains(out, tc.rule) || !strings.Contains(out, "crawl delay: 3s") {
			t.Errorf("robots %s: exit %d\n%s%s", tc.url, code, out, errOut)
		}
	}
	site := newChainSite(t, 3)
	out, _, code := runCLI(t, "robots", site.URL+"/p/1")
	if code != 0 || !strings.HasPrefix(out, "allowed ") {
		t.Errorf("robots against a live site: exit %d\n%s", code, out)
	}
	if _, _, code := runCLI(t, "robots", "ftp://h/x"); code != 2 {
		t.Errorf("robots with a non-http URL: exit %d, want 2", code)
	}
}

func regexpLine(s, pattern string) bool {
	for _, l := range strings.Split(s, "\n") {
		if ok, _ := regexp.MatchString(pattern, l); ok {
			return true
		}
	}
	return false
}
