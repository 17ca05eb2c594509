// Package crawler fetches one authority's Local Offer politely and keeps
// every response in the store.
//
// A crawl reads robots.txt of each host first (RFC 9309: 4xx allows all,
// 5xx or unreachable disallows all for the crawl), seeds its queue from
// the start URLs, the home page and the sitemaps, and then walks links
// breadth first, one request at a time per host unless the settings say
// more, with max(configured delay, Crawl-delay) between requests. Links
// are normalised so that no page is fetched twice, checked against scope,
// robots, exclude patterns, state-changing actions and trap limits, and
// every decision is written to the crawl log that `crawl --explain` reads.
// Responses are committed to the store in batches; a page counts as
// completed only once committed, so an interrupted crawl resumes without
// fetching completed pages again.
//
// The fetch loop is the crawler's own, on net/http, rather than a colly
// collector. colly would have been wrapped so thoroughly as to be
// unused: its robots handling is off by default, blocks a host for the
// collector's life on one 5xx and ignores Crawl-delay and Sitemap lines;
// its LimitRule delays exclude robots.txt and add the response time to
// every interval; its body limit truncates PDFs silently; its cache never
// revalidates; and retries, conditional requests and redirect checks are
// left to the caller. What remained of it (an HTML callback) is a few
// lines of golang.org/x/net/html here, which also lets link extraction
// stream tokens and keep memory flat on large sites.
package crawler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/store"
)

// Store is what the crawler needs from the store; *store.DB implements it.
type Store interface {
	CreateCrawl(*store.Crawl) error
	UpdateCrawl(*store.Crawl) error
	PutSnapshots([]store.Capture) error
	CommitCrawlBatch(*store.Crawl, []store.Capture, []store.CrawlLogEntry) error
	LatestSnapshot(authority, url string) (*store.Snapshot, error)
	InterruptedCrawl(authority string) (*store.Crawl, error)
	LatestCrawl(authority string) (*store.Crawl, error)
	CrawlSnapshotID(crawlID, url string) (string, error)
	Snapshot(id string) (*store.Snapshot, error)
	CrawlSnapshots(crawlID string, fn func(*store.Snapshot) error) error
	Body(sha string) ([]byte, error)
}

var _ Store = (*store.DB)(nil)

// Options change how Run crawls.
type Options struct {
	// Resume finishes the newest interrupted crawl of the authority
	// instead of starting a fresh one; completed pages are not fetched
	// again. With nothing to resume, a fresh crawl starts.
	Resume bool
	// Progress is called as pages complete (for progress bars); may be nil.
	// Calls for one crawl come from one goroutine.
	Progress func(Progress)
	// Log receives one line per notable event; nil discards.
	Log *slog.Logger
	// AllowPrivate lets tests and the demo crawl loopback and private
	// addresses on hosts that are not configured. Configured hosts are
	// always allowed; without this, a redirect or link from a configured
	// site to an unconfigured private address is refused.
	AllowPrivate bool
	// Client replaces the HTTP client (tests); its CheckRedirect and
	// cookie jar are used as given.
	Client *http.Client
	// BatchSize and BatchInterval bound how many pages, and for how
	// long, completed pages wait before being committed together
	// (defaults 200 and 500ms).
	BatchSize     int
	BatchInterval time.Duration
	// BackoffBase is the first retry wait after a 429 or 5xx without
	// Retry-After, doubled on each retry (default 1s).
	BackoffBase time.Duration
	// MaxRetryWait caps one wait before a retry; a Retry-After beyond it
	// gives the URL up instead (default 2m).
	MaxRetryWait time.Duration
}

// Progress is a crawl's state, reported as pages complete.
type Progress struct {
	Authority string
	// Done counts completed (committed) URLs, Queued those waiting or in
	// flight, Errors the completed ones that failed.
	Done, Queued, Errors int
	Finished             bool
}

// itemKind says what a queued URL is fetched for.
type itemKind uint8

const (
	kindPage itemKind = iota
	kindSitemap
)

