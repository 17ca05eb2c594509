package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/evidence"
	"github.com/localoffer/localoffer/extract"
	"github.com/localoffer/localoffer/store"
)

// AssessOptions tune one assessment run.
type AssessOptions struct {
	// Workers is how many pages are extracted at once (default: the number
	// of CPUs).
	Workers int
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Log receives warnings about pages that could not be read (default:
	// discard).
	Log *slog.Logger
	// Progress, when set, is called as pages are extracted.
	Progress func(done, total int)
	// MaxItems caps each sub-section's evidence list (default
	// evidence.DefaultMaxItems).
	MaxItems int
}

// AssessResult says what an assessment run did.
type AssessResult struct {
	Authority string
	CrawlID   string
	// Pages is how many captured documents were read; Skipped how many
	// could not be (broken or unsupported files).
	Pages   int
	Skipped int
	// Suggestions are the sub-section scores, in rubric order.
	Suggestions []evidence.Suggestion
	// Items is how many evidence items were suggested; Added how many of
	// them were new.
	Items    int
	Added    int
	Duration time.Duration
}

// Scores returns the suggested score of each sub-section by id.
func (r AssessResult) Scores() map[string]evidence.Score {
	out := map[string]evidence.Score{}
	for _, s := range r.Suggestions {
		out[s.Subsection] = s.Score
	}
	return out
}

// page is one captured document of the crawl being assessed.
type page struct {
	snap  *store.Snapshot
	url   string // where the content came from (after redirects)
	key   string
	doc   *extract.Document
	err   error
	index int
}

// Assess suggests evidence and scores for authority a from its latest
// finished crawl: it extracts the main text of every captured HTML page,
// PDF and Word document, scores their passages against the rubric, judges
// signposting from the links between the council's home page and the Local
// Offer, and saves the suggestions. Saving keeps reviewers' work: accepted
// and rejected items stay (marked stale when their page no longer evidences
// them), and items reviewers added are never touched. cfg may be nil: the
// authority carries everything assessing needs.
func Assess(ctx context.Context, db *store.DB, cfg *config.Config, r *config.Rubric, a config.Authority, o AssessOptions) (AssessResult, error) {
	start := time.Now()
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	res := AssessResult{Authority: a.Slug}
	crawl, err := db.LatestCrawl(a.Slug)
	if err != nil {
		return res, fmt.Errorf("assess %s: %w (run crawl first)", a.Slug, err)
	}
	res.CrawlID = crawl.ID
	m, err := extract.NewMatcher(r)
	if err != nil {
		return res, fmt.Errorf("assess %s: %w", a.Slug, err)
	}
	m.MinScore = minThreshold(r)

	pages, graph, err := loadPages(db, crawl.ID)
	if err != nil {
		return res, fmt.Errorf("assess %s: %w", a.Slug, err)
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}

	// Pass 1: learn the blocks that repeat across the site (its chrome).
	site := extract.NewSite()
	if err := forEach(ctx, o.Workers, pages, func(p *page) error {
		if p.snap.Kind != "html" {
			return nil
		}
		body, err := db.Body(p.snap.SHA256)
		if err != nil {
			return nil // reported in pass 2
		}
		site.Learn(body, p.snap.ContentType, p.url)
		return nil
	}); err != nil {
		return res, err
	}

	// Pass 2: extract each document and match it against the rubric.
	scanned := make([]*extract.Scanned, len(pages))
	var mu sync.Mutex
	done := 0
	err = forEach(ctx, o.Workers, pages, func(p *page) error {
		body, err := db.Body(p.snap.SHA256)
		if err == nil {
			p.doc, err = extractSafely(site, body, p.snap.ContentType, p.url)
		}
		if err != nil {
			p.err = err
		} else {
			p.doc.Anchors = graph.anchors[p.key]
			scanned[p.index] = m.Scan(p.doc)
		}
		mu.Lock()
		done++
		if o.Progress != nil {
			o.Progress(done, len(pages))
		}
		mu.Unlock()
		return nil
	})
	if err != nil {
		return res, err
	}
	var ok []*extract.Scanned
	byURL := map[string]*page{}
	for i, p := range pages {
		if p.err != nil {
			res.Skipped++
			o.Log.Warn("skipped a document that could not be read", "authority", a.Slug, "url", p.url, "err", p.err)
			continue
		}
		res.Pages++
		ok = append(ok, scanned[i])
		byURL[p.url] = p
	}

	var cands []evidence.Candidate
	for _, mt := range m.Score(ok) {
		p := byURL[mt.URL]
		cands = append(cands, evidence.Candidate{
			Criterion: mt.Criterion, URL: mt.URL, Title: mt.Title, Heading: mt.Heading,
			Snippet: mt.Snippet, Terms: mt.Terms, Signals: mt.Signals, Score: mt.Score,
			CoreMet: mt.CoreMet, RequiresMet: mt.RequiresMet, Missing: mt.Missing,
			SnapshotID: p.snap.ID, SHA256: p.snap.SHA256,
		})
	}
	cands = dropListings(cands, byURL, graph)
	for _, ss := range r.Subsections() {
		for _, c := range ss.Criteria {
			if c.Structural == config.StructuralSignposting {
				_, met := r.ThresholdsFor(c)
				cands = append(cands, signposting(c.ID, a, pages, graph, met)...)
			}
		}
	}

	sugs, items := evidence.Suggest(r, cands, evidence.SuggestOptions{
		Authority: a.Slug, CrawlID: crawl.ID, RubricVersion: r.Version, Now: o.Now().UTC(), MaxItems: o.MaxItems,
	})
	added, err := db.SaveAssessment(a.Slug, sugs, items, fmt.Sprintf("not suggested again after crawl %s", crawl.ID))
	if err != nil {
		return res, fmt.Errorf("assess %s: save: %w", a.Slug, err)
	}
	res.Suggestions = sugs
	res.Items = len(items)
	res.Added = len(added)
	res.Duration = time.Since(start)
	return res, nil
}

// dropListings removes the candidates of listing pages that repeat
// another page's evidence: when the best passage for a criterion sits
// under a heading that links to a page which is itself a candidate for
// that criterion (a directory's results page, a news index, a hub whose
// headings link to the pages they summarise), the linked page holds the
// evidence and the listing adds only a second copy of its summary.
func dropListings(cands []evidence.Candidate, byURL map[string]*page, g *linkGraph) []evidence.Candidate {
	type ck struct{ key, crit string }
	have := map[ck]bool{}
	for _, c := range cands {
		if p := byURL[c.URL]; p != nil {
			have[ck{p.key, c.Criterion}] = true
		}
	}
	out := cands[:0]
	for _, c := range cands {
		if p := byURL[c.URL]; p != nil && p.doc != nil && c.Heading != "" && listsElsewhere(p, c, g, func(k string) bool { return have[ck{k, c.Criterion}] }) {
			continue
		}
		out = append(out, c)
	}
	return out
}

// listsElsewhere reports whether candidate c's heading is the text of a
// link from p to another page for which has is true.
func listsElsewhere(p *page, c evidence.Candidate, g *linkGraph, has func(key string) bool) bool {
	h := strings.Join(strings.Fields(c.Heading), " ")
	for _, l := range p.doc.Links {
		if !strings.EqualFold(strings.Join(strings.Fields(l.Text), " "), h) {
			continue
		}
		k := g.resolve(urlKey(l.URL))
		if k != p.key && has(k) {
			return true
		}
	}
	return false
}

// minThreshold is the lowest partial threshold of any criterion: pages
// scoring below it cannot be evidence of anything.
func minThreshold(r *config.Rubric) float64 {
	lo := -1.0
	for _, ss := range r.Subsections() {
		for _, c := range ss.Criteria {
			if p, _ := r.ThresholdsFor(c); lo < 0 || p < lo {
				lo = p
			}
		}
	}
	return max(lo, 0)
}

// extractSafely extracts one document; a panic in a parser on a hostile
// file becomes an error for that file, never the end of the run.
func extractSafely(site *extract.Site, body []byte, contentType, u string) (doc *extract.Document, err error) {
	defer func() {
		if r := recover(); r != nil {
			doc, err = nil, fmt.Errorf("extract %s: %v", u, r)
		}
	}()
	return site.Document(body, contentType, u)
}

// forEach runs fn on every page with n workers, stopping early when ctx is
// cancelled.
func forEach(ctx context.Context, n int, pages []*page, fn func(*page) error) error {
	ch := make(chan *page)
	var wg sync.WaitGroup
	var firstErr error
	var once sync.Once
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range ch {
				if err := fn(p); err != nil {
					once.Do(func() { firstErr = err })
				}
			}
		}()
	}
	for _, p := range pages {
		if ctx.Err() != nil {
			break
		}
		ch <- p
	}
	close(ch)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	return firstErr
}

