package crawler

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/store"
	"golang.org/x/net/html/charset"
)

// newClient builds the crawl's HTTP client: connect and header timeouts,
// no automatic redirects (each hop is checked and scheduled like a
// link), no transparent decompression (bodies are decompressed under the
// size limit, which stops gzip bombs), a cookie jar (sites that put
// session ids in links stop doing so once they see their cookie), and a
// dialer that refuses private addresses of hosts that are not configured.
func newClient(s config.Settings, sc *scope, allowPrivate bool) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if !allowPrivate {
				h, _, _ := net.SplitHostPort(addr)
				if !sc.inScope(strings.ToLower(h)) && !sc.inScope(strings.ToLower(addr)) && isPrivateHost(h) {
					return nil, fmt.Errorf("refused: %s is a private address and not configured", addr)
				}
			}
			return dialer.DialContext(ctx, network, addr)
		},
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: s.Timeout,
		DisableCompression:    true,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   max(2, s.PerHostConnections*2),
		IdleConnTimeout:       60 * time.Second,
	}
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Transport: tr,
		Jar:       jar,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// fetched is one HTTP exchange.
type fetched struct {
	status    int
	header    http.Header
	body      []byte
	truncated bool
	location  string
	// kind is the document kind from the content type ("" when the body
	// was not read).
	kind      string
	err       error
	errKind   string
	cancelled bool
}

// get fetches u once. prev, when given, makes the request conditional.
// With readOther false, bodies of types that are not kept are not read.
func (c *crawl) get(u string, prev *store.Snapshot, limit int64, readOther bool) fetched {
	ctx, cancel := context.WithTimeout(c.ctx, c.set.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fetched{err: err, errKind: "request"}
	}
	req.Header.Set("User-Agent", c.agent)
	req.Header.Set("Accept", "text/html,application/xhtml+xml,application/pdf,application/msword,application/vnd.openxmlformats-officedocument.wordprocessingml.document;q=0.9,*/*;q=0.5")
	req.Header.Set("Accept-Encoding", "gzip")
	if prev != nil && prev.Header != nil {
		if et := prev.Header.Get("ETag"); et != "" {
			req.Header.Set("If-None-Match", et)
		}
		if lm := prev.Header.Get("Last-Modified"); lm != "" {
			req.Header.Set("If-Modified-Since", lm)
		}
	}
	resp, err := c.client.Do(req)
	if err != nil {
		if c.ctx.Err() != nil {
			return fetched{cancelled: true}
		}
		return fetched{err: err, errKind: netErrorKind(err)}
	}
	defer resp.Body.Close()
	f := fetched{status: resp.StatusCode, header: resp.Header, location: resp.Header.Get("Location")}
	if resp.StatusCode != http.StatusOK {
		// Error pages and redirects are recorded, not kept; drain a little
		// so the connection can be reused.
		io.CopyN(io.Discard, resp.Body, 64<<10)
		return f
	}
	f.kind = kindOf(resp.Header.Get("Content-Type"), u, nil)
	if f.kind == "other" && !readOther {
		return f
	}
	var r io.Reader = resp.Body
	if strings.EqualFold(strings.TrimSpace(resp.Header.Get("Content-Encoding")), "gzip") {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			return fetched{status: f.status, header: f.header, err: err, errKind: "body"}
		}
		defer zr.Close()
		r = zr
	}
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		if c.ctx.Err() != nil {
			return fetched{cancelled: true}
		}
		f.err, f.errKind = err, netErrorKind(err)
		return f
	}
	if int64(len(body)) > limit {
		body = body[:limit]
		f.truncated = true
	}
	f.body = body
	if f.kind == "" || resp.Header.Get("Content-Type") == "" || strings.HasPrefix(resp.Header.Get("Content-Type"), "application/octet-stream") {
		f.kind = kindOf(resp.Header.Get("Content-Type"), u, body)
	}
	return f
}

// kindOf classifies a response as "html", "pdf", "doc" or "other", from
// its content type, and for unlabelled or generic bodies from the bytes
// and the URL's extension.
func kindOf(contentType, u string, body []byte) string {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch mt {
	case "text/html", "application/xhtml+xml":
		return "html"
	case "application/pdf", "application/x-pdf":
		return "pdf"
	case "application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		"application/vnd.oasis.opendocument.text", "application/rtf", "text/rtf":
		return "doc"
	case "", "application/octet-stream", "binary/octet-stream", "application/force-download":
		if bytes.HasPrefix(body, []byte("%PDF-")) {
			return "pdf"
		}
		ext := ""
		if pu, err := url.Parse(u); err == nil {
			ext = pathExt(pu.Path)
		}
		switch ext {
		case ".pdf":
			return "pdf"
		case ".doc", ".docx", ".odt", ".rtf":
			return "doc"
		}
		if body != nil && strings.HasPrefix(http.DetectContentType(body), "text/html") {
			return "html"
		}
		if body == nil && mt == "" {
			return "" // decide once the body is read
		}
	}
	return "other"
}