type item struct {
	url   string
	depth int
	via   string
	kind  itemKind
	hops  int // redirects followed to reach this URL
}

// crawl is one run's state.
type crawl struct {
	ctx   context.Context
	st    Store
	a     config.Authority
	set   config.Settings
	o     Options
	log   *slog.Logger
	agent string
	scope *scope

	client *http.Client

	rec     *store.Crawl
	started time.Time
	// prevCrawl is the newest finished crawl before this one, whose
	// permanent redirects and 410s are remembered rather than requested.
	prevCrawl string

	mu        sync.Mutex
	seen      map[string]struct{}
	variants  map[string]int // host+path -> distinct queries admitted
	calendar  map[string]int
	facetKeys map[string]map[string]bool // host+path -> filter keys seen
	faceted   map[string]bool
	admitted  int
	sitemaps  int
	hosts     map[string]*host
	pending   int
	counts    store.Counts
	okPages   int
	completed int // committed URLs, for progress
	logBuf    []store.CrawlLogEntry
	finished  chan struct{}
	closeOnce sync.Once
	workers   sync.WaitGroup

	out chan result
}

// result is a completed URL on its way to the store.
type result struct {
	caps []store.Capture
	log  []store.CrawlLogEntry
}

// Run crawls authority a and returns the crawl record, finished: status
// done (at least one page kept), failed (nothing could be kept; the
// reason in Error) or interrupted (ctx was cancelled; every completed
// page is committed and Options.Resume carries on).
func Run(ctx context.Context, st Store, cfg *config.Config, a config.Authority, o Options) (*store.Crawl, error) {
	set := cfg.Effective(a)
	sc, err := newScope(a, set)
	if err != nil {
		return nil, fmt.Errorf("crawl %s: %w", a.Slug, err)
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 200
	}
	if o.BatchInterval <= 0 {
		o.BatchInterval = 500 * time.Millisecond
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = time.Second
	}
	if o.MaxRetryWait <= 0 {
		o.MaxRetryWait = 2 * time.Minute
	}
	c := &crawl{
		ctx:       ctx,
		st:        st,
		a:         a,
		set:       set,
		o:         o,
		log:       o.Log.With("la", a.Slug),
		agent:     set.UserAgent,
		scope:     sc,
		seen:      map[string]struct{}{},
		variants:  map[string]int{},
		calendar:  map[string]int{},
		facetKeys: map[string]map[string]bool{},
		faceted:   map[string]bool{},
		hosts:     map[string]*host{},
		finished:  make(chan struct{}),
		out:       make(chan result, 64),
		started:   time.Now(),
	}
	c.counts.Errors = map[string]int{}
	c.client = o.Client
	if c.client == nil {
		c.client = newClient(set, sc, o.AllowPrivate)
	}

	var resumed bool
	if o.Resume {
		prev, err := st.InterruptedCrawl(a.Slug)
		switch {
		case err == nil:
			c.rec = prev
			resumed = true
		case !store.IsNotFound(err):
			return nil, fmt.Errorf("crawl %s: find interrupted crawl: %w", a.Slug, err)
		}
	}
	if c.rec == nil {
		c.rec = &store.Crawl{Authority: a.Slug, Status: store.CrawlRunning}
		if err := st.CreateCrawl(c.rec); err != nil {
			return nil, fmt.Errorf("crawl %s: %w", a.Slug, err)
		}
	} else {
		c.rec.Status = store.CrawlRunning
		c.rec.Error = ""
		c.rec.Ended = time.Time{}
	}
	if pc, err := st.LatestCrawl(a.Slug); err == nil && pc.ID != c.rec.ID {
		c.prevCrawl = pc.ID
	}
	c.log.Info("crawl started", "crawl", c.rec.ID, "resumed", resumed, "delay", set.Delay, "connections", set.PerHostConnections)

	writerDone := make(chan error, 1)
	go func() { writerDone <- c.writer() }()

	c.mu.Lock()
	c.pending++ // held until seeding is over, so workers cannot finish early
	c.mu.Unlock()
	if resumed {
		if err := c.replay(); err != nil {
			c.log.Error("resume: reading the interrupted crawl failed", "err", err)
		}
	}
	for _, s := range a.StartURLs {
		c.seed(s)
	}
	if a.HomeURL != "" {
		c.seed(a.HomeURL)
	}
	c.done(1)

	stopWatch := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			c.wakeAll()
		case <-stopWatch:
		}
	}()
	select {
	case <-c.finished:
	case <-ctx.Done():
	}
	c.wakeAll()
	c.workers.Wait()
	close(stopWatch)
	close(c.out)
	werr := <-writerDone

	c.mu.Lock()
	c.rec.Counts = c.snapshotCounts()
	ok := c.okPages
	c.mu.Unlock()
	c.rec.Ended = time.Now().UTC()
	switch {
	case werr != nil:
		c.rec.Status = store.CrawlInterrupted
		c.rec.Error = "store: " + werr.Error()
	case ctx.Err() != nil:
		c.rec.Status = store.CrawlInterrupted
		c.rec.Error = "interrupted"
	case ok == 0:
		c.rec.Status = store.CrawlFailed
		c.rec.Error = c.failureReason()
	default:
		c.rec.Status = store.CrawlDone
	}
	if err := st.UpdateCrawl(c.rec); err != nil {
		return c.rec, fmt.Errorf("crawl %s: save result: %w", a.Slug, err)
	}
	c.log.Info("crawl finished", "crawl", c.rec.ID, "status", c.rec.Status, "pages", c.rec.Counts.Pages,
		"documents", c.rec.Counts.Documents, "errors", c.rec.Counts.ErrorTotal(), "took", time.Since(c.started).Round(time.Millisecond))
	if werr != nil {
		return c.rec, fmt.Errorf("crawl %s: %w", a.Slug, werr)
	}
	return c.rec, nil
}

