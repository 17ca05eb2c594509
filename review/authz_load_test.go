package review

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/localoffer/localoffer/evidence"
	"github.com/localoffer/localoffer/store"
	"golang.org/x/crypto/bcrypt"
)

// uiClient is a reviewer's browser against a real server on loopback: a
// cookie jar, no automatic redirects, and the session's form token.
type uiClient struct {
	base string
	hc   *http.Client
	csrf string
}

func newUIClient(base string) *uiClient {
	jar, _ := cookiejar.New(nil)
	return &uiClient{base: base, hc: &http.Client{
		Jar:           jar,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (c *uiClient) get(path string) (int, string, error) {
	resp, err := c.hc.Get(c.base + path)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func (c *uiClient) post(path string, form url.Values) (int, string, error) {
	resp, err := c.hc.PostForm(c.base+path, form)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// login signs in through the real form and keeps the session's form token.
func (c *uiClient) login(name, pw string) error {
	code, body, err := c.get("/login")
	if err != nil || code != http.StatusOK {
		return fmt.Errorf("GET /login = %d, %v", code, err)
	}
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		return fmt.Errorf("login form has no token")
	}
	code, _, err = c.post("/login", url.Values{"name": {name}, "password": {pw}, "csrf": {m[1]}, "next": {"/"}})
	if err != nil || code != http.StatusSeeOther {
		return fmt.Errorf("POST /login as %s = %d, %v", name, code, err)
	}
	code, body, err = c.get("/")
	if err != nil || code != http.StatusOK {
		return fmt.Errorf("dashboard after login = %d, %v", code, err)
	}
	if m = csrfRE.FindStringSubmatch(body); m == nil {
		return fmt.Errorf("dashboard has no form token")
	}
	c.csrf = m[1]
	return nil
}

func (c *uiClient) sessionCookie() string {
	u, _ := url.Parse(c.base)
	for _, ck := range c.hc.Jar.Cookies(u) {
		if ck.Name == sessionCookie {
			return ck.Value
		}
	}
	return ""
}

// serveFixture starts the fixture's server on a loopback port.
func serveFixture(t testing.TB, f *fixture) string {
	ts := httptest.NewServer(f.srv.Handler())
	t.Cleanup(ts.Close)
	return ts.URL
}

// TestSessionFixation plants a session cookie before sign-in, as an
// attacker who can set cookies for the site would: signing in must issue a
// new token, and the planted one must not become the victim's session.
func TestSessionFixation(t *testing.T) {
	f := newFixture(t)
	base := serveFixture(t, f)
	attacker := newUIClient(base)
	if err := attacker.login("viewer1", testPassword); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(base)
	for _, planted := range []string{"attacker-chosen-token", attacker.sessionCookie()} {
		// The victim's browser carries the planted cookie and posts the
		// sign-in form (its token taken from a clean page load, since a
		// valid planted session would skip the form).
		form := newUIClient(base)
		code, body, err := form.get("/login")
		m := csrfRE.FindStringSubmatch(body)
		if err != nil || code != http.StatusOK || m == nil {
			t.Fatalf("login form = %d, %v", code, err)
		}
		victim := newUIClient(base)
		victim.hc.Jar.SetCookies(u, form.hc.Jar.Cookies(u))
		victim.hc.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: planted, Path: "/"}})
		code, _, err = victim.post("/login", url.Values{"name": {"reviewer1"}, "password": {testPassword}, "csrf": {m[1]}, "next": {"/"}})
		if err != nil || code != http.StatusSeeOther {
			t.Fatalf("victim sign-in = %d, %v", code, err)
		}
		if got := victim.sessionCookie(); got == planted || got == "" {
			t.Errorf("sign-in kept the planted session token %q", planted)
		}
		// The planted token is not signed in as the victim.
		probe := newUIClient(base)
		probe.hc.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: planted, Path: "/"}})
		code, body, err = probe.get("/")
		if err != nil {
			t.Fatal(err)
		}
		if code == http.StatusOK && strings.Contains(body, "reviewer1") {
			t.Errorf("the planted token %q now opens the victim's session", planted)
		}
	}
}