// netErrorKind names a transport error for the summary.
func netErrorKind(err error) string {
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	case errors.As(err, &dnsErr):
		return "dns"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return "reset"
	case strings.Contains(err.Error(), "refused: "):
		return "private"
	case strings.Contains(err.Error(), "tls") || strings.Contains(err.Error(), "x509"):
		return "tls"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	return "network"
}

// retryable reports whether a failed exchange is worth another try.
func retryable(f fetched) bool {
	if f.err != nil {
		return f.errKind == "timeout" || f.errKind == "reset"
	}
	return f.status == http.StatusTooManyRequests || f.status == http.StatusServiceUnavailable ||
		f.status == http.StatusBadGateway || f.status == http.StatusGatewayTimeout || f.status == http.StatusInternalServerError
}

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// process fetches one queued URL and hands the result to the writer.
func (h *host) process(it item) {
	c := h.c
	if v := h.robots.Test(c.agent, it.url); !v.Allowed {
		detail := v.String()
		if h.robotsNote != "" {
			detail = h.robotsNote
		}
		c.mu.Lock()
		c.decideLocked(it, store.DecisionRobots, detail)
		c.mu.Unlock()
		return
	}
	if it.kind == kindPage {
		if ps := c.permanent(it.url); ps != nil {
			c.carryOver(it, ps)
			return
		}
	}
	var prev *store.Snapshot
	if p, err := c.st.LatestSnapshot(c.a.Slug, it.url); err == nil {
		prev = p
	}
	limit := c.set.MaxPageBytes
	if it.kind == kindSitemap {
		limit = maxSitemapBytes
	}
	var f fetched
	for attempt := 0; ; attempt++ {
		if err := h.acquire(); err != nil {
			return
		}
		f = c.get(it.url, prev, limit, it.kind == kindSitemap)
		if f.cancelled {
			h.release(time.Time{})
			return
		}
		if attempt >= c.set.MaxRetries || !retryable(f) {
			h.release(time.Time{})
			break
		}
		wait := c.o.BackoffBase << attempt
		if ra, ok := retryAfter(f.header, time.Now()); ok && ra > wait {
			wait = ra
		}
		if wait < h.delay {
			wait = h.delay
		}
		if wait > c.o.MaxRetryWait {
			h.release(time.Time{})
			break
		}
		c.log.Info("retrying", "url", it.url, "status", f.status, "err", f.err, "wait", wait, "attempt", attempt+1)
		h.release(time.Now().Add(wait))
	}
	if it.kind == kindSitemap {
		c.finishSitemap(it, f, prev)
		return
	}
	c.finishPage(it, f, prev)
}

