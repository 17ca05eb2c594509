package main

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/localoffer/localoffer"
	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/crawler"
	"github.com/localoffer/localoffer/demo"
	"github.com/localoffer/localoffer/evidence"
	"github.com/localoffer/localoffer/extract"
	"github.com/localoffer/localoffer/pipeline"
	"github.com/localoffer/localoffer/review"
	"github.com/localoffer/localoffer/store"
	"github.com/spf13/cobra"
)

// demoUser is the reviewer account the demo creates.
const demoUser = "demo"

type demoOptions struct {
	addr     string
	sitePort int
	delay    time.Duration
	noServe  bool
}

func init() {
	register(func(g *globals) *cobra.Command {
		var o demoOptions
		cmd := &cobra.Command{
			Use:   "demo",
			Short: "Try localoffer on three built-in fictional Local Offers, offline",
			Long: `demo shows the whole job without touching the internet. It serves three
fictional councils' Local Offers (written for this project and built into the
program) on this machine's loopback address, crawls them politely with a short
delay, suggests evidence and scores against the rubric, creates a reviewer
account, and opens the review UI, printing its address and the login.

The store is a temporary file, deleted when the demo stops, unless --db names
one. Press Ctrl-C to stop.

  localoffer demo                     # review UI on http://127.0.0.1:8080/
  localoffer demo --addr 127.0.0.1:9000
  localoffer demo --db demo.db        # keep the results
  localoffer demo --no-serve          # crawl and assess, print the scores, exit`,
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				if o.delay < 0 {
					return usagef("--delay cannot be negative")
				}
				keep := cmd.Flags().Changed("db")
				return runDemo(cmd.Context(), g, o, keep)
			},
		}
		f := cmd.Flags()
		f.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address for the review UI (a free port is used if this one is taken)")
		f.IntVar(&o.sitePort, "site-port", 0, "first loopback port for the demo sites (default: free ports, or 47100 when --db keeps the store)")
		f.DurationVar(&o.delay, "delay", 50*time.Millisecond, "pause between two requests to one demo site")
		f.BoolVar(&o.noServe, "no-serve", false, "stop after crawling and assessing, printing the suggested scores")
		return cmd
	})
}

// demoKeptPort is the first port of the demo sites when --db keeps the store.
const demoKeptPort = 47100