// TestLogoutEndsSessionOnServer copies a session cookie, signs out, and
// replays the copy: the server must have forgotten the session, not only
// asked the browser to drop the cookie.
func TestLogoutEndsSessionOnServer(t *testing.T) {
	f := newFixture(t)
	base := serveFixture(t, f)
	c := newUIClient(base)
	if err := c.login("reviewer1", testPassword); err != nil {
		t.Fatal(err)
	}
	stolen := c.sessionCookie()
	if code, _, err := c.post("/logout", url.Values{"csrf": {c.csrf}}); err != nil || code >= 400 {
		t.Fatalf("logout = %d, %v", code, err)
	}
	replay := newUIClient(base)
	u, _ := url.Parse(base)
	replay.hc.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: stolen, Path: "/"}})
	code, _, err := replay.get("/")
	if err != nil {
		t.Fatal(err)
	}
	if code != http.StatusSeeOther {
		t.Errorf("replayed cookie after logout = %d, want a redirect to sign in", code)
	}
	code, _, _ = replay.post("/a/brackenfield/s/general.graduated/score", url.Values{"csrf": {c.csrf}, "version": {"0"}, "score": {"Yes"}, "rationale": {"x"}})
	if code != http.StatusUnauthorized {
		t.Errorf("save with a replayed cookie after logout = %d, want 401", code)
	}
	if d, _ := f.db.Decision("brackenfield", "general.graduated"); d.Version != 0 {
		t.Errorf("save with a dead session was stored: %+v", d)
	}
}