// linkGraph is the crawl's link structure: who links where, with what text.
type linkGraph struct {
	// out are the link targets of each page, by key.
	out map[string][]graphLink
	// anchors are the texts of links pointing to each page (main-content
	// links only: a menu item repeated on every page says nothing about the
	// page it points to).
	anchors map[string][]string
	// alias maps the key of a redirected URL to its final page's key.
	alias map[string]string
	// urls maps keys to the page URL used in evidence.
	urls map[string]string
}

type graphLink struct {
	to   string
	text string
	nav  bool
}

// loadPages reads the crawl's documents (HTML, PDF and Word captures that
// succeeded) and its link graph. A URL that redirected counts as the page
// it landed on; the same page reached twice is read once.
func loadPages(db *store.DB, crawlID string) ([]*page, *linkGraph, error) {
	g := &linkGraph{out: map[string][]graphLink{}, anchors: map[string][]string{}, alias: map[string]string{}, urls: map[string]string{}}
	var pages []*page
	seen := map[string]bool{}
	type rawLinks struct {
		from  string
		links []store.Link
	}
	var raw []rawLinks
	err := db.CrawlSnapshots(crawlID, func(s *store.Snapshot) error {
		final := s.FinalURL
		if final == "" {
			final = s.URL
		}
		fk := urlKey(final)
		if k := urlKey(s.URL); k != fk {
			g.alias[k] = fk
		}
		for _, r := range s.Redirects {
			if k := urlKey(r); k != fk {
				g.alias[k] = fk
			}
		}
		good := s.Status == 200 || s.NotModified
		if !good || s.SHA256 == "" {
			return nil
		}
		switch s.Kind {
		case "html", "pdf", "doc":
		default:
			return nil
		}
		if seen[fk] {
			return nil
		}
		seen[fk] = true
		g.urls[fk] = final
		raw = append(raw, rawLinks{from: fk, links: s.Links})
		pages = append(pages, &page{snap: s, url: final, key: fk, index: len(pages)})
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	for _, r := range raw {
		for _, l := range r.links {
			to := g.resolve(urlKey(l.URL))
			g.out[r.from] = append(g.out[r.from], graphLink{to: to, text: l.Text, nav: l.Nav})
			if !l.Nav && strings.TrimSpace(l.Text) != "" && to != r.from {
				g.anchors[to] = append(g.anchors[to], l.Text)
			}
		}
	}
	return pages, g, nil
}

func (g *linkGraph) resolve(k string) string {
	for range 5 {
		to, ok := g.alias[k]
		if !ok {
			break
		}
		k = to
	}
	return k
}

// clicks returns the number of clicks from start to every page it reaches.
func (g *linkGraph) clicks(start string) map[string]int {
	dist := map[string]int{start: 0}
	queue := []string{start}
	for len(queue) > 0 {
		k := queue[0]
		queue = queue[1:]
		for _, l := range g.out[k] {
			if _, ok := dist[l.to]; !ok {
				dist[l.to] = dist[k] + 1
				queue = append(queue, l.to)
			}
		}
	}
	return dist
}

// urlKey reduces a URL to what identifies a page on one site: path and
// sorted query, without scheme, host, fragment, session ids, a trailing
// slash or index.html.
func urlKey(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return raw
	}
	p := u.Path
	if i := strings.Index(strings.ToLower(p), ";jsessionid="); i >= 0 {
		p = p[:i]
	}
	p = strings.TrimSuffix(p, "index.html")
	if len(p) > 1 {
		p = strings.TrimSuffix(p, "/")
	}
	if p == "" {
		p = "/"
	}
	q := u.Query()
	if len(q) == 0 {
		return p
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		vs := q[k]
		sort.Strings(vs)
		for j, v := range vs {
			if i > 0 || j > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k) + "=" + url.QueryEscape(v))
		}
	}
	return p + "?" + b.String()
}

