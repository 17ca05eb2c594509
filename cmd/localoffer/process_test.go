package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/evidence"
	"github.com/localoffer/localoffer/review"
	"github.com/localoffer/localoffer/store"
)

// These tests run the real command line in a child process (this test
// binary started again, running main's run function) so that it can be
// killed with SIGKILL at a bad moment, as a power cut or the OOM killer
// would, and checked on restart.

const mainEnv = "LOCALOFFER_TEST_MAIN"

// TestMainHelper is not a test: started by cli with mainEnv set, it runs
// the command line given after "--" and exits with its status.
func TestMainHelper(t *testing.T) {
	if os.Getenv(mainEnv) != "1" {
		t.Skip("helper process for the kill tests")
	}
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, args))
}

// cli returns a command running localoffer with args in a child process.
func cli(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^TestMainHelper$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), mainEnv+"=1")
	return cmd
}

// runCLI runs localoffer to completion and returns its output and exit code.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := cli(args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("run %v: %v", args, err)
	}
	return o.String(), e.String(), code
}

func killed(err error) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL
}

// chainSite is a fixture site of n pages in a tree (page k links to pages
// 3k+1 to 3k+3, so the site is shallow), with counted requests.
type chainSite struct {
	*httptest.Server
	n    int
	mu   sync.Mutex
	hits map[string]int
}

func newChainSite(t *testing.T, n int) *chainSite {
	s := &chainSite{n: n, hits: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		s.mu.Unlock()
		if r.URL.Path == "/robots.txt" {
			io.WriteString(w, "User-agent: *\nAllow: /\n")
			return
		}
		var k int
		if _, err := fmt.Sscanf(r.URL.Path, "/p/%d", &k); err != nil || k < 0 || k >= n {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><html><head><title>Page %d</title></head><body><main><h1>Local Offer page %d</h1><p>Special educational needs support: assess, plan, do, review. Early years settings and schools.</p><ul>", k, k)
		for j := 3*k + 1; j <= 3*k+3 && j < n; j++ {
			fmt.Fprintf(w, `<li><a href="/p/%d">page %d</a></li>`, j, j)
		}
		fmt.Fprint(w, "</ul></main></body></html>")
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *chainSite) snapshot() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.hits))
	for k, v := range s.hits {
		out[k] = v
	}
	return out
}

func (s *chainSite) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, v := range s.hits {
		n += v
	}
	return n
}

// writeConfig writes an authority list with one authority per site.
func writeConfig(t *testing.T, dir string, delay string, sites ...string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "crawl:\n  delay: %s\n  timeout: 5s\nauthorities:\n", delay)
	for i, u := range sites {
		fmt.Fprintf(&b, "  - slug: la-%d\n    name: Authority %d\n    start_urls: [%q]\n", i, i, u)
	}
	p := filepath.Join(dir, "authorities.yaml")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// committedURLs returns the URLs stored for the newest crawl of slug.