func runDemo(ctx context.Context, g *globals, o demoOptions, keepDB bool) error {
	start := time.Now()
	say := func(format string, args ...any) { fmt.Fprintf(g.stdout, format+"\n", args...) }

	sites, err := demo.LoadSites(localoffer.DemoSites(), ".")
	if err != nil {
		return err
	}
	port := o.sitePort
	if port == 0 && keepDB {
		// A kept store remembers the sites by URL: serve them where they
		// were last time, so a second demo run re-crawls the same pages
		// (conditionally) instead of seeing every page moved.
		port = demoKeptPort
	}
	srv, err := demo.Start(sites, port)
	if err != nil && o.sitePort == 0 && port != 0 {
		say("Ports %d-%d are taken; serving the demo sites on free ports (the kept store will see new URLs).", port, port+len(sites)-1)
		srv, err = demo.Start(sites, 0)
	}
	if err != nil {
		return err
	}
	defer srv.Close()
	say("Serving %d fictional Local Offers on this machine:", len(sites))
	for i, s := range sites {
		say("  %-40s %s%s", s.Name, srv.URLs[i], s.StartPath)
	}
	cfg := srv.Config(o.delay)
	rub, err := g.loadRubric()
	if err != nil {
		return err
	}

	dbPath := g.dbPath
	if !keepDB {
		dir, err := os.MkdirTemp("", "localoffer-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dbPath = filepath.Join(dir, "demo.db")
	}
	db, err := store.Open(dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	if keepDB {
		say("Store: %s", dbPath)
	} else {
		say("Store: a temporary file, deleted when the demo stops (use --db FILE to keep it)")
	}

	say("Crawling with %s between requests, then suggesting evidence...", o.delay)
	run, err := pipeline.Run(ctx, db, cfg, rub, cfg.Authorities, pipeline.Options{
		Trigger:  store.TriggerDemo,
		Parallel: len(cfg.Authorities),
		Crawler:  crawler.Options{AllowPrivate: true},
		Log:      quietLog(g),
		Progress: func(e pipeline.Event) {
			if e.Stage != "skip" && e.Stage != "error" && !strings.Contains(e.Message, "crawled") && !strings.Contains(e.Message, "new suggestions") && !strings.Contains(e.Message, "since crawl") {
				return
			}
			say("  %s", e.Message)
		},
	})
	if err != nil {
		return err
	}
	if run.Status != store.RunDone {
		for _, ra := range run.Authorities {
			if ra.Error != "" || ra.Skipped != "" {
				say("  %s: %s%s", ra.Slug, ra.Error, ra.Skipped)
			}
		}
		return fmt.Errorf("demo run %s", run.Status)
	}
	say("Crawled and assessed in %s.", time.Since(start).Round(100*time.Millisecond))
	if err := printDemoScores(g, db, rub, cfg); err != nil {
		return err
	}
	if o.noServe {
		return nil
	}

	pw, err := demoAccount(db)
	if err != nil {
		return err
	}
	rs, err := review.NewServer(review.Config{DB: db, Rubric: rub, Authorities: cfg, Log: g.log, Extract: extract.Any,
		DashboardInfo: dashboardInfo(db, nil)})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		g.log.Info("review UI address taken, using a free port", "addr", o.addr, "err", err)
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return fmt.Errorf("listen: %w", err)
		}
	}
	hs := &http.Server{Handler: rs.Handler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	say("")
	say("Review UI: http://%s/", ln.Addr())
	say("Sign in as %q with password %q (a reviewer).", demoUser, pw)
	say("Press Ctrl-C to stop.")
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	case <-ctx.Done():
	}
	say("Stopping.")
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return hs.Shutdown(sctx)
}

// demoAccount creates the demo reviewer, or gives it a new password when a
// kept store already has it, and returns the password.
func demoAccount(db *store.DB) (string, error) {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	pw := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
	hash, err := review.HashPassword(pw)
	if err != nil {
		return "", err
	}
	err = db.CreateUser("demo", evidence.User{Name: demoUser, Role: evidence.Reviewer, PasswordHash: hash})
	if errors.Is(err, evidence.ErrConflict) {
		_, err = db.UpdateUser("demo", demoUser, "demo password", func(u *evidence.User) error {
			u.PasswordHash, u.Disabled = hash, false
			return nil
		})
	}
	return pw, err
}

// printDemoScores prints each demo authority's suggested scores.
func printDemoScores(g *globals, db *store.DB, rub *config.Rubric, cfg *config.Config) error {
	subs := rub.Subsections()
	fmt.Fprintf(g.stdout, "\nSuggested scores (Y = Yes, P = Partial, N = No) for the %d sub-sections:\n", len(subs))
	for _, a := range cfg.Authorities {
		sugs, err := db.Suggestions(a.Slug)
		if err != nil {
			return err
		}
		var b strings.Builder
		for _, ss := range subs {
			s, ok := sugs[ss.ID]
			switch {
			case !ok:
				b.WriteString("-")
			default:
				b.WriteString(string(s.Score)[:1])
			}
		}
		fmt.Fprintf(g.stdout, "  %-40s %s\n", a.Name, b.String())
	}
	return nil
}

// quietLog is the command's logger without its info lines: the demo says
// what it is doing itself, and keeps warnings.
func quietLog(g *globals) *slog.Logger {
	o := &slog.HandlerOptions{Level: slog.LevelWarn}
	if g.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(g.stderr, o))
	}
	return slog.New(slog.NewTextHandler(g.stderr, o))
}