// finishPage turns a page's exchange into a snapshot and admits its links.
func (c *crawl) finishPage(it item, f fetched, prev *store.Snapshot) {
	now := time.Now().UTC()
	s := &store.Snapshot{CrawlID: c.rec.ID, Authority: c.a.Slug, URL: it.url, FinalURL: it.url, Status: f.status,
		Header: f.header, CapturedAt: now, Depth: it.depth, Via: it.via}
	entry := store.CrawlLogEntry{URL: it.url, Via: it.via, Depth: it.depth, Status: f.status, Time: now}
	var body []byte
	var redirectTo string
	switch {
	case f.err != nil:
		s.Kind, s.Error = "error", f.errKind+": "+f.err.Error()
		entry.Decision, entry.Detail = store.DecisionError, s.Error
	case f.status == http.StatusNotModified && prev != nil:
		s.Status, s.NotModified = prev.Status, true
		s.ContentType, s.Charset, s.SHA256, s.Size = prev.ContentType, prev.Charset, prev.SHA256, prev.Size
		s.Kind, s.Links, s.NoFollow, s.Truncated = prev.Kind, prev.Links, prev.NoFollow, prev.Truncated
		s.Header = mergeHeader(prev.Header, f.header)
		entry.Decision, entry.Detail = store.DecisionNotModified, "unchanged since "+prev.CapturedAt.Format(time.RFC3339)
	case f.status >= 300 && f.status < 400 && f.location != "":
		target, err := resolve(mustParse(it.url), f.location)
		s.Kind = "redirect"
		if err != nil {
			s.Kind, s.Error = "error", "redirect: bad Location "+strconv.Quote(f.location)
			entry.Decision, entry.Detail = store.DecisionError, s.Error
			break
		}
		s.FinalURL = target
		entry.Decision, entry.Detail = store.DecisionRedirect, fmt.Sprintf("%d to %s", f.status, target)
		if it.hops+1 > maxRedirects {
			s.Error = fmt.Sprintf("redirects: more than %d redirects", maxRedirects)
			entry.Decision, entry.Detail = store.DecisionError, s.Error
			break
		}
		redirectTo = target
	case f.status == http.StatusOK:
		s.Kind = f.kind
		if s.Kind == "" {
			s.Kind = "other"
		}
		s.ContentType = f.header.Get("Content-Type")
		s.Truncated = f.truncated
		entry.Decision = store.DecisionFetched
		if s.Kind == "other" {
			entry.Decision, entry.Detail = store.DecisionSkipped, "content type "+s.ContentType+" is not kept"
			break
		}
		body = f.body
		s.Size = int64(len(body))
		if f.truncated {
			entry.Detail = fmt.Sprintf("cut at max_page_bytes (%d bytes)", c.set.MaxPageBytes)
		}
		if s.Kind == "html" {
			_, name, _ := charset.DetermineEncoding(body, s.ContentType)
			s.Charset = name
			c.pageLinks(s, body)
		} else if _, params, err := mime.ParseMediaType(s.ContentType); err == nil && params["charset"] != "" {
			s.Charset = strings.ToLower(params["charset"])
		}
	default:
		s.Kind, s.Error = "error", fmt.Sprintf("http %d", f.status)
		entry.Decision, entry.Detail = store.DecisionError, s.Error
		if f.status >= 300 && f.status < 400 {
			s.Error = fmt.Sprintf("http %d without Location", f.status)
			entry.Detail = s.Error
		}
	}
	c.emit(result{caps: []store.Capture{{Snapshot: s, Body: body}}, log: []store.CrawlLogEntry{entry}})
	if redirectTo != "" {
		c.followRedirect(it, redirectTo)
		return
	}
	if s.Kind == "html" && (s.Status == http.StatusOK || s.NotModified) {
		c.followLinks(s)
	}
}

// pageLinks fills the snapshot's outgoing links from the HTML body.
func (c *crawl) pageLinks(s *store.Snapshot, body []byte) {
	p := parseHTML(body)
	base := pageBase(mustParse(s.FinalURL), p.base)
	s.NoFollow = p.nofollow
	seen := map[string]int{}
	for _, l := range p.links {
		href := strings.TrimSpace(l.href)
		if href == "" || strings.HasPrefix(href, "#") {
			continue
		}
		lower := strings.ToLower(href)
		if strings.HasPrefix(lower, "javascript:") || strings.HasPrefix(lower, "data:") {
			continue
		}
		var link store.Link
		if strings.HasPrefix(lower, "mailto:") || strings.HasPrefix(lower, "tel:") || strings.HasPrefix(lower, "sms:") {
			link = store.Link{URL: href, Text: l.text, Nav: l.nav}
		} else {
			n, err := resolve(base, href)
			if err != nil {
				continue
			}
			inScope := false
			if u, err := url.Parse(n); err == nil {
				inScope = c.scope.inScope(hostKey(u))
			}
			link = store.Link{URL: n, Text: l.text, Nav: l.nav, InScope: inScope}
		}
		if i, ok := seen[link.URL]; ok {
			// Keep one entry per target; remember it is in the chrome if
			// any copy is, and the first non-empty text.
			if link.Nav {
				s.Links[i].Nav = true
			}
			if s.Links[i].Text == "" {
				s.Links[i].Text = link.Text
			}
			continue
		}
		seen[link.URL] = len(s.Links)
		s.Links = append(s.Links, link)
	}
}