func committedURLs(t *testing.T, dbPath, slug string) (*store.Crawl, map[string]bool) {
	t.Helper()
	db, err := store.OpenWith(dbPath, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("open store after the kill: %v", err)
	}
	defer db.Close()
	cs, err := db.Crawls(slug)
	if err != nil || len(cs) == 0 {
		t.Fatalf("crawls of %s: %v (%d)", slug, err, len(cs))
	}
	urls := map[string]bool{}
	if err := db.CrawlSnapshots(cs[0].ID, func(s *store.Snapshot) error {
		if s.Status == 200 && s.Kind == "html" {
			u, _ := url.Parse(s.URL)
			urls[u.Path] = true
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return cs[0], urls
}

// checkStore runs 'localoffer check' on the store and requires it clean.
func checkStore(t *testing.T, dbPath string) {
	t.Helper()
	out, errOut, code := runCLI(t, "--db", dbPath, "check")
	if code != 0 || !strings.Contains(out, "OK: no problems found") {
		t.Fatalf("check after the kill: exit %d\n%s%s", code, out, errOut)
	}
}

// TestKillDuringCrawlThenResume kills a crawl with SIGKILL part way
// through; the store must open and verify, and 'crawl --resume' must
// finish the crawl without fetching again any page that had been
// committed, ending with every page of the site stored.
func TestKillDuringCrawlThenResume(t *testing.T) {
	const pages = 240
	site := newChainSite(t, pages)
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, "15ms", site.URL+"/p/0")
	dbPath := filepath.Join(dir, "s.db")

	cmd := cli("--config", cfgPath, "--db", dbPath, "crawl")
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for site.total() < pages/2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); !killed(err) {
		t.Fatalf("crawl ended before the kill (%v): make the site slower\n%s", err, errOut.String())
	}
	before := site.snapshot()

	rec, done := committedURLs(t, dbPath, "la-0")
	if rec.Status == store.CrawlDone {
		t.Fatalf("killed crawl recorded as done")
	}
	if len(done) == 0 || len(done) >= pages {
		t.Fatalf("%d pages committed at the kill; want some but not all", len(done))
	}
	checkStore(t, dbPath)
	t.Logf("killed after %d requests with %d pages committed", site.total(), len(done))

	out, eo, code := runCLI(t, "--config", cfgPath, "--db", dbPath, "crawl", "--resume")
	if code != 0 {
		t.Fatalf("crawl --resume: exit %d\n%s%s", code, out, eo)
	}
	after := site.snapshot()
	refetched := 0
	for p := range done {
		if after[p] > before[p] {
			t.Errorf("%s was committed before the kill and fetched again on resume", p)
			refetched++
		}
	}
	rec2, all := committedURLs(t, dbPath, "la-0")
	if rec2.Status != store.CrawlDone {
		t.Errorf("resumed crawl status %q, want done", rec2.Status)
	}
	if rec2.ID != rec.ID {
		t.Errorf("resume started crawl %s instead of finishing %s", rec2.ID, rec.ID)
	}
	for k := 0; k < pages; k++ {
		if p := fmt.Sprintf("/p/%d", k); !all[p] {
			t.Errorf("%s missing after the resumed crawl", p)
		}
	}
	checkStore(t, dbPath)
}

// TestKillDuringAssess kills assess at several points; each time the
// store must open and verify, every authority must hold either no
// suggestions or a complete set, and a new assess must succeed.
func TestKillDuringAssess(t *testing.T) {
	var sites []string
	for i := 0; i < 3; i++ {
		sites = append(sites, newChainSite(t, 60).URL+"/p/0")
	}
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, "0s", sites...)
	dbPath := filepath.Join(dir, "s.db")
	if out, eo, code := runCLI(t, "--config", cfgPath, "--db", dbPath, "crawl"); code != 0 {
		t.Fatalf("crawl: exit %d\n%s%s", code, out, eo)
	}
	// How long a whole assess takes, to aim the kills inside it.
	start := time.Now()
	if out, eo, code := runCLI(t, "--config", cfgPath, "--db", dbPath, "assess"); code != 0 {
		t.Fatalf("assess: exit %d\n%s%s", code, out, eo)
	}
	full := time.Since(start)
	t.Logf("a whole assess takes %v", full)
	subsections := 0
	for _, frac := range []float64{0.3, 0.6, 0.85} {
		cmd := cli("--config", cfgPath, "--db", dbPath, "assess")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(float64(full) * frac))
		cmd.Process.Kill()
		err := cmd.Wait()
		t.Logf("kill at %.0f%%: %v", frac*100, err)
		checkStore(t, dbPath)
		db, err := store.OpenWith(dbPath, store.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		for i := range sites {
			sugs, err := db.Suggestions(fmt.Sprintf("la-%d", i))
			if err != nil {
				t.Fatal(err)
			}
			if subsections == 0 {
				subsections = len(sugs)
			}
			if len(sugs) != subsections {
				t.Errorf("la-%d holds %d of %d sub-section suggestions after the kill: a partial assessment", i, len(sugs), subsections)
			}
		}
		db.Close()
	}
	if subsections == 0 {
		t.Fatal("no suggestions stored at all")
	}
	if out, eo, code := runCLI(t, "--config", cfgPath, "--db", dbPath, "assess"); code != 0 {
		t.Fatalf("assess after the kills: exit %d\n%s%s", code, out, eo)
	}
}