// failureReason explains a crawl that kept nothing.
func (c *crawl) failureReason() string {
	var kinds []string
	for k, n := range c.counts.Errors {
		kinds = append(kinds, fmt.Sprintf("%s: %d", k, n))
	}
	sort.Strings(kinds)
	switch {
	case len(kinds) > 0:
		return "no page could be fetched (" + strings.Join(kinds, ", ") + ")"
	case c.counts.Robots > 0:
		return "robots.txt disallows every start URL"
	default:
		return "no page could be fetched"
	}
}

func (c *crawl) snapshotCounts() store.Counts {
	cs := c.counts
	cs.Errors = make(map[string]int, len(c.counts.Errors))
	for k, v := range c.counts.Errors {
		cs.Errors[k] = v
	}
	cs.Queued = c.pending
	return cs
}

// seed admits a configured URL at depth 0.
func (c *crawl) seed(raw string) {
	n, err := NormalizeURL(raw)
	if err != nil {
		c.log.Warn("bad start URL", "url", raw, "err", err)
		return
	}
	c.admit(item{url: n, depth: 0, kind: kindPage}, false)
}

// done marks n queued or in-flight items as finished; the crawl ends when
// none is left.
func (c *crawl) done(n int) {
	c.mu.Lock()
	c.pending -= n
	end := c.pending <= 0
	c.mu.Unlock()
	if end {
		c.closeOnce.Do(func() { close(c.finished) })
		c.wakeAll()
	}
}

func (c *crawl) wakeAll() {
	c.mu.Lock()
	hs := make([]*host, 0, len(c.hosts))
	for _, h := range c.hosts {
		hs = append(hs, h)
	}
	c.mu.Unlock()
	for _, h := range hs {
		h.mu.Lock()
		h.cond.Broadcast()
		h.mu.Unlock()
	}
}

// decideLocked records a decision about a URL that will not be fetched.
// Callers hold c.mu.
func (c *crawl) decideLocked(it item, decision, detail string) {
	switch decision {
	case store.DecisionRobots:
		c.counts.Robots++
	case store.DecisionOutOfScope:
		c.counts.OutOfScope++
	case store.DecisionTrap, store.DecisionDepth, store.DecisionMaxPages:
		c.counts.Traps++
	case store.DecisionExcluded, store.DecisionSkipped:
		c.counts.Skipped++
	}
	c.logBuf = append(c.logBuf, store.CrawlLogEntry{URL: it.url, Decision: decision, Detail: detail, Via: it.via, Depth: it.depth, Time: time.Now().UTC()})
}

