package review

import (
	"bytes"
	"context"
	"flag"
	"image/png"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/localoffer/localoffer/evidence"
)

var screenshotDir = flag.String("screenshots", "", "also write the browser test's screenshots (PNG) into this directory")

// findChromium returns a Chromium or Chrome binary, or "".
func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// newBrowser starts a headless Chromium with a fresh profile, or skips the
// test when there is none (never on CI).
func newBrowser(t *testing.T) (context.Context, func()) {
	t.Helper()
	bin := findChromium()
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no chromium binary on CI: install the chromium package")
		}
		t.Skip("browser test skipped: no chromium, chromium-browser or google-chrome binary on PATH (apt-get install chromium)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1000),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	return ctx, func() { cancelT(); cancelC(); cancelA() }
}

// shot saves a screenshot of the viewport into the test's directory and,
// with -screenshots, the named directory; it checks that it is a real
// image of the window's size.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	img, err := png.Decode(bytes.NewReader(buf))
	if err != nil {
		t.Fatalf("screenshot %s is not a PNG: %v", name, err)
	}
	if b := img.Bounds(); b.Dx() < 800 || b.Dy() < 600 {
		t.Errorf("screenshot %s is %v", name, b)
	}
	dirs := []string{t.TempDir()}
	if *screenshotDir != "" {
		dirs = append(dirs, *screenshotDir)
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, name+".png"), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func evalString(ctx context.Context, js string) (string, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[string](js))
}