// TestStoreInUseAcrossCommands holds the store with a running serve: a
// crawl must refuse promptly with the holder's PID, while backup and check
// work through the copy serve takes; then backup and check run on the
// freed store, and check finds damage in a backup.
func TestStoreInUseAcrossCommands(t *testing.T) {
	site := newChainSite(t, 5)
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, "0s", site.URL+"/p/0")
	dbPath := filepath.Join(dir, "s.db")
	if out, eo, code := runCLI(t, "--config", cfgPath, "--db", dbPath, "crawl"); code != 0 {
		t.Fatalf("crawl: exit %d\n%s%s", code, out, eo)
	}
	srv := cli("--config", cfgPath, "--db", dbPath, "serve", "--addr", "127.0.0.1:0")
	so, _ := srv.StdoutPipe()
	srv.Stderr = io.Discard
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	if _, err := bufio.NewReader(so).ReadString('\n'); err != nil {
		t.Fatalf("serve did not start: %v", err)
	}
	pid := strconv.Itoa(srv.Process.Pid)
	start := time.Now()
	_, eo, code := runCLI(t, "--config", cfgPath, "--db", dbPath, "crawl")
	if code != 1 || !strings.Contains(eo, "in use by process "+pid) {
		t.Errorf("crawl while serve runs: exit %d, want 1 naming process %s\n%s", code, pid, eo)
	}
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("crawl took %v to give up", took)
	}
	// Backup and check work while serve runs: serve writes the copy.
	hot := filepath.Join(dir, "hot.db")
	if out, eo, code := runCLI(t, "--db", dbPath, "backup", "--out", hot); code != 0 || !strings.Contains(out, "by the process holding it") {
		t.Errorf("backup while serve runs: exit %d\n%s%s", code, out, eo)
	}
	checkStore(t, hot)
	if out, eo, code := runCLI(t, "--db", dbPath, "check"); code != 0 || !strings.Contains(out, "checking a consistent copy") || !strings.Contains(out, "OK: no problems found") {
		t.Errorf("check while serve runs: exit %d\n%s%s", code, out, eo)
	}
	srv.Process.Signal(syscall.SIGTERM)
	srv.Wait()

	bak := filepath.Join(dir, "b.db")
	if out, eo, code := runCLI(t, "--db", dbPath, "backup", "--out", bak); code != 0 || !strings.Contains(out, "verified") {
		t.Fatalf("backup: exit %d\n%s%s", code, out, eo)
	}
	checkStore(t, bak)
	// Damage the backup's bodies: check must say so and exit 1.
	data, _ := os.ReadFile(bak)
	for i := len(data) / 2; i < len(data)/2+4096 && i < len(data); i++ {
		data[i] ^= 0x55
	}
	os.WriteFile(bak, data, 0o600)
	out, eo, code := runCLI(t, "--db", bak, "check")
	if code != 1 {
		t.Errorf("check of a damaged store: exit %d, want 1\n%s%s", code, out, eo)
	}
	if code == 1 && !strings.Contains(out+eo, "problem") && !strings.Contains(out+eo, "damaged") {
		t.Errorf("check of a damaged store does not say what is wrong:\n%s%s", out, eo)
	}
	if _, _, code := runCLI(t, "--db", dbPath, "backup"); code != 2 {
		t.Errorf("backup without --out: exit %d, want 2", code)
	}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signIn signs in to the review UI at base through its form and returns a
// client holding the session and the session's form token.
func signIn(base, name, pw string) (*http.Client, string, error) {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	page := func(resp *http.Response, err error) (int, string, error) {
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}
	_, body, err := page(hc.Get(base + "/login"))
	if err != nil {
		return nil, "", err
	}
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		return nil, "", errors.New("no token on the login form")
	}
	code, _, err := page(hc.PostForm(base+"/login", url.Values{"name": {name}, "password": {pw}, "csrf": {m[1]}, "next": {"/"}}))
	if err != nil || code != http.StatusSeeOther {
		return nil, "", fmt.Errorf("sign in as %s: %d %v", name, code, err)
	}
	_, body, err = page(hc.Get(base + "/"))
	if err != nil {
		return nil, "", err
	}
	if m = csrfField.FindStringSubmatch(body); m == nil {
		return nil, "", errors.New("no form token on the dashboard")
	}
	return hc, m[1], nil
}