// admit decides whether a discovered URL is queued. front puts it at the
// head of its host's queue (redirect targets). It returns false when the
// URL was cut or already known.
func (c *crawl) admit(it item, front bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.seen[it.url]; ok {
		return false
	}
	c.seen[it.url] = struct{}{}
	u, err := url.Parse(it.url)
	if err != nil {
		c.decideLocked(it, store.DecisionOutOfScope, "unparsable URL: "+err.Error())
		return false
	}
	hk := hostKey(u)
	if !c.scope.inScope(hk) {
		detail := "host " + hk + " is not configured for " + c.a.Slug
		if isPrivateHost(u.Hostname()) && !c.o.AllowPrivate {
			detail = "private or loopback address " + hk + " is not configured for " + c.a.Slug
		}
		c.decideLocked(it, store.DecisionOutOfScope, detail)
		return false
	}
	if it.kind == kindSitemap {
		if c.sitemaps >= maxSitemaps {
			c.decideLocked(it, store.DecisionTrap, fmt.Sprintf("more than %d sitemaps", maxSitemaps))
			return false
		}
		c.sitemaps++
		c.enqueueLocked(hk, it, front)
		return true
	}
	if why := c.scope.excluded(it.url); why != "" {
		c.decideLocked(it, store.DecisionExcluded, why)
		return false
	}
	if ext := pathExt(u.Path); skippedExt[ext] {
		c.decideLocked(it, store.DecisionSkipped, "file type "+ext+" is not kept")
		return false
	}
	if it.depth > c.set.MaxDepth {
		c.decideLocked(it, store.DecisionDepth, fmt.Sprintf("deeper than max_depth %d", c.set.MaxDepth))
		return false
	}
	if why := trapShape(u.EscapedPath()); why != "" {
		c.decideLocked(it, store.DecisionTrap, why)
		return false
	}
	if u.RawQuery != "" {
		pk := hk + u.EscapedPath()
		qs := shapeOf(u.RawQuery)
		switch {
		case qs.reorder != "":
			c.decideLocked(it, store.DecisionTrap, "parameter "+qs.reorder+" only re-orders a listing")
			return false
		case qs.calendar && c.calendar[pk] >= maxCalendarVariants:
			c.decideLocked(it, store.DecisionTrap, fmt.Sprintf("calendar: more than %d dates of %s", maxCalendarVariants, u.Path))
			return false
		case c.isFacetedLocked(pk, qs) && c.variants[pk] >= maxFacetVariants:
			c.decideLocked(it, store.DecisionTrap, fmt.Sprintf("faceted search: more than %d variants of %s", maxFacetVariants, u.Path))
			return false
		case !qs.lookup && c.variants[pk] >= c.set.MaxQueryVariants:
			c.decideLocked(it, store.DecisionTrap, fmt.Sprintf("more than %d query variants of %s", c.set.MaxQueryVariants, u.Path))
			return false
		}
		c.noteQueryLocked(pk, qs)
	}
	if it.hops == 0 && c.admitted >= c.set.MaxPages {
		c.decideLocked(it, store.DecisionMaxPages, fmt.Sprintf("max_pages %d reached", c.set.MaxPages))
		return false
	}
	if it.hops == 0 {
		c.admitted++
	}
	c.enqueueLocked(hk, it, front)
	return true
}

// isFacetedLocked reports whether path pk, with the query qs added, is a
// faceted search: a query combining filters, or filters on more than one
// key across its variants.
func (c *crawl) isFacetedLocked(pk string, qs queryShape) bool {
	if c.faceted[pk] || qs.combined || qs.filter {
		return true
	}
	ks := c.facetKeys[pk]
	for _, k := range qs.keys {
		if !ks[k] && len(ks) >= 1 {
			return true
		}
	}
	return false
}