// TestDisabledUserLosesSession disables a signed-in user: the next request
// must be treated as signed out.
func TestDisabledUserLosesSession(t *testing.T) {
	f := newFixture(t)
	base := serveFixture(t, f)
	c := newUIClient(base)
	if err := c.login("reviewer2", testPassword); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.UpdateUser("admin1", "reviewer2", "disable user", func(u *evidence.User) error {
		u.Disabled = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	code, _, err := c.post("/a/brackenfield/s/general.graduated/score", url.Values{"csrf": {c.csrf}, "version": {"0"}, "score": {"Yes"}, "rationale": {"x"}})
	if err != nil {
		t.Fatal(err)
	}
	if code != http.StatusUnauthorized {
		t.Errorf("save by a disabled user = %d, want 401", code)
	}
}

// TestLoginRateLimitPerAddress sprays one password over many user names
// from one address: the address must be blocked, not only each name.
func TestLoginRateLimitPerAddress(t *testing.T) {
	f := newFixture(t)
	base := serveFixture(t, f)
	var last int
	for i := 0; i < DefaultLoginLimit+2; i++ {
		c := newUIClient(base)
		code, body, err := c.get("/login")
		if err != nil {
			t.Fatal(err)
		}
		m := csrfRE.FindStringSubmatch(body)
		if code != 200 || m == nil {
			t.Fatalf("login form = %d", code)
		}
		last, _, _ = c.post("/login", url.Values{"name": {fmt.Sprintf("guess%d", i)}, "password": {"Winter2026!"}, "csrf": {m[1]}})
	}
	if last != http.StatusTooManyRequests {
		t.Errorf("attempt %d from one address over different names = %d, want 429", DefaultLoginLimit+2, last)
	}
	// Even the right password is refused from that address for now.
	c := newUIClient(base)
	if err := c.login("reviewer1", testPassword); err == nil {
		t.Errorf("sign-in from a blocked address succeeded")
	}
}

// TestSecurityHeadersOnEveryResponse requests every route, the sign-in
// page, a static file, an unknown path and an error, signed in and not,
// and checks the headers that keep a browser safe on each response.
func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	f := newFixture(t)
	type probe struct{ method, target, user string }
	probes := []probe{
		{"GET", "/login", ""}, {"GET", "/static/app.css", ""}, {"GET", "/no/such/page", ""},
		{"GET", "/no/such/page", "viewer1"}, {"GET", "/a/no-such-authority", "viewer1"},
		{"POST", "/a/brackenfield/s/general.graduated/score", "viewer1"},
	}
	for _, rt := range f.srv.routes {
		target := fillPattern(f, rt.pattern)
		probes = append(probes, probe{rt.method, target, ""}, probe{rt.method, target, "admin1"})
	}
	for _, p := range probes {
		var form url.Values
		if p.method == http.MethodPost {
			form = url.Values{}
		}
		rec := f.do(p.method, p.target, p.user, form)
		h := rec.Header()
		name := fmt.Sprintf("%s %s as %q (%d)", p.method, p.target, p.user, rec.Code)
		if h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options = %q", name, h.Get("X-Content-Type-Options"))
		}
		csp := h.Get("Content-Security-Policy")
		redirect := rec.Code >= 300 && rec.Code < 400
		if csp == "" && !redirect {
			t.Errorf("%s: no Content-Security-Policy", name)
		} else if strings.Contains(csp, "'unsafe-inline'") && strings.Contains(csp, "script-src") && regexp.MustCompile(`script-src[^;]*'unsafe-inline'`).MatchString(csp) {
			t.Errorf("%s: CSP allows inline scripts: %q", name, csp)
		}
		framing := h.Get("X-Frame-Options") != "" || strings.Contains(csp, "frame-ancestors")
		if !framing && !redirect {
			t.Errorf("%s: nothing stops framing (no X-Frame-Options, no frame-ancestors)", name)
		}
		if h.Get("Referrer-Policy") == "" {
			t.Errorf("%s: no Referrer-Policy", name)
		}
		if ct := h.Get("Content-Type"); rec.Body.Len() > 0 && ct == "" {
			t.Errorf("%s: body without a Content-Type", name)
		}
		for _, ck := range rec.Result().Cookies() {
			if ck.MaxAge >= 0 && ck.Value != "" && (!ck.HttpOnly || ck.SameSite == http.SameSiteNoneMode || ck.SameSite == http.SameSiteDefaultMode) {
				t.Errorf("%s: cookie %s HttpOnly=%v SameSite=%v", name, ck.Name, ck.HttpOnly, ck.SameSite)
			}
		}
	}
}

// decisionKey is one sub-section of one authority.
type decisionKey struct{ slug, sub string }

// loadResult sums a load run.
type loadResult struct {
	saves, conflicts, failures int64
	latencies                  []time.Duration
	acked                      map[decisionKey][]string // rationales answered with success
}