// finishSitemap stores a sitemap and admits what it lists.
func (c *crawl) finishSitemap(it item, f fetched, prev *store.Snapshot) {
	now := time.Now().UTC()
	s := &store.Snapshot{CrawlID: c.rec.ID, Authority: c.a.Slug, URL: it.url, FinalURL: it.url, Status: f.status,
		Header: f.header, CapturedAt: now, Depth: it.depth, Via: it.via, Kind: "sitemap", ContentType: f.header.Get("Content-Type")}
	entry := store.CrawlLogEntry{URL: it.url, Via: it.via, Depth: it.depth, Status: f.status, Time: now, Decision: store.DecisionFetched, Detail: "sitemap"}
	var body []byte
	switch {
	case f.err != nil:
		s.Error = f.errKind + ": " + f.err.Error()
		entry.Decision, entry.Detail = store.DecisionError, s.Error
	case f.status == http.StatusNotModified && prev != nil:
		s.Status, s.NotModified, s.SHA256, s.Size, s.Links = prev.Status, true, prev.SHA256, prev.Size, prev.Links
		s.Header = mergeHeader(prev.Header, f.header)
		entry.Decision = store.DecisionNotModified
	case f.status == http.StatusOK:
		body = f.body
		pages, maps, err := parseSitemap(body)
		if err != nil {
			s.Error = "sitemap: " + err.Error()
			entry.Decision, entry.Detail = store.DecisionError, s.Error
			break
		}
		for _, m := range maps {
			if n, err := resolve(mustParse(it.url), m); err == nil {
				s.Links = append(s.Links, store.Link{URL: n, Text: sitemapLinkText, InScope: true})
			}
		}
		for _, p := range pages {
			if n, err := resolve(mustParse(it.url), p); err == nil {
				s.Links = append(s.Links, store.Link{URL: n, InScope: true})
			}
		}
		entry.Detail = fmt.Sprintf("sitemap: %d pages, %d sitemaps", len(pages), len(maps))
	case f.status == http.StatusNotFound || f.status == http.StatusGone:
		// No sitemap at the conventional place: not an error of the site.
		entry.Decision, entry.Detail = store.DecisionSkipped, fmt.Sprintf("no sitemap (http %d)", f.status)
	default:
		s.Error = fmt.Sprintf("http %d", f.status)
		entry.Decision, entry.Detail = store.DecisionError, "sitemap: "+s.Error
	}
	c.emit(result{caps: []store.Capture{{Snapshot: s, Body: body}}, log: []store.CrawlLogEntry{entry}})
	c.followStored(s, 0)
}

// mergeHeader returns the previous capture's headers updated with those
// of the 304 that confirmed it.
func mergeHeader(prev, now http.Header) http.Header {
	out := prev.Clone()
	if out == nil {
		out = http.Header{}
	}
	for k, v := range now {
		out[k] = v
	}
	return out
}

// followRedirect queues a redirect's target next on its host, unless it
// is already known (a loop, or a second way to a page).
func (c *crawl) followRedirect(it item, target string) {
	c.mu.Lock()
	_, known := c.seen[target]
	c.mu.Unlock()
	if known {
		return
	}
	c.admit(item{url: target, depth: it.depth, via: it.url, hops: it.hops + 1}, true)
}

// maxRemembered is how long a permanent answer is remembered before it
// is checked again.
const maxRemembered = 30 * 24 * time.Hour

// permanent returns the previous crawl's snapshot of u when that was a
// permanent answer: a 301 or 308 redirect, or 410 Gone. RFC 9110 lets a
// client remember those, as browsers do; a re-crawl reuses them for a
// while instead of asking again, which keeps re-crawls down to
// conditional requests.
func (c *crawl) permanent(u string) *store.Snapshot {
	if c.prevCrawl == "" {
		return nil
	}
	id, err := c.st.CrawlSnapshotID(c.prevCrawl, u)
	if err != nil {
		return nil
	}
	s, err := c.st.Snapshot(id)
	if err != nil || time.Since(s.CapturedAt) > maxRemembered {
		return nil
	}
	if (s.Kind == "redirect" && (s.Status == http.StatusMovedPermanently || s.Status == http.StatusPermanentRedirect) && s.FinalURL != "") || s.Status == http.StatusGone {
		return s
	}
	return nil
}

// carryOver records a remembered permanent answer in this crawl without
// a request, and follows the redirect it names.
func (c *crawl) carryOver(it item, prev *store.Snapshot) {
	s := *prev
	s.ID, s.CrawlID, s.Depth, s.Via, s.Remembered = "", c.rec.ID, it.depth, it.via, true
	entry := store.CrawlLogEntry{URL: it.url, Via: it.via, Depth: it.depth, Status: s.Status, Time: time.Now().UTC(),
		Decision: store.DecisionRedirect, Detail: fmt.Sprintf("%d to %s, remembered from crawl %s (first seen %s); not requested again", s.Status, s.FinalURL, prev.CrawlID, prev.CapturedAt.Format(time.RFC3339))}
	if s.Kind != "redirect" {
		entry.Decision = store.DecisionError
		entry.Detail = fmt.Sprintf("http %d (gone), remembered from crawl %s (first seen %s); not requested again", s.Status, prev.CrawlID, prev.CapturedAt.Format(time.RFC3339))
	}
	c.emit(result{caps: []store.Capture{{Snapshot: &s}}, log: []store.CrawlLogEntry{entry}})
	if s.Kind == "redirect" {
		if it.hops+1 > maxRedirects {
			return
		}
		c.followRedirect(it, s.FinalURL)
	}
}
