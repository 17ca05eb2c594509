package crawler

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/localoffer/localoffer/store"
)

// maxRedirects is how many redirects one URL may go through.
const maxRedirects = 10

// host is one host's queue and politeness state. Its workers take URLs
// from the queue; every request waits for the host's slot, so requests
// to a host never overlap beyond per_host_connections and never start
// closer than the delay.
type host struct {
	c      *crawl
	key    string
	scheme string

	mu    sync.Mutex
	cond  *sync.Cond
	queue []item
	head  int

	robotsState int // 0 not fetched, 1 fetching, 2 ready
	robots      *Robots
	robotsNote  string // why the policy is allow-all or disallow-all
	delay       time.Duration

	sem       chan struct{}
	nextStart time.Time
	lastEnd   time.Time
}

func newHost(c *crawl, key string) *host {
	n := c.set.PerHostConnections
	if n < 1 {
		n = 1
	}
	h := &host{c: c, key: key, scheme: "https", sem: make(chan struct{}, n), delay: c.set.Delay}
	h.cond = sync.NewCond(&h.mu)
	return h
}

// push queues it; front puts it first (a redirect's target, fetched next).
func (h *host) push(it item, front bool) {
	h.mu.Lock()
	if h.robotsState == 0 && len(h.queue) == h.head {
		if u, err := url.Parse(it.url); err == nil {
			h.scheme = u.Scheme
		}
	}
	if front && h.head > 0 {
		h.head--
		h.queue[h.head] = it
	} else if front {
		h.queue = append([]item{it}, h.queue[h.head:]...)
		h.head = 0
	} else {
		h.queue = append(h.queue, it)
	}
	h.cond.Signal()
	h.mu.Unlock()
}

// pop waits for the next URL; false means the crawl is over.
func (h *host) pop() (item, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for h.head == len(h.queue) {
		if h.c.isFinished() {
			return item{}, false
		}
		h.cond.Wait()
	}
	if h.c.ctx.Err() != nil {
		return item{}, false
	}
	it := h.queue[h.head]
	h.queue[h.head] = item{}
	h.head++
	if h.head > 1024 && h.head*2 > len(h.queue) {
		h.queue = append([]item(nil), h.queue[h.head:]...)
		h.head = 0
	}
	return it, true
}

// work is one connection's loop.
func (h *host) work() {
	defer h.c.workers.Done()
	for {
		it, ok := h.pop()
		if !ok {
			return
		}
		if h.ensureRobots() {
			h.process(it)
		}
		h.c.done(1)
	}
}

// acquire waits for the host's slot: a free connection and the delay
// since the previous request (since its end, with one connection).
func (h *host) acquire() error {
	ctx := h.c.ctx
	select {
	case h.sem <- struct{}{}:
	case <-ctx.Done():
		return errStopped
	}
	h.mu.Lock()
	now := time.Now()
	start := h.nextStart
	if cap(h.sem) == 1 {
		if t := h.lastEnd.Add(h.delay); t.After(start) {
			start = t
		}
	}
	if start.Before(now) {
		start = now
	}
	if cap(h.sem) > 1 {
		h.nextStart = start.Add(h.delay)
	} else {
		h.nextStart = start
	}
	h.mu.Unlock()
	if d := time.Until(start); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			<-h.sem
			return errStopped
		}
	}
	return nil
}

// release gives the slot back; retryAt pushes the host's next request
// back (a 429 or 503 asks the whole host to slow down).
func (h *host) release(retryAt time.Time) {
	h.mu.Lock()
	h.lastEnd = time.Now()
	if retryAt.After(h.nextStart) {
		h.nextStart = retryAt
	}
	h.mu.Unlock()
	<-h.sem
}

// ensureRobots makes sure the host's robots.txt has been read, fetching
// it if this worker is the first; false means the crawl is over.
func (h *host) ensureRobots() bool {
	h.mu.Lock()
	for h.robotsState == 1 {
		if h.c.ctx.Err() != nil {
			h.mu.Unlock()
			return false
		}
		h.cond.Wait()
	}
	if h.robotsState == 2 {
		h.mu.Unlock()
		return true
	}
	h.robotsState = 1
	h.mu.Unlock()

	rb, note, delay, sitemaps := h.fetchRobots()

	h.mu.Lock()
	if rb == nil { // cancelled
		h.robotsState = 0
		h.cond.Broadcast()
		h.mu.Unlock()
		return false
	}
	h.robots, h.robotsNote = rb, note
	if delay > h.delay {
		h.delay = delay
	}
	h.robotsState = 2
	h.cond.Broadcast()
	h.mu.Unlock()
	for _, sm := range sitemaps {
		h.c.admit(item{url: sm, depth: 1, via: h.robotsURL(), kind: kindSitemap}, false)
	}
	return true
}

func (h *host) robotsURL() string { return h.scheme + "://" + h.key + "/robots.txt" }