// runReviewLoad has n reviewers, each signed in through the form, save
// scores as fast as they can for d on a server over loopback. Each works
// mostly on a sub-section of its own, but there are fewer sub-sections than
// reviewers and every tenth save goes to another's, so saves conflict; a
// conflict is answered 409 and retried at the version the conflict page
// carries. Every save answered with a redirect is
// recorded with its unique rationale.
func runReviewLoad(t *testing.T, f *fixture, n int, d time.Duration) *loadResult {
	t.Helper()
	base := serveFixture(t, f)
	hash, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	var keys []decisionKey
	for _, slug := range []string{"brackenfield", "fellside", "merrow-bridge"} {
		for _, sub := range f.srv.order {
			keys = append(keys, decisionKey{slug, sub})
		}
	}
	res := &loadResult{acked: map[decisionKey][]string{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var saves, conflicts, failures atomic.Int64
	versionRE := regexp.MustCompile(`name="version" value="(\d+)"`)
	deadline := time.Now().Add(d)
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("load%02d", i)
		if err := f.db.CreateUser("test", evidence.User{Name: name, Role: evidence.Reviewer, PasswordHash: hash}); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := newUIClient(base)
			if err := c.login(name, testPassword); err != nil {
				t.Error(err)
				failures.Add(1)
				return
			}
			versions := map[decisionKey]int{}
			var lat []time.Duration
			for j := 0; time.Now().Before(deadline); j++ {
				// Mostly the reviewer's own sub-section, as a team splits
				// the work; every tenth save lands on someone else's.
				k := keys[i%len(keys)]
				if j%10 == 9 {
					k = keys[(i+j)%len(keys)]
				}
				rationale := fmt.Sprintf("%s save %d: evidence reviewed on the Local Offer pages", name, j)
				form := url.Values{"csrf": {c.csrf}, "version": {strconv.Itoa(versions[k])}, "score": {[]string{"Yes", "Partial", "No"}[j%3]}, "rationale": {rationale}}
				start := time.Now()
				code, body, err := c.post("/a/"+k.slug+"/s/"+k.sub+"/score", form)
				lat = append(lat, time.Since(start))
				switch {
				case err != nil:
					t.Errorf("%s: %v", name, err)
					failures.Add(1)
					return
				case code == http.StatusSeeOther:
					saves.Add(1)
					versions[k]++
					mu.Lock()
					res.acked[k] = append(res.acked[k], rationale)
					mu.Unlock()
				case code == http.StatusConflict:
					conflicts.Add(1)
					if m := versionRE.FindStringSubmatch(body); m != nil {
						versions[k], _ = strconv.Atoi(m[1])
					}
				default:
					t.Errorf("%s: save answered %d", name, code)
					failures.Add(1)
					return
				}
			}
			mu.Lock()
			res.latencies = append(res.latencies, lat...)
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	res.saves, res.conflicts, res.failures = saves.Load(), conflicts.Load(), failures.Load()
	return res
}

// checkNothingLost requires every acknowledged save to be in the store:
// each sub-section's version counts exactly its acknowledged saves, its
// stored rationale is the last one acknowledged, and the audit log holds
// every acknowledged rationale once.
func checkNothingLost(t *testing.T, f *fixture, res *loadResult) {
	t.Helper()
	for k, rs := range res.acked {
		d, err := f.db.Decision(k.slug, k.sub)
		if err != nil {
			t.Fatal(err)
		}
		if d.Version != len(rs) {
			t.Errorf("%v: version %d after %d acknowledged saves", k, d.Version, len(rs))
		}
		found := false
		for _, r := range rs {
			found = found || r == d.Rationale
		}
		if !found || !d.FinalScore.Valid() {
			t.Errorf("%v: stored decision %+v is none of the acknowledged saves", k, d)
		}
		log, err := f.db.AuditLog(k.slug, k.sub, 0)
		if err != nil {
			t.Fatal(err)
		}
		inLog := map[string]int{}
		for _, e := range log {
			for _, r := range rs {
				if strings.Contains(e.After, r) {
					inLog[r]++
				}
			}
		}
		for _, r := range rs {
			if inLog[r] != 1 {
				t.Errorf("%v: acknowledged save %q is in the audit log %d times", k, r, inLog[r])
			}
		}
	}
}

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p*float64(len(s))+0.5) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(s) {
		i = len(s) - 1
	}
	return s[i]
}

// TestConcurrentSavesLoseNothing is a short load run on every test run:
// 16 reviewers saving for two seconds over loopback.
func TestConcurrentSavesLoseNothing(t *testing.T) {
	f := newFixture(t)
	res := runReviewLoad(t, f, 16, 2*time.Second)
	if res.failures > 0 {
		t.Fatalf("%d requests failed", res.failures)
	}
	if res.saves == 0 {
		t.Fatal("no save succeeded")
	}
	checkNothingLost(t, f, res)
	t.Logf("%d saves, %d conflicts, p50 %v, p99 %v", res.saves, res.conflicts, percentile(res.latencies, 0.5), percentile(res.latencies, 0.99))
}