// waitLoaded waits until the page that a form post redirected to, with
// done=what in its address, has loaded and its script has run. Waiting on
// the address (not on an element) cannot be fooled by the page before.
func waitLoaded(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	js := `location.search.indexOf("done=` + what + `") >= 0 && document.documentElement.getAttribute("data-keys") === "ready" ? "yes" : "no"`
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if v, err := evalString(ctx, js); err == nil && v == "yes" {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the page after %q did not load", what)
}

// TestBrowserReview drives a real Chromium: sign in, accept a suggestion
// with the keyboard, fix a score, see it on the dashboard, reload, and
// find it still there.
func TestBrowserReview(t *testing.T) {
	f := newFixture(t)
	ts := httptest.NewServer(f.srv.Handler())
	defer ts.Close()
	ctx, cancel := newBrowser(t)
	defer cancel()

	// Collect uncaught exceptions and policy violations of the UI's own
	// pages: the UI must run under its strict CSP without a complaint.
	var mu sync.Mutex
	var problems []string
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.IsException() || strings.Contains(m.Text, "Content Security Policy") {
				mu.Lock()
				problems = append(problems, m.String())
				mu.Unlock()
			}
		}
	}()

	// Sign in: asking for a page sends the browser to the login form first.
	err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/a/brackenfield"),
		chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), "reviewer1"),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Submit(chromedp.ID("password")),
		chromedp.WaitVisible(chromedp.CSS("[data-card]")),
		// The shortcuts are live once the script has run.
		chromedp.WaitReady(chromedp.CSS(`html[data-keys="ready"]`)),
	)
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}

	// j focuses the first card, a accepts it and moves to the next.
	if err := chromedp.Do(ctx, chromedp.KeyEvent("j")); err != nil {
		t.Fatalf("press j: %v", err)
	}
	first, err := evalString(ctx, `document.activeElement.id`)
	if err != nil || !strings.HasPrefix(first, "item-") {
		t.Fatalf("after j the focus is on %q (%v), want a card", first, err)
	}
	id := strings.TrimPrefix(first, "item-")
	shot(t, ctx, "authority")
	if err := chromedp.Do(ctx, chromedp.KeyEvent("a")); err != nil {
		t.Fatalf("press a: %v", err)
	}
	waitLoaded(t, ctx, "accepted")
	notice, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".notification__heading")))
	if notice != "Evidence accepted." {
		t.Errorf("notice after a = %q", notice)
	}
	if focused, _ := evalString(ctx, `document.activeElement.id`); !strings.HasPrefix(focused, "item-") || focused == first {
		t.Errorf("after accepting, focus is on %q, want the next card", focused)
	}
	if it, err := f.db.Item("brackenfield", id); err != nil || it.Status != evidence.Accepted || it.UpdatedBy != "reviewer1" {
		t.Errorf("item %s after a: %v by %q, %v", id, it.Status, it.UpdatedBy, err)
	}

	// m marks the card's sub-section reviewed, agreeing with the
	// suggested score, and moves to the next sub-section, where j picks up
	// its first card: a few keystrokes per sub-section.
	if err := chromedp.Do(ctx, chromedp.KeyEvent("m")); err != nil {
		t.Fatalf("press m: %v", err)
	}
	waitLoaded(t, ctx, "reviewed")
	if err := chromedp.Do(ctx, chromedp.KeyEvent("j")); err != nil {
		t.Fatalf("press j: %v", err)
	}
	if d, _ := f.db.Decision("brackenfield", "general.accessibility"); !d.Reviewed || d.ReviewedBy != "reviewer1" || !d.FinalScore.Valid() {
		t.Errorf("after m, decision = %+v", d)
	}
	if sub, _ := evalString(ctx, `document.activeElement.closest("[data-sub]").id`); sub != "sub-general-feedback" {
		t.Errorf("after m then j, the focus is in %q, want the next sub-section's first card", sub)
	}

	// ? opens the shortcuts panel.
	if err := chromedp.Do(ctx, chromedp.KeyEvent("?")); err != nil {
		t.Fatal(err)
	}
	if open, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector("[data-keys-help]").open`)); err != nil || !open {
		t.Errorf("? did not open the shortcuts panel (open=%v, err=%v)", open, err)
	}

	// The shortcuts can be turned off (and on again) for assistive
	// technology that sends letters.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("[data-keys-toggle]")),
		chromedp.KeyEvent("j"),
	)
	if err != nil {
		t.Fatal(err)
	}
	if pressed, _ := evalString(ctx, `document.querySelector("[data-keys-toggle]").getAttribute("aria-pressed")`); pressed != "false" {
		t.Errorf("after the toggle aria-pressed = %q, want false", pressed)
	}
	if id, _ := evalString(ctx, `(document.activeElement.closest("[data-card]")||{}).id||""`); id != "" {
		t.Errorf("j moved to %q with the shortcuts off", id)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("[data-keys-toggle]"))); err != nil {
		t.Fatal(err)
	}

	// Fix a score: No, with a rationale. The page is loaded afresh so
	// that the notice waited for is the new one.
	err = chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/a/brackenfield#sub-general-funding"),
		chromedp.WaitReady(chromedp.CSS(`html[data-keys="ready"]`)),
		chromedp.Click(chromedp.ID("score-general-funding-no")),
		chromedp.SendKeys(chromedp.ID("rationale-general-funding"), "Top-up funding is mentioned but the process is not outlined."),
		chromedp.Click(chromedp.CSS("#score-general-funding button[type=submit]")),
	)
	if err != nil {
		t.Fatalf("save score: %v", err)
	}
	waitLoaded(t, ctx, "score")
	if notice, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".notification__heading"))); notice != "Score saved." {
		t.Errorf("notice after saving = %q", notice)
	}

	// The dashboard shows it as a final score, and still after a reload.
	cell := chromedp.CSS(`[data-cell="brackenfield/general.funding"]`)
	for i, step := range []chromedp.Action[chromedp.Void]{chromedp.Navigate(ts.URL + "/"), chromedp.Reload()} {
		if err := chromedp.Do(ctx, step, chromedp.WaitVisible(cell)); err != nil {
			t.Fatalf("dashboard (%d): %v", i, err)
		}
		text, _ := chromedp.Run(ctx, chromedp.Text(cell))
		class, _ := chromedp.Run(ctx, chromedp.AttributeValue(cell, "class"))
		if !strings.HasPrefix(text, "No") || strings.Contains(class.Value, "tag--suggested") {
			t.Errorf("dashboard cell (%d) = %q class %q, want a final No", i, text, class.Value)
		}
	}
	if d, _ := f.db.Decision("brackenfield", "general.funding"); d.FinalScore != evidence.No || !d.Reviewed {
		t.Errorf("stored decision = %+v", d)
	}
	shot(t, ctx, "dashboard")

	// The snapshot viewer shows the capture, passage marked, nothing run.
	err = chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/snapshot/"+f.snapEHC+"?item="+f.itemEHC),
		chromedp.WaitVisible(chromedp.CSS("iframe.snapshot-frame")),
		chromedp.Sleep(500*time.Millisecond),
	)
	if err != nil {
		t.Fatalf("snapshot viewer: %v", err)
	}
	shot(t, ctx, "snapshot")
	// The frame is sandboxed without same-origin, so read it on its own.
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/snapshot/"+f.snapEHC+"/raw?item="+f.itemEHC), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
		t.Fatalf("raw snapshot: %v", err)
	}
	if marked, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.getElementById("lo-passage")`)); !marked {
		t.Error("the passage is not marked in the captured page")
	}
	if title, _ := chromedp.Run(ctx, chromedp.Title()); !strings.Contains(title, `<script>alert("title")</script>`) {
		t.Errorf("captured title = %q, want the payload shown as text", title)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Errorf("browser console: %s", p)
	}
}