// fetchRobots reads the host's robots.txt (following up to five
// redirects, as RFC 9309 asks) and stores it. It returns the policy, a
// note when the policy is a default, the Crawl-delay and the sitemaps to
// read (those listed, plus /sitemap.xml). A nil policy means cancelled.
func (h *host) fetchRobots() (*Robots, string, time.Duration, []string) {
	c := h.c
	ru := h.robotsURL()
	snap := &store.Snapshot{CrawlID: c.rec.ID, Authority: c.a.Slug, URL: ru, FinalURL: ru, Kind: "robots"}
	prev, _ := c.st.LatestSnapshot(c.a.Slug, ru)
	target := ru
	var f fetched
	for hop := 0; ; hop++ {
		if err := h.acquire(); err != nil {
			return nil, "", 0, nil
		}
		var p *store.Snapshot
		if hop == 0 {
			p = prev
		}
		f = c.get(target, p, MaxRobotsBytes, true)
		h.release(time.Time{})
		if f.cancelled {
			return nil, "", 0, nil
		}
		if f.status >= 300 && f.status < 400 && f.location != "" && hop < 5 {
			next, err := resolve(mustParse(target), f.location)
			if err == nil {
				snap.Redirects = append(snap.Redirects, target)
				target = next
				continue
			}
		}
		break
	}
	snap.FinalURL = target
	snap.Status = f.status
	snap.Header = f.header
	snap.ContentType = f.header.Get("Content-Type")
	var rb *Robots
	var note string
	var body []byte
	switch {
	case f.err != nil:
		rb, note = DisallowAll(), "robots.txt unreachable ("+f.err.Error()+"): nothing is fetched from "+h.key
		snap.Kind, snap.Error = "robots", f.errKind+": "+f.err.Error()
	case f.status == http.StatusNotModified && prev != nil:
		b, err := c.st.Body(prev.SHA256)
		if err != nil {
			rb, note = DisallowAll(), "robots.txt: previous copy unreadable ("+err.Error()+")"
			snap.Error = "store: " + err.Error()
			break
		}
		snap.Status, snap.NotModified, snap.SHA256, snap.Size = prev.Status, true, prev.SHA256, prev.Size
		rb = ParseRobots(b)
	case f.status >= 200 && f.status < 300:
		body = f.body
		rb = ParseRobots(body)
	case f.status == http.StatusTooManyRequests || f.status >= 500:
		rb, note = DisallowAll(), fmt.Sprintf("robots.txt answered %d: nothing is fetched from %s in this crawl", f.status, h.key)
		snap.Error = fmt.Sprintf("robots unavailable: http %d", f.status)
	case f.status >= 400:
		rb, note = AllowAll(), fmt.Sprintf("robots.txt answered %d: everything is allowed", f.status)
	default:
		rb, note = DisallowAll(), fmt.Sprintf("robots.txt answered %d after redirects", f.status)
		snap.Error = fmt.Sprintf("robots unavailable: http %d", f.status)
	}
	delay := rb.CrawlDelay(c.agent)
	var sitemaps []string
	if note == "" || strings.Contains(note, "everything is allowed") {
		seen := map[string]bool{}
		for _, s := range append(append([]string{}, rb.Sitemaps()...), "/sitemap.xml") {
			n, err := resolve(mustParse(ru), s)
			if err != nil || seen[n] {
				continue
			}
			seen[n] = true
			sitemaps = append(sitemaps, n)
			snap.Links = append(snap.Links, store.Link{URL: n, Text: sitemapLinkText, InScope: true})
		}
	}
	entry := store.CrawlLogEntry{URL: ru, Decision: store.DecisionFetched, Detail: "robots.txt", Status: f.status, Time: time.Now().UTC()}
	if note != "" {
		entry.Detail = note
	}
	if snap.NotModified {
		entry.Decision = store.DecisionNotModified
	}
	c.emit(result{caps: []store.Capture{{Snapshot: snap, Body: body}}, log: []store.CrawlLogEntry{entry}})
	c.mu.Lock()
	c.seen[ru] = struct{}{}
	c.mu.Unlock()
	if note != "" {
		c.log.Warn(note, "host", h.key)
	}
	c.log.Debug("robots.txt read", "host", h.key, "crawl_delay", delay, "sitemaps", len(sitemaps))
	return rb, note, delay, sitemaps
}

// restoreRobots sets a host's policy from a stored robots.txt snapshot
// when resuming.
func (c *crawl) restoreRobots(s *store.Snapshot) {
	u, err := url.Parse(s.URL)
	if err != nil {
		return
	}
	var rb *Robots
	note := ""
	switch {
	case s.Error != "":
		rb, note = DisallowAll(), "robots.txt unavailable in the interrupted crawl ("+s.Error+")"
	case s.SHA256 != "" && (s.Status < 300 || s.NotModified):
		b, err := c.st.Body(s.SHA256)
		if err != nil {
			return // fetched again
		}
		rb = ParseRobots(b)
	default:
		rb, note = AllowAll(), fmt.Sprintf("robots.txt answered %d: everything is allowed", s.Status)
	}
	hk := hostKey(u)
	c.mu.Lock()
	h := c.hosts[hk]
	if h == nil {
		h = newHost(c, hk)
		h.scheme = u.Scheme
		c.hosts[hk] = h
		n := cap(h.sem)
		for i := 0; i < n; i++ {
			c.workers.Add(1)
			go h.work()
		}
	}
	c.mu.Unlock()
	h.mu.Lock()
	h.robots, h.robotsNote, h.robotsState = rb, note, 2
	if d := rb.CrawlDelay(c.agent); d > h.delay {
		h.delay = d
	}
	h.mu.Unlock()
}

func mustParse(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		return &url.URL{}
	}
	return u
}