// noteQueryLocked counts an admitted query variant of path pk.
func (c *crawl) noteQueryLocked(pk string, qs queryShape) {
	if c.isFacetedLocked(pk, qs) {
		c.faceted[pk] = true
	}
	c.variants[pk]++
	if qs.calendar {
		c.calendar[pk]++
	}
	ks := c.facetKeys[pk]
	if ks == nil {
		ks = map[string]bool{}
		c.facetKeys[pk] = ks
	}
	for _, k := range qs.keys {
		ks[k] = true
	}
}

// markDone records a URL completed in the crawl being resumed: known,
// counted against the limits, not queued.
func (c *crawl) markDone(raw string) {
	u, err := url.Parse(raw)
	if err != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.seen[raw]; ok {
		return
	}
	c.seen[raw] = struct{}{}
	if u.RawQuery != "" {
		c.noteQueryLocked(hostKey(u)+u.EscapedPath(), shapeOf(u.RawQuery))
	}
	c.admitted++
}

// enqueueLocked queues it on its host, creating the host and its workers
// on first use. Callers hold c.mu.
func (c *crawl) enqueueLocked(hk string, it item, front bool) {
	h := c.hosts[hk]
	if h == nil {
		h = newHost(c, hk)
		c.hosts[hk] = h
		n := c.set.PerHostConnections
		if n < 1 {
			n = 1
		}
		for i := 0; i < n; i++ {
			c.workers.Add(1)
			go h.work()
		}
	}
	c.pending++
	h.push(it, front)
}

// isFinished reports whether the crawl has nothing left to do.
func (c *crawl) isFinished() bool {
	select {
	case <-c.finished:
		return true
	default:
		return c.ctx.Err() != nil
	}
}

// emit hands a completed URL to the writer.
func (c *crawl) emit(r result) {
	c.out <- r
}

// writer commits completed URLs in batches and reports progress.
func (c *crawl) writer() error {
	var (
		caps  []store.Capture
		log   []store.CrawlLogEntry
		timer *time.Timer
		tick  <-chan time.Time
		werr  error
	)
	flush := func() {
		c.mu.Lock()
		log = append(log, c.logBuf...)
		c.logBuf = c.logBuf[:0]
		for _, cp := range caps {
			if cp.Body != nil {
				// The store sets Size on commit, after counting: set it
				// now so that the summary's bytes are not zero.
				cp.Snapshot.Size = int64(len(cp.Body))
			}
			c.countCaptureLocked(cp.Snapshot)
		}
		c.rec.Counts = c.snapshotCounts()
		rec := *c.rec
		c.mu.Unlock()
		if werr == nil && (len(caps) > 0 || len(log) > 0) {
			if err := c.st.CommitCrawlBatch(&rec, caps, log); err != nil {
				werr = err
				c.log.Error("store write failed; stopping the crawl", "err", err)
			}
		}
		caps, log = caps[:0], log[:0]
		if timer != nil {
			timer.Stop()
			timer, tick = nil, nil
		}
		c.report(false)
	}
	for {
		select {
		case r, ok := <-c.out:
			if !ok {
				flush()
				c.report(true)
				return werr
			}
			caps = append(caps, r.caps...)
			log = append(log, r.log...)
			if len(caps) >= c.o.BatchSize {
				flush()
			} else if timer == nil {
				timer = time.NewTimer(c.o.BatchInterval)
				tick = timer.C
			}
		case <-tick:
			timer, tick = nil, nil
			flush()
		}
	}
}

// countCaptureLocked adds a committed snapshot to the counts.
func (c *crawl) countCaptureLocked(s *store.Snapshot) {
	c.completed++
	switch {
	case s.Kind == "robots" || s.Kind == "sitemap" || s.Kind == "redirect":
	case s.NotModified:
		c.counts.NotModified++
		c.countKept(s)
	case s.Status >= 200 && s.Status < 300 && s.Kind != "error":
		c.countKept(s)
	}
	switch {
	case s.Error != "":
		c.counts.Errors[errorKind(s)]++
	case s.Truncated && !s.NotModified:
		// A page cut at max_page_bytes is kept, but the site served
		// more than a page should be: the summary says so.
		c.counts.Errors["truncated"]++
	}
}