// TestKillDuringReviewSaves has reviewers save scores through a running
// 'serve', takes a hot backup half way (which must verify), and kills the
// server with SIGKILL in the middle of the burst.
// Every save the server had answered with success must be in the store
// after the restart, and the store must verify.
func TestKillDuringReviewSaves(t *testing.T) {
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, "0s", "https://la0.example/send", "https://la1.example/send")
	dbPath := filepath.Join(dir, "s.db")
	const reviewers = 8
	db, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := review.HashPassword("kill test password 1")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < reviewers; i++ {
		if err := db.CreateUser("test", evidence.User{Name: fmt.Sprintf("rev%d", i), Role: evidence.Reviewer, PasswordHash: hash}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	subs := config.DefaultRubric().Subsections()

	srv := cli("--config", cfgPath, "--db", dbPath, "serve", "--addr", "127.0.0.1:0")
	so, _ := srv.StdoutPipe()
	srv.Stderr = io.Discard
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	line, err := bufio.NewReader(so).ReadString('\n')
	if err != nil {
		t.Fatalf("serve did not start: %v", err)
	}
	base := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(line)
	if base == "" {
		t.Fatalf("serve said %q", line)
	}

	type key struct{ la, sub string }
	var mu sync.Mutex
	acked := map[key][]string{}
	total := 0
	killNow, half := make(chan struct{}), make(chan struct{})
	var once, halfOnce sync.Once
	var wg sync.WaitGroup
	for i := 0; i < reviewers; i++ {
		hc, csrf, err := signIn(base, fmt.Sprintf("rev%d", i), "kill test password 1")
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			// Each reviewer owns three sub-sections, so versions are known
			// without reading pages and no save conflicts.
			var mine []key
			for j := 0; j < 3; j++ {
				n := i*3 + j
				mine = append(mine, key{fmt.Sprintf("la-%d", n%2), subs[(n/2)%len(subs)].ID})
			}
			version := map[key]int{}
			for j := 0; ; j++ {
				k := mine[j%len(mine)]
				rationale := fmt.Sprintf("rev%d save %d of %s", i, j, k.sub)
				form := url.Values{"csrf": {csrf}, "version": {strconv.Itoa(version[k])}, "score": {"Partial"}, "rationale": {rationale}}
				resp, err := hc.PostForm(base+"/a/"+k.la+"/s/"+k.sub+"/score", form)
				if err != nil {
					return // the server is gone
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusSeeOther {
					t.Errorf("save answered %d", resp.StatusCode)
					return
				}
				version[k]++
				mu.Lock()
				acked[k] = append(acked[k], rationale)
				total++
				if total >= 150 {
					halfOnce.Do(func() { close(half) })
				}
				if total >= 300 {
					once.Do(func() { close(killNow) })
				}
				mu.Unlock()
			}
		}(i)
	}
	// Half way, a hot backup while the saves go on.
	select {
	case <-half:
	case <-time.After(60 * time.Second):
		t.Fatal("the burst of saves did not reach 150 in a minute")
	}
	hot := filepath.Join(dir, "hot.db")
	if out, eo, code := runCLI(t, "--db", dbPath, "backup", "--out", hot); code != 0 {
		t.Errorf("backup during the burst: exit %d\n%s%s", code, out, eo)
	} else {
		checkStore(t, hot)
	}
	select {
	case <-killNow:
	case <-time.After(60 * time.Second):
		t.Fatal("the burst of saves did not reach 300 in a minute")
	}
	srv.Process.Kill()
	if err := srv.Wait(); !killed(err) {
		t.Fatalf("serve ended with %v, want killed", err)
	}
	wg.Wait()

	checkStore(t, dbPath)
	db, err = store.OpenWith(dbPath, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for k, rs := range acked {
		d, err := db.Decision(k.la, k.sub)
		if err != nil {
			t.Fatal(err)
		}
		// One more save may have committed with its answer lost in the kill.
		if d.Version != len(rs) && d.Version != len(rs)+1 {
			t.Errorf("%v: version %d after %d acknowledged saves", k, d.Version, len(rs))
		}
		log, err := db.AuditLog(k.la, k.sub, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			n := 0
			for _, e := range log {
				if strings.Contains(e.After, `"`+r+`"`) {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%v: acknowledged save %q is in the audit log %d times", k, r, n)
			}
		}
	}
	t.Logf("killed serve after %d acknowledged saves over %d sub-sections", total, len(acked))
}

// rlimitMu serialises the brief window in which this process lowers its
// own file-size limit so that a child starts with it.
var rlimitMu sync.Mutex

// startWithFileLimit starts cmd with RLIMIT_FSIZE set to limit bytes: its
// writes past that size fail with EFBIG, as they fail with ENOSPC on a full
// disk. The limit is inherited at fork and restored here at once.
func startWithFileLimit(t *testing.T, cmd *exec.Cmd, limit uint64) {
	t.Helper()
	rlimitMu.Lock()
	defer rlimitMu.Unlock()
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: limit, Max: old.Max}); err != nil {
		t.Fatal(err)
	}
	err := cmd.Start()
	if rerr := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); rerr != nil {
		t.Fatal(rerr)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// TestDiskFullDuringCrawl runs a crawl whose store cannot grow past a few
// hundred kilobytes: the crawl must stop with a clear error and exit
// status 1, the store must verify, and once there is room 'crawl --resume'
// must finish the crawl.
func TestDiskFullDuringCrawl(t *testing.T) {
	const pages = 200
	site := newChainSite(t, pages)
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, "0s", site.URL+"/p/0")
	dbPath := filepath.Join(dir, "s.db")
	// Create the store first so that the limit leaves room to open it.
	if out, eo, code := runCLI(t, "--db", dbPath, "check"); code != 0 {
		t.Logf("check of a new store: exit %d %s%s", code, out, eo)
	}
	if _, err := os.Stat(dbPath); err != nil {
		db, err := store.Open(dbPath)
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	fi, _ := os.Stat(dbPath)
	cmd := cli("--config", cfgPath, "--db", dbPath, "crawl")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	startWithFileLimit(t, cmd, uint64(fi.Size())+256<<10)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("crawl on a full disk: %v, want exit status 1\n%s%s", err, out.String(), errOut.String())
	}
	msg := out.String() + errOut.String()
	if !strings.Contains(msg, "file too large") && !strings.Contains(msg, "no space") {
		t.Errorf("the crawl's output does not say the disk is full:\n%s", msg)
	}
	t.Logf("crawl on a full disk said:\n%s", lastLines(msg, 8))
	checkStore(t, dbPath)
	_, done := committedURLs(t, dbPath, "la-0")
	if len(done) >= pages {
		t.Fatalf("all %d pages fitted: the limit did not bite", pages)
	}

	if o, eo, code := runCLI(t, "--config", cfgPath, "--db", dbPath, "crawl", "--resume"); code != 0 {
		t.Fatalf("crawl --resume with room again: exit %d\n%s%s", code, o, eo)
	}
	_, all := committedURLs(t, dbPath, "la-0")
	if len(all) != pages {
		t.Errorf("%d of %d pages stored after the resumed crawl", len(all), pages)
	}
	checkStore(t, dbPath)
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

// TestDiskFullDuringReviewSaves runs serve on a disk that fills up while a
// reviewer saves: the save that does not fit must not be answered with
// success, every save that was must be stored, and the store must verify.
func TestDiskFullDuringReviewSaves(t *testing.T) {
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, "0s", "https://la0.example/send")
	dbPath := filepath.Join(dir, "s.db")
	db, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := review.HashPassword("disk full password 1")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateUser("test", evidence.User{Name: "rev", Role: evidence.Reviewer, PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	fi, _ := os.Stat(dbPath)

	srv := cli("--config", cfgPath, "--db", dbPath, "serve", "--addr", "127.0.0.1:0")
	so, _ := srv.StdoutPipe()
	var errOut bytes.Buffer
	srv.Stderr = &errOut
	startWithFileLimit(t, srv, uint64(fi.Size())+256<<10)
	defer func() { srv.Process.Kill(); srv.Wait() }()
	line, err := bufio.NewReader(so).ReadString('\n')
	if err != nil {
		t.Fatalf("serve did not start: %v\n%s", err, errOut.String())
	}
	base := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(line)
	hc, csrf, err := signIn(base, "rev", "disk full password 1")
	if err != nil {
		t.Fatal(err)
	}
	subs := config.DefaultRubric().Subsections()
	acked := map[string]int{}
	failedWith := 0
	for j := 0; j < 2000 && failedWith == 0; j++ {
		sub := subs[j%len(subs)].ID
		form := url.Values{"csrf": {csrf}, "version": {strconv.Itoa(acked[sub])}, "score": {"Yes"},
			"rationale": {fmt.Sprintf("save %d: %s", j, strings.Repeat("evidence on the Local Offer pages ", 200))}}
		resp, err := hc.PostForm(base+"/a/la-0/s/"+sub+"/score", form)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusSeeOther:
			acked[sub]++
		case resp.StatusCode >= 500:
			failedWith = resp.StatusCode
		default:
			t.Fatalf("save %d answered %d", j, resp.StatusCode)
		}
	}
	if failedWith == 0 {
		t.Fatal("the disk never filled up")
	}
	n := 0
	for _, v := range acked {
		n += v
	}
	t.Logf("%d saves fitted; the next was answered %d", n, failedWith)
	srv.Process.Signal(syscall.SIGTERM)
	srv.Wait()
	if !strings.Contains(errOut.String(), "file too large") {
		t.Errorf("the server's log does not give the cause:\n%s", lastLines(errOut.String(), 5))
	}
	checkStore(t, dbPath)
	db, err = store.OpenWith(dbPath, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for sub, v := range acked {
		d, err := db.Decision("la-0", sub)
		if err != nil || d.Version != v {
			t.Errorf("%s: stored version %d (%v), %d saves acknowledged", sub, d.Version, err, v)
		}
	}
}
