package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
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

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDemo_ServesAndStopsCleanly runs the whole demo on a temporary store,
// signs in with the login it prints, and stops it as Ctrl-C would.
func TestDemo_ServesAndStopsCleanly(t *testing.T) {
	out := &syncBuffer{}
	g := &globals{dbPath: filepath.Join(t.TempDir(), "unused.db"), logFormat: "text", stdout: out, stderr: out, log: slog.New(slog.NewTextHandler(out, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- runDemo(ctx, g, demoOptions{addr: "127.0.0.1:0", delay: time.Millisecond}, false) }()

	re := regexp.MustCompile(`Review UI: (http://127\.0\.0\.1:\d+/)\nSign in as "demo" with password "([a-z0-9]+)"`)
	var m []string
	for deadline := time.Now().Add(60 * time.Second); m == nil; {
		select {
		case err := <-done:
			t.Fatalf("demo ended early: %v\n%s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("demo never printed its address:\n%s", out.String())
		}
		m = re.FindStringSubmatch(out.String())
		time.Sleep(20 * time.Millisecond)
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	resp, err := client.Get(m[1] + "login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "<form") {
		t.Fatalf("login page = %d:\n%s", resp.StatusCode, body)
	}
	// Sign in with the printed login; the dashboard lists the demo councils.
	base, _ := url.Parse(m[1])
	csrf := ""
	for _, c := range jar.Cookies(base) {
		if c.Name == "lo_login" {
			csrf = c.Value
		}
	}
	resp, err = client.PostForm(m[1]+"login", url.Values{"name": {"demo"}, "password": {m[2]}, "csrf": {csrf}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Fellside Borough Council") {
		t.Fatalf("after signing in as demo: %d\n%s", resp.StatusCode, body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("demo stopped with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("demo did not stop within 10s of cancellation")
	}
	if !strings.Contains(out.String(), "Stopping.") {
		t.Errorf("demo did not say it was stopping:\n%s", out.String())
	}
	if _, err := http.Get(m[1]); err == nil {
		t.Error("review UI still answers after the demo stopped")
	}
}