// TestReviewLoad is the full load test, run with LOCALOFFER_LOAD=1: 50
// reviewers saving for LOCALOFFER_LOAD_SECONDS (default 60) on loopback,
// then every acknowledged save checked. It prints the request rate and
// latency percentiles.
func TestReviewLoad(t *testing.T) {
	if os.Getenv("LOCALOFFER_LOAD") == "" {
		t.Skip("set LOCALOFFER_LOAD=1 to run the 50-reviewer load test")
	}
	secs := 60
	if s := os.Getenv("LOCALOFFER_LOAD_SECONDS"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			secs = n
		}
	}
	f := newFixture(t)
	start := time.Now()
	res := runReviewLoad(t, f, 50, time.Duration(secs)*time.Second)
	took := time.Since(start)
	if res.failures > 0 {
		t.Errorf("%d requests failed", res.failures)
	}
	checkNothingLost(t, f, res)
	total := res.saves + res.conflicts
	t.Logf("50 reviewers, %v: %d requests (%.0f/s), %d saves acknowledged, %d conflicts answered 409, %d failed; latency p50 %v p95 %v p99 %v max %v",
		took.Round(time.Second), total, float64(total)/took.Seconds(), res.saves, res.conflicts, res.failures,
		percentile(res.latencies, 0.5), percentile(res.latencies, 0.95), percentile(res.latencies, 0.99), percentile(res.latencies, 1))
}

// TestAdminBackupWhileSaving downloads the store from the admin backup
// page again and again while reviewers keep saving: every download must be
// complete (as long as its Content-Length says) and open as a store that
// verifies.
func TestAdminBackupWhileSaving(t *testing.T) {
	f := newFixture(t)
	base := serveFixture(t, f)
	admin := newUIClient(base)
	if err := admin.login("admin1", testPassword); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	for i, name := range []string{"reviewer1", "reviewer2", "adviser1"} {
		c := newUIClient(base)
		if err := c.login(name, testPassword); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sub := f.srv.order[i]
			for v := 0; !stop.Load(); v++ {
				code, _, err := c.post("/a/brackenfield/s/"+sub+"/score", url.Values{"csrf": {c.csrf}, "version": {strconv.Itoa(v)}, "score": {"Partial"},
					"rationale": {fmt.Sprintf("save %d %s", v, strings.Repeat("long rationale text ", 300))}})
				if err != nil || code != http.StatusSeeOther {
					t.Errorf("save = %d, %v", code, err)
					return
				}
			}
		}(i)
	}
	defer func() { stop.Store(true); wg.Wait() }()
	dir := t.TempDir()
	for i := 0; i < 8; i++ {
		resp, err := admin.hc.Get(base + "/admin/backup")
		if err != nil {
			t.Fatal(err)
		}
		body, rerr := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("backup %d = %d", i, resp.StatusCode)
		}
		if rerr != nil {
			t.Fatalf("backup %d cut short after %d bytes (Content-Length %d): %v", i, len(body), resp.ContentLength, rerr)
		}
		if resp.ContentLength >= 0 && int64(len(body)) != resp.ContentLength {
			t.Fatalf("backup %d: %d bytes, Content-Length %d", i, len(body), resp.ContentLength)
		}
		p := fmt.Sprintf("%s/b%d.db", dir, i)
		if err := os.WriteFile(p, body, 0o600); err != nil {
			t.Fatal(err)
		}
		b, err := store.OpenWith(p, store.Options{ReadOnly: true})
		if err != nil {
			t.Fatalf("backup %d does not open: %v", i, err)
		}
		rep, err := b.Check(store.CheckOptions{})
		b.Close()
		if err != nil || !rep.OK() {
			t.Fatalf("backup %d does not verify: %v %v", i, err, rep.Problems)
		}
	}
}
