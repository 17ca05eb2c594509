// Package pipeline runs localoffer's job for one or many authorities: crawl
// (conditionally, after the first time), assess, then compare with the
// previous crawl and mark what went stale. The crawl, assess and serve
// commands, the demo and the scheduler inside serve all go through Run, so
// a run is recorded in the run history and one authority is never crawled
// twice at once.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/localoffer/localoffer/changes"
	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/crawler"
	"github.com/localoffer/localoffer/store"
)

// CrawlFunc crawls one authority and returns the finished crawl record.
type CrawlFunc func(ctx context.Context, db *store.DB, cfg *config.Config, a config.Authority, runID string) (*store.Crawl, error)

// AssessFunc suggests evidence and scores for one authority from its
// latest crawl and returns how many suggestions were new.
type AssessFunc func(ctx context.Context, db *store.DB, cfg *config.Config, rubric *config.Rubric, a config.Authority) (newItems int, err error)

// Event tells a watcher what a run is doing.
type Event struct {
	Authority string
	// Stage is "crawl", "assess", "changes", "skip", "done" or "error".
	Stage   string
	Message string
}

// Options change how Run works. The zero value crawls with the crawler
// package, assesses with Assess and compares main text as the extract
// package reads it.
type Options struct {
	// Trigger says why the run started (store.TriggerManual...).
	Trigger string
	// Crawler are the options of the default crawl step (AllowPrivate for
	// sites on loopback, a Progress callback). Log is filled in from Log.
	Crawler crawler.Options
	// Parallel is how many authorities run at once (default 4); each
	// authority's hosts are still fetched one request at a time.
	Parallel int
	// Crawl, Assess and Text replace the default steps.
	Crawl  CrawlFunc
	Assess AssessFunc
	Text   changes.TextFunc
	// User is the name stale marks are audited under (default "localoffer").
	User string
	Log  *slog.Logger
	// Progress receives events as the run goes; it must not block long.
	Progress func(Event)
}