func (c *crawl) countKept(s *store.Snapshot) {
	switch s.Kind {
	case "html":
		c.counts.Pages++
		c.okPages++
	case "pdf", "doc":
		c.counts.Documents++
		c.okPages++
	default:
		c.counts.Skipped++
		return
	}
	c.counts.Bytes += s.Size
}

func errorKind(s *store.Snapshot) string {
	if s.Status >= 400 {
		return fmt.Sprintf("http %d", s.Status)
	}
	k, _, _ := strings.Cut(s.Error, ":")
	return k
}

func (c *crawl) report(final bool) {
	if c.o.Progress == nil {
		return
	}
	c.mu.Lock()
	p := Progress{Authority: c.a.Slug, Done: c.completed, Queued: c.pending, Errors: c.counts.ErrorTotal(), Finished: final}
	c.mu.Unlock()
	c.o.Progress(p)
}

// replay rebuilds the state of the interrupted crawl being resumed: every
// stored URL is known and done, robots.txt files are re-read from the
// store, and the links of stored pages and sitemaps are admitted again,
// which queues exactly the URLs that were found but not completed.
func (c *crawl) replay() error {
	var snaps []*store.Snapshot
	err := c.st.CrawlSnapshots(c.rec.ID, func(s *store.Snapshot) error {
		snaps = append(snaps, s)
		return nil
	})
	if err != nil {
		return err
	}
	c.mu.Lock()
	for _, s := range snaps {
		c.countCaptureLocked(s)
	}
	c.mu.Unlock()
	for _, s := range snaps {
		if s.Kind == "robots" || s.Kind == "sitemap" {
			c.mu.Lock()
			c.seen[s.URL] = struct{}{}
			if s.Kind == "sitemap" {
				c.sitemaps++
			}
			c.mu.Unlock()
		} else {
			c.markDone(s.URL)
		}
		if s.Kind == "robots" {
			c.restoreRobots(s)
		}
	}
	for _, s := range snaps {
		c.followStored(s, 0)
	}
	c.log.Info("resuming", "crawl", c.rec.ID, "completed", len(snaps))
	return nil
}

// followStored admits what a stored snapshot points to: a page's links, a
// sitemap's entries, a robots.txt's sitemaps, a redirect's target.
func (c *crawl) followStored(s *store.Snapshot, hops int) {
	switch s.Kind {
	case "robots":
		for _, l := range s.Links {
			c.admit(item{url: l.URL, depth: 1, via: s.URL, kind: kindSitemap}, false)
		}
	case "sitemap":
		for _, l := range s.Links {
			k := kindPage
			if l.Text == sitemapLinkText {
				k = kindSitemap
			}
			c.admit(item{url: l.URL, depth: 1, via: s.URL, kind: k}, false)
		}
	case "redirect":
		if s.FinalURL != "" {
			c.admit(item{url: s.FinalURL, depth: s.Depth, via: s.URL, hops: hops + 1}, true)
		}
	case "html":
		if s.Status == http.StatusOK || s.NotModified {
			c.followLinks(s)
		}
	}
}

// followLinks admits the http(s) links of a page one level deeper, unless
// the page asked robots not to follow them.
func (c *crawl) followLinks(s *store.Snapshot) {
	if s.NoFollow {
		return
	}
	for _, l := range s.Links {
		if strings.HasPrefix(l.URL, "http://") || strings.HasPrefix(l.URL, "https://") {
			c.admit(item{url: l.URL, depth: s.Depth + 1, via: s.URL}, false)
		}
	}
}

// sitemapLinkText marks, in a sitemap snapshot's links, the entries that
// are nested sitemaps rather than pages.
const sitemapLinkText = "sitemap"

// errStopped reports work abandoned because the crawl was cancelled.
var errStopped = errors.New("crawl stopped")
