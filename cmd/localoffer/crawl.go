package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/crawler"
	"github.com/localoffer/localoffer/store"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func init() {
	register(func(g *globals) *cobra.Command {
		var (
			las     []string
			resume  bool
			explain string
		)
		cmd := &cobra.Command{
			Use:   "crawl [--la SLUG]... [--resume] [--explain URL]",
			Short: "Fetch the Local Offer sites politely and keep every page",
			Long: `crawl fetches each authority's Local Offer (its start URLs, home page and
sitemaps, following links on the configured hosts) and keeps every response in
the store. Authorities are crawled in parallel; each host gets one request at a
time with max(delay, robots.txt Crawl-delay) between requests.

  localoffer crawl                          # every authority in the list
  localoffer crawl --la bolton --la wigan   # only these
  localoffer crawl --resume                 # finish crawls cut short by Ctrl-C or a crash
  localoffer crawl --explain URL            # why URL was or was not fetched last time

Exit status: 0 when every site was crawled, 1 when any failed (the others are
still kept), 2 on bad usage.`,
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				cfg, err := g.loadConfig()
				if err != nil {
					return err
				}
				as, err := cfg.Select(las)
				if err != nil {
					return &usageError{err}
				}
				if explain != "" {
					if _, err := crawler.NormalizeURL(explain); err != nil {
						return usagef("--explain: %v", err)
					}
					db, err := store.OpenWith(g.dbPath, store.Options{ReadOnly: true})
					if err != nil {
						return err
					}
					defer db.Close()
					return explainURL(g.stdout, db, as, len(las) > 0, explain)
				}
				db, err := g.openDB()
				if err != nil {
					return err
				}
				defer db.Close()
				return crawlAll(cmd.Context(), g, db, cfg, as, resume)
			},
		}
		cmd.Flags().StringArrayVar(&las, "la", nil, "authority slug to crawl (repeatable; default: all)")
		cmd.Flags().BoolVar(&resume, "resume", false, "finish the newest interrupted crawl of each authority instead of starting afresh")
		cmd.Flags().StringVar(&explain, "explain", "", "say why `URL` was or was not fetched in the last crawl, then exit")
		return cmd
	})
}

// crawlOutcome is one authority's crawl for the summary.
type crawlOutcome struct {
	a    config.Authority
	rec  *store.Crawl
	err  error
	took time.Duration
}

// crawlAll crawls the authorities in parallel, shows progress, prints the
// summary and turns failures into the exit status.
func crawlAll(ctx context.Context, g *globals, db *store.DB, cfg *config.Config, as []config.Authority, resume bool) error {
	var prog progressView
	logger := g.log
	if f, ok := g.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		prog = newBars(g.stderr, as)
		// Between the bars, only warnings and errors are worth a line.
		opts := &slog.HandlerOptions{Level: slog.LevelWarn}
		if g.logFormat == "json" {
			logger = slog.New(slog.NewJSONHandler(g.stderr, opts))
		} else {
			logger = slog.New(slog.NewTextHandler(g.stderr, opts))
		}
	} else {
		prog = newLogProgress(g)
	}
	outs := make([]crawlOutcome, len(as))
	index := map[string]int{}
	for i, a := range as {
		index[a.Slug] = i
	}
	// Authorities that share a host are crawled one after another, so
	// that the host still sees one request at a time; the groups run in
	// parallel.
	var wg sync.WaitGroup
	for _, group := range crawler.Groups(as) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, a := range group {
				i := index[a.Slug]
				start := time.Now()
				outs[i] = crawlOne(ctx, g, logger, db, cfg, a, resume, prog)
				outs[i].took = time.Since(start)
			}
		}()
	}
	wg.Wait()
	prog.Close()
	printCrawlSummary(g.stdout, outs)

	failed := 0
	for _, o := range outs {
		if o.err != nil || o.rec == nil || o.rec.Status != store.CrawlDone {
			failed++
		}
	}
	switch {
	case ctx.Err() != nil:
		return errors.New("crawl interrupted; completed pages are kept, run 'localoffer crawl --resume' to finish")
	case failed > 0:
		return fmt.Errorf("%d of %d authorities could not be crawled", failed, len(outs))
	}
	return nil
}

func crawlOne(ctx context.Context, g *globals, logger *slog.Logger, db *store.DB, cfg *config.Config, a config.Authority, resume bool, prog progressView) crawlOutcome {
	release, taken, err := db.AcquireLock(a.Slug, "crawl")
	if err != nil {
		prog.Update(crawler.Progress{Authority: a.Slug, Finished: true})
		return crawlOutcome{a: a, err: err}
	}
	defer release()
	if taken != nil {
		logger.Warn("took over a crawl lock left by a process that is gone", "la", a.Slug, "pid", taken.PID)
	}
	rec, err := crawler.Run(ctx, db, cfg, a, crawler.Options{Resume: resume, Progress: prog.Update, Log: logger})
	return crawlOutcome{a: a, rec: rec, err: err}
}