// Run crawls, assesses and checks for changes every authority in turn, and
// records the run in the store's history. An authority whose lock is held
// by another run is skipped and noted. Errors of one authority are recorded
// and do not stop the others; Run returns an error only when the store
// fails or ctx is cancelled, and the run record in both cases.
func Run(ctx context.Context, db *store.DB, cfg *config.Config, rubric *config.Rubric, authorities []config.Authority, o Options) (*store.Run, error) {
	if o.Trigger == "" {
		o.Trigger = store.TriggerManual
	}
	if o.User == "" {
		o.User = "localoffer"
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Crawl == nil {
		co := o.Crawler
		if co.Log == nil {
			co.Log = o.Log
		}
		o.Crawl = func(ctx context.Context, db *store.DB, cfg *config.Config, a config.Authority, runID string) (*store.Crawl, error) {
			return crawler.Run(ctx, db, cfg, a, co)
		}
	}
	if o.Assess == nil {
		o.Assess = func(ctx context.Context, db *store.DB, cfg *config.Config, r *config.Rubric, a config.Authority) (int, error) {
			res, err := Assess(ctx, db, cfg, r, a, AssessOptions{Log: o.Log})
			return res.Added, err
		}
	}
	if o.Parallel <= 0 {
		o.Parallel = 4
	}
	var emitMu sync.Mutex
	emit := func(slug, stage, format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		emitMu.Lock()
		defer emitMu.Unlock()
		if o.Progress != nil {
			o.Progress(Event{Authority: slug, Stage: stage, Message: msg})
		}
		level := slog.LevelInfo
		if stage == "error" {
			level = slog.LevelWarn
		}
		o.Log.Log(ctx, level, msg, "authority", slug, "stage", stage)
	}
	run := &store.Run{Trigger: o.Trigger}
	if err := db.CreateRun(run); err != nil {
		return nil, fmt.Errorf("start run: %w", err)
	}
	results := make([]*store.RunAuthority, len(authorities))
	var (
		mu     sync.Mutex
		wg     sync.WaitGroup
		sem    = make(chan struct{}, o.Parallel)
		record error
	)
	// save records the authorities finished so far, in list order.
	save := func() {
		run.Authorities = run.Authorities[:0]
		for _, ra := range results {
			if ra != nil {
				run.Authorities = append(run.Authorities, *ra)
			}
		}
		if err := db.UpdateRun(run); err != nil && record == nil {
			record = fmt.Errorf("record run: %w", err)
		}
	}
	index := make(map[string]int, len(authorities))
	for i, a := range authorities {
		index[a.Slug] = i
	}
	// Authorities that share a host (one directory platform serving two
	// councils) run one after the other in the same worker, so that host
	// still sees one request at a time.
	for _, group := range crawler.Groups(authorities) {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			for _, a := range group {
				if ctx.Err() != nil {
					return
				}
				ra := &store.RunAuthority{Slug: a.Slug, Started: db.Now().UTC()}
				if err := runOne(ctx, db, cfg, rubric, a, run.ID, o, ra, emit); err != nil {
					ra.Error = err.Error()
					emit(a.Slug, "error", "%s: %v", a.Slug, err)
				}
				ra.Ended = db.Now().UTC()
				mu.Lock()
				results[index[a.Slug]] = ra
				save()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	failed := 0
	for _, ra := range results {
		if ra == nil || ra.Error != "" || ra.Skipped != "" {
			failed++
		}
	}
	save()
	if record != nil {
		return run, record
	}
	runErr := ctx.Err()
	run.Ended = db.Now().UTC()
	switch {
	case runErr != nil:
		run.Status, run.Error = store.RunFailed, runErr.Error()
	case failed == 0:
		run.Status = store.RunDone
	case failed == len(authorities):
		run.Status = store.RunFailed
	default:
		run.Status = store.RunPartial
	}
	if err := db.UpdateRun(run); err != nil {
		return run, fmt.Errorf("record run: %w", err)
	}
	return run, runErr
}

// runOne does one authority under its lock.
func runOne(ctx context.Context, db *store.DB, cfg *config.Config, rubric *config.Rubric, a config.Authority, runID string, o Options, ra *store.RunAuthority, emit func(slug, stage, format string, args ...any)) error {
	release, over, err := db.AcquireLock(a.Slug, "run "+runID)
	if err != nil {
		var le *store.LockedError
		if errors.As(err, &le) {
			ra.Skipped = le.Error()
			emit(a.Slug, "skip", "%s: skipped, %v", a.Slug, le)
			return nil
		}
		return err
	}
	defer release()
	if over != nil {
		emit(a.Slug, "crawl", "%s: took over a crawl lock left by process %d at %s", a.Slug, over.PID, over.Started.Format(time.RFC3339))
	}
	prev, err := db.LatestCrawl(a.Slug)
	if err != nil && !store.IsNotFound(err) {
		return err
	}
	emit(a.Slug, "crawl", "%s: crawling %v", a.Slug, a.StartURLs)
	cur, err := o.Crawl(ctx, db, cfg, a, runID)
	if cur != nil {
		ra.CrawlID = cur.ID
		ra.Pages, ra.NotModified, ra.Errors = cur.Counts.Pages, cur.Counts.NotModified, cur.Counts.ErrorTotal()
	}
	if err != nil && (cur == nil || cur.Counts.Pages == 0) {
		return fmt.Errorf("crawl: %w", err)
	}
	switch {
	case cur == nil:
		return fmt.Errorf("crawl: no crawl record")
	case cur.Status == store.CrawlInterrupted:
		return fmt.Errorf("crawl interrupted after %d pages", cur.Counts.Pages)
	case cur.Status == store.CrawlFailed && cur.Counts.Pages == 0:
		return fmt.Errorf("crawl failed: %s", cur.Error)
	}
	if cur.RunID == "" {
		cur.RunID = runID
		if err := db.UpdateCrawl(cur); err != nil {
			return fmt.Errorf("record crawl: %w", err)
		}
	}
	if err != nil {
		ra.Error = "crawl: " + err.Error()
	}
	msg := fmt.Sprintf("%s: crawled %d pages", a.Slug, ra.Pages)
	if prev != nil {
		msg += fmt.Sprintf(", %d unchanged since crawl %s", ra.NotModified, prev.ID)
	}
	if ra.Errors > 0 {
		msg += fmt.Sprintf(", %d errors", ra.Errors)
	}
	emit(a.Slug, "crawl", "%s", msg)
	if prev != nil {
		ra.PreviousCrawlID = prev.ID
	}
	// What evidence the old pages carried, before the assessment replaces
	// suggestions that no longer hold.
	before, err := evidencePages(db, a.Slug, "")
	if err != nil {
		return err
	}
	emit(a.Slug, "assess", "%s: suggesting evidence", a.Slug)
	n, err := o.Assess(ctx, db, cfg, rubric, a)
	if err != nil {
		return fmt.Errorf("assess: %w", err)
	}
	ra.NewItems = n
	after, err := evidencePages(db, a.Slug, cur.ID)
	if err != nil {
		return err
	}
	emit(a.Slug, "assess", "%s: %d new suggestions in the review queue", a.Slug, n)
	prevID := ""
	if prev != nil {
		prevID = prev.ID
	}
	ch, err := markChanges(db, a.Slug, prevID, cur.ID, before, after, o.Text, o.User)
	if err != nil || ch.Report == nil {
		return err
	}
	rep := ch.Report
	ra.Added, ra.Removed, ra.Changed, ra.Moved = rep.Count(changes.Added), rep.Count(changes.Removed), rep.Count(changes.Changed), rep.Count(changes.Moved)
	ra.Stale, ra.ReReview = ch.Stale, ch.ReReview
	emit(a.Slug, "changes", "%s: since crawl %s: %d added, %d removed, %d changed, %d moved; %d evidence items stale, %d scores to re-review",
		a.Slug, prevID, ra.Added, ra.Removed, ra.Changed, ra.Moved, ra.Stale, ra.ReReview)
	return nil
}

// Changes is what changed between the crawl an authority was last assessed
// on and the new one, and what that did to its evidence.
type Changes struct {
	// Previous and Current are the crawls compared; Report is nil when
	// there was nothing to compare (a first crawl).
	Previous, Current string
	Report            *changes.Report
	Stale, ReReview   int
}

// markChanges records which pages carry evidence in the current crawl,
// compares it with the previous one on main text, and marks evidence on
// changed or vanished pages stale (their fixed scores flagged for
// re-review). before and after map page URLs to the sub-sections their
// evidence supported before and after the new assessment.
func markChanges(db *store.DB, slug, prevID, curID string, before, after map[string][]string, text changes.TextFunc, user string) (Changes, error) {
	ch := Changes{Previous: prevID, Current: curID}
	if err := db.SetCrawlEvidence(curID, after); err != nil {
		return ch, err
	}
	if prevID == "" || prevID == curID {
		return ch, nil
	}
	var err error
	if text == nil {
		if text, err = changes.SiteText(db, prevID, curID); err != nil {
			return ch, fmt.Errorf("changes: %w", err)
		}
	}
	rep, err := changes.Compare(db, prevID, curID, changes.Options{Text: text, Evidence: merge(before, after)})
	if err != nil {
		return ch, fmt.Errorf("changes: %w", err)
	}
	st, err := db.MarkStale(user, slug, curID, rep.Reasons())
	if err != nil {
		return ch, err
	}
	ch.Report, ch.Stale, ch.ReReview = rep, len(st.Items), len(st.ReReview)
	return ch, nil
}

// Refresh assesses authority a from its latest crawl and, when its previous
// assessment was made on an earlier crawl, compares the two crawls and marks
// evidence on changed or vanished pages stale. The assess command runs it,
// so that a crawl followed by an assess leaves the store as a run does.
func Refresh(ctx context.Context, db *store.DB, cfg *config.Config, rubric *config.Rubric, a config.Authority, o AssessOptions, user string) (AssessResult, Changes, error) {
	prevID := ""
	sugs, err := db.Suggestions(a.Slug)
	if err != nil {
		return AssessResult{}, Changes{}, err
	}
	for _, s := range sugs {
		if s.CrawlID > prevID {
			prevID = s.CrawlID
		}
	}
	before, err := evidencePages(db, a.Slug, "")
	if err != nil {
		return AssessResult{}, Changes{}, err
	}
	res, err := Assess(ctx, db, cfg, rubric, a, o)
	if err != nil {
		return res, Changes{}, err
	}
	after, err := evidencePages(db, a.Slug, res.CrawlID)
	if err != nil {
		return res, Changes{}, err
	}
	if user == "" {
		user = "localoffer"
	}
	ch, err := markChanges(db, a.Slug, prevID, res.CrawlID, before, after, nil, user)
	return res, ch, err
}

// evidencePages maps page URLs to the sub-sections of the authority's
// evidence on them; with crawlID set, only items that are not stale.
func evidencePages(db *store.DB, slug, crawlID string) (map[string][]string, error) {
	items, err := db.Items(slug, "")
	if err != nil {
		return nil, err
	}
	var refs []changes.ItemRef
	for _, it := range items {
		if crawlID != "" && it.Stale {
			continue
		}
		refs = append(refs, changes.ItemRef{URL: it.URL, Subsection: it.Subsection})
	}
	return changes.EvidencePages(refs), nil
}

func merge(ms ...map[string][]string) map[string][]string {
	var refs []changes.ItemRef
	for _, m := range ms {
		for u, subs := range m {
			for _, s := range subs {
				refs = append(refs, changes.ItemRef{URL: u, Subsection: s})
			}
		}
	}
	return changes.EvidencePages(refs)
}