// namesLocalOffer reports whether a link text names the Local Offer or
// SEND, the words a parent would look for.
func namesLocalOffer(s string) bool {
	s = strings.ToLower(s)
	for _, w := range []string{"local offer", "send", "special educational needs", "sen and disab", "sen/d"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

func isAtoZ(p *page) bool {
	s := strings.ToLower(p.url)
	t := ""
	if p.doc != nil {
		t = strings.ToLower(p.doc.Title)
	}
	for _, w := range []string{"a-z", "a-to-z", "atoz", "a to z"} {
		if strings.Contains(s, w) || strings.Contains(t, w) {
			return true
		}
	}
	return false
}

// signposting judges how easily the Local Offer is found from the council
// website, from the crawl's link graph: clicks from home_url to the Local
// Offer's entry point (its first start URL), and whether menus and A to Z
// pages link to it. Met: the entry is the home page or one click from it.
// Partial: reachable from the home page in more clicks, or only from an A
// to Z or menu. Absent: no route from the council site was seen. Evidence
// is the home page, the entry page and the pages outside the Local Offer
// that link to it by name, nearest to the home page first.
func signposting(criterion string, a config.Authority, pages []*page, g *linkGraph, met float64) []evidence.Candidate {
	if len(a.StartURLs) == 0 {
		return nil
	}
	entry := g.resolve(urlKey(a.StartURLs[0]))
	byKey := map[string]*page{}
	for _, p := range pages {
		if p.doc != nil {
			byKey[p.key] = p
		}
	}
	entryPage := byKey[entry]
	if entryPage == nil {
		return nil
	}
	home := entry
	if a.HomeURL != "" {
		home = g.resolve(urlKey(a.HomeURL))
	}
	dist := g.clicks(home)
	clicks, reached := dist[entry]
	_, homeSeen := byKey[home]

	// Who links to the entry, and how.
	entryDir := entry
	if i := strings.LastIndex(entryDir, "/"); i > 0 {
		entryDir = entryDir[:i+1]
	}
	type linker struct {
		p      *page
		text   string
		nav    bool
		clicks int
	}
	var linkers []linker
	navLinked, azLinked, search := false, false, false
	for _, links := range g.out {
		for _, l := range links {
			if strings.Contains(strings.ToLower(l.to), "search") {
				search = true
				break
			}
		}
		if search {
			break
		}
	}
	for k, links := range g.out {
		if k == entry {
			continue
		}
		p := byKey[k]
		if p == nil {
			continue
		}
		inside := entryDir != "/" && strings.HasPrefix(k, entryDir)
		for _, l := range links {
			if l.to != entry {
				continue
			}
			// The Local Offer's own menu linking to its home page says
			// nothing about finding it from the council site.
			if l.nav && !inside {
				navLinked = true
			}
			az := isAtoZ(p)
			if az {
				azLinked = true
			}
			// A menu link repeated on every council page makes none of them
			// evidence, except the home page and an A to Z. (A page whose
			// menu and text both link here may be recorded as menu only.)
			if k == home || az || !l.nav && !inside && namesLocalOffer(l.text) {
				c, ok := dist[k]
				if !ok {
					c = 99
				}
				linkers = append(linkers, linker{p: p, text: l.text, clicks: c})
			}
			break
		}
	}

	status := evidence.Absent
	var why string
	switch {
	case !homeSeen && home != entry:
		status = evidence.PartMet
		why = "the council home page was not captured, so clicks from it are unknown"
	case reached && clicks <= 1:
		status = evidence.Met
		why = fmt.Sprintf("%d click(s) from the council home page", clicks)
	case reached && navLinked && clicks <= 2:
		status = evidence.Met
		why = fmt.Sprintf("%d clicks from the council home page and linked from site menus", clicks)
	case reached:
		status = evidence.PartMet
		why = fmt.Sprintf("%d clicks from the council home page", clicks)
	case navLinked || azLinked || len(linkers) > 0:
		status = evidence.PartMet
		why = "not reachable from the council home page, but linked from other pages"
	default:
		why = "no route from the council home page to the Local Offer was found"
	}
	if status == evidence.Absent {
		return nil
	}
	var signals []string
	signals = append(signals, "structure: "+why)
	if navLinked {
		signals = append(signals, "structure: linked from site navigation")
	}
	if azLinked {
		signals = append(signals, "structure: listed in an A to Z")
	}
	if search {
		signals = append(signals, "structure: the site links to a search page")
	}
	cand := func(p *page, score float64, st evidence.Status, extra string) evidence.Candidate {
		sig := append([]string(nil), signals...)
		if extra != "" {
			sig = append(sig, extra)
		}
		snippet := ""
		if p.doc != nil {
			snippet = firstText(p.doc, 300)
		}
		return evidence.Candidate{
			Criterion: criterion, URL: p.url, Title: p.doc.Title, Snippet: snippet, Signals: sig,
			Score: score, Status: st, CoreMet: true, RequiresMet: true, SnapshotID: p.snap.ID, SHA256: p.snap.SHA256,
		}
	}
	var out []evidence.Candidate
	if hp := byKey[home]; hp != nil && home != entry {
		for _, l := range linkers {
			if l.p == hp {
				out = append(out, cand(hp, met*4.5, status, fmt.Sprintf("home page links to the Local Offer (%q)", l.text)))
			}
		}
	}
	out = append(out, cand(entryPage, met*4.2, status, "the Local Offer's entry page"))
	sort.SliceStable(linkers, func(i, j int) bool {
		if linkers[i].clicks != linkers[j].clicks {
			return linkers[i].clicks < linkers[j].clicks
		}
		return linkers[i].p.url < linkers[j].p.url
	})
	for i, l := range linkers {
		if l.p.key == home {
			continue
		}
		out = append(out, cand(l.p, met*(3.0-0.05*float64(min(i, 20))), status, fmt.Sprintf("links to the Local Offer as %q", l.text)))
	}
	return out
}

// firstText returns the start of a document's main text, cut at a word.
func firstText(d *extract.Document, n int) string {
	t := strings.Join(strings.Fields(d.MainText()), " ")
	if len(t) <= n {
		return t
	}
	cut := strings.LastIndex(t[:n], " ")
	if cut < n/2 {
		cut = n
	}
	return t[:cut] + "…"
}