// printCrawlSummary writes one line per authority.
func printCrawlSummary(w io.Writer, outs []crawlOutcome) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "authority\tstatus\tpages\tdocs\tunchanged\tbytes\trobots\tout of scope\ttraps\tskipped\terrors\ttook\t")
	for _, o := range outs {
		if o.rec == nil {
			fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\t-\t-\t-\t-\t-\t-\t%s\t\n", o.a.Slug, "failed", o.took.Round(time.Second))
			continue
		}
		c := o.rec.Counts
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t\n", o.a.Slug, o.rec.Status, c.Pages, c.Documents, c.NotModified,
			humanBytes(c.Bytes), c.Robots, c.OutOfScope, c.Traps, c.Skipped, c.ErrorTotal(), o.took.Round(100*time.Millisecond))
	}
	tw.Flush()
	for _, o := range outs {
		switch {
		case o.err != nil:
			fmt.Fprintf(w, "%s: %v\n", o.a.Slug, o.err)
		case o.rec != nil && o.rec.Status != store.CrawlDone && o.rec.Error != "":
			fmt.Fprintf(w, "%s: %s\n", o.a.Slug, o.rec.Error)
		}
		if o.rec != nil && len(o.rec.Counts.Errors) > 0 {
			var kinds []string
			for k, n := range o.rec.Counts.Errors {
				kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
			}
			sort.Strings(kinds)
			fmt.Fprintf(w, "%s errors: %s\n", o.a.Slug, strings.Join(kinds, ", "))
		}
	}
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1fG", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1fM", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0fK", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%dB", n)
}

// explainURL prints the crawler's decision about u in the newest crawl of
// each authority whose hosts cover it (or of those named with --la).
func explainURL(w io.Writer, db *store.DB, as []config.Authority, named bool, raw string) error {
	u, _ := crawler.NormalizeURL(raw)
	found := false
	for _, a := range as {
		if !named && !crawler.InScope(a, u) {
			continue
		}
		found = true
		cs, err := db.Crawls(a.Slug)
		if err != nil {
			return err
		}
		if len(cs) == 0 {
			fmt.Fprintf(w, "%s: never crawled\n", a.Slug)
			continue
		}
		c := cs[0]
		e, err := db.CrawlDecision(c.ID, u)
		switch {
		case store.IsNotFound(err):
			why := "no page of the crawl linked to it"
			if !crawler.InScope(a, u) {
				why = "its host is not one of " + a.Slug + "'s hosts, and no page linked to it"
			}
			if c.Status != store.CrawlDone {
				why += fmt.Sprintf(" (the crawl is %s, so it may not have got there)", c.Status)
			}
			fmt.Fprintf(w, "%s: not met in crawl %s (%s): %s\n", a.Slug, c.ID, c.Started.Format(time.RFC3339), why)
		case err != nil:
			return err
		default:
			fmt.Fprintf(w, "%s: %s in crawl %s (%s)\n", a.Slug, e.Decision, c.ID, c.Started.Format(time.RFC3339))
			if e.Detail != "" {
				fmt.Fprintf(w, "  why:   %s\n", e.Detail)
			}
			if e.Status != 0 {
				fmt.Fprintf(w, "  status: %d\n", e.Status)
			}
			if e.Via != "" {
				fmt.Fprintf(w, "  found on: %s\n", e.Via)
			}
			fmt.Fprintf(w, "  depth: %d, decided %s\n", e.Depth, e.Time.Format(time.RFC3339))
		}
	}
	if !found {
		return fmt.Errorf("%s is not on the hosts of any configured authority; name one with --la", u)
	}
	return nil
}

// progressView shows crawl progress: bars on a terminal, log lines
// otherwise.
type progressView interface {
	Update(crawler.Progress)
	Close()
}

// bars draws one line per authority on a terminal, redrawn in place.
type bars struct {
	w     io.Writer
	mu    sync.Mutex
	order []string
	state map[string]crawler.Progress
	start time.Time
	drawn int
	stop  chan struct{}
	done  chan struct{}
}

func newBars(w io.Writer, as []config.Authority) *bars {
	b := &bars{w: w, state: map[string]crawler.Progress{}, start: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
	for _, a := range as {
		b.order = append(b.order, a.Slug)
	}
	go func() {
		defer close(b.done)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				b.draw()
			case <-b.stop:
				b.draw()
				return
			}
		}
	}()
	return b
}

func (b *bars) Update(p crawler.Progress) {
	b.mu.Lock()
	b.state[p.Authority] = p
	b.mu.Unlock()
}

func (b *bars) Close() {
	close(b.stop)
	<-b.done
}

func (b *bars) draw() {
	b.mu.Lock()
	defer b.mu.Unlock()
	width := 0
	for _, s := range b.order {
		width = max(width, len(s))
	}
	var sb strings.Builder
	if b.drawn > 0 {
		fmt.Fprintf(&sb, "\x1b[%dA", b.drawn)
	}
	for _, s := range b.order {
		p := b.state[s]
		total := p.Done + p.Queued
		frac := 0.0
		if total > 0 {
			frac = float64(p.Done) / float64(total)
		}
		if p.Finished {
			frac = 1
		}
		const barW = 30
		fill := int(frac * barW)
		state := ""
		if p.Finished {
			state = " done"
		}
		fmt.Fprintf(&sb, "\r\x1b[K%-*s [%s%s] %5d done %5d queued %4d errors%s\n", width, s,
			strings.Repeat("=", fill), strings.Repeat(" ", barW-fill), p.Done, p.Queued, p.Errors, state)
	}
	b.drawn = len(b.order)
	io.WriteString(b.w, sb.String())
}

// logProgress writes a progress line per authority at most every ten
// seconds, and one when it finishes.
type logProgress struct {
	g    *globals
	mu   sync.Mutex
	last map[string]time.Time
}

func newLogProgress(g *globals) *logProgress { return &logProgress{g: g, last: map[string]time.Time{}} }

func (l *logProgress) Update(p crawler.Progress) {
	l.mu.Lock()
	due := time.Since(l.last[p.Authority]) >= 10*time.Second
	if due {
		l.last[p.Authority] = time.Now()
	}
	l.mu.Unlock()
	if due && !p.Finished {
		l.g.log.Info("crawling", "la", p.Authority, "done", p.Done, "queued", p.Queued, "errors", p.Errors)
	}
}

func (l *logProgress) Close() {}
