package changes

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/store"
)

// Kind is what happened to a page between two crawls.
type Kind string

// Kinds of page change.
const (
	Added   Kind = "added"
	Removed Kind = "removed"
	Changed Kind = "changed"
	// Moved means the old address now redirects to a new place.
	Moved Kind = "moved"
)

// Page is one page that changed between two crawls.
type Page struct {
	Kind Kind
	// URL is the page's address; for a moved page, its old address.
	URL string
	// NewURL is where a moved page went.
	NewURL string
	Title  string
	// OldSnapshot and NewSnapshot are the captures compared ("" for the side
	// where the page did not exist).
	OldSnapshot string
	NewSnapshot string
	// Status is the new crawl's HTTP status for a removed page (404, 410),
	// or 0 when the page was no longer linked.
	Status int
	// Inserted and Deleted count changed lines of main text.
	Inserted, Deleted int
	// Subsections are the rubric sub-sections whose evidence the page
	// carried or carries.
	Subsections []string
}

// Report is the comparison of two crawls of one authority.
type Report struct {
	Authority string
	From, To  *store.Crawl
	Pages     []Page
	// Unchanged counts pages whose main text is the same in both.
	Unchanged int
	// Unseen are pages of the old crawl that the new crawl did not reach
	// although it did not finish; they are not reported as removed.
	Unseen []string
	// Calendar counts calendar views (pages of dates, see IsCalendar) that
	// were added, removed or changed: they change with the date itself, so
	// they are counted here and not listed.
	Calendar int
}

// Count returns how many pages changed in the given way.
func (r *Report) Count(k Kind) int {
	n := 0
	for _, p := range r.Pages {
		if p.Kind == k {
			n++
		}
	}
	return n
}

// TextFunc returns the title and main text of a capture: what a reader
// sees, without the site's navigation, header and footer.
type TextFunc func(s *store.Snapshot, body []byte) (title, text string, err error)

// Options tune a comparison.
type Options struct {
	// Text extracts main text (required).
	Text TextFunc
	// Evidence maps page URLs to the sub-sections whose evidence they carry;
	// see EvidencePages.
	Evidence map[string][]string
}

type capture struct {
	snap     *store.Snapshot
	final    string
	calendar bool
}

type side struct {
	content   map[string]*capture // final URL -> good capture
	redirects map[string]string   // requested URL -> where it now leads
	gone      map[string]int      // URL -> 404/410
	seen      map[string]bool     // every URL requested
}

func load(db *store.DB, crawlID string) (*side, error) {
	s := &side{content: map[string]*capture{}, redirects: map[string]string{}, gone: map[string]int{}, seen: map[string]bool{}}
	err := db.CrawlSnapshots(crawlID, func(sn *store.Snapshot) error {
		s.seen[sn.URL] = true
		final := sn.FinalURL
		if final == "" {
			final = sn.URL
		}
		switch {
		case sn.Status >= 300 && sn.Status < 400 && !sn.NotModified:
			to := sn.FinalURL
			if to == "" || to == sn.URL {
				to = ""
				if loc := sn.Header.Get("Location"); loc != "" {
					if u, err := url.Parse(sn.URL); err == nil {
						if l, err := u.Parse(loc); err == nil {
							to = l.String()
						}
					}
				}
			}
			if to != "" {
				s.redirects[sn.URL] = to
			}
		case sn.Status == http.StatusOK || sn.NotModified:
			switch sn.Kind {
			case "html", "pdf", "doc":
			default:
				return nil // robots.txt, sitemaps, images and other files
			}
			if final != sn.URL {
				s.redirects[sn.URL] = final
				s.seen[final] = true
			}
			if _, ok := s.content[final]; !ok || final == sn.URL {
				s.content[final] = &capture{snap: sn, final: final, calendar: IsCalendar(final, sn.Links)}
			}
		case sn.Status == http.StatusNotFound || sn.Status == http.StatusGone:
			s.gone[sn.URL] = sn.Status
		}
		return nil
	})
	return s, err
}

// Compare compares crawl fromID with crawl toID of one authority. Pages are
// matched by address; a page is changed when its normalised main text
// differs, removed when the new crawl answered 404 or 410 or finished
// without reaching it, moved when its old address now redirects elsewhere,
// and added when only the new crawl has it.
func Compare(db *store.DB, fromID, toID string, o Options) (*Report, error) {
	if o.Text == nil {
		return nil, fmt.Errorf("compare crawls: no text extractor")
	}
	from, err := db.Crawl(fromID)
	if err != nil {
		return nil, err
	}
	to, err := db.Crawl(toID)
	if err != nil {
		return nil, err
	}
	if from.Authority != to.Authority {
		return nil, fmt.Errorf("compare crawls: crawl %s is of %s and crawl %s of %s", fromID, from.Authority, toID, to.Authority)
	}
	a, err := load(db, fromID)
	if err != nil {
		return nil, fmt.Errorf("read crawl %s: %w", fromID, err)
	}
	b, err := load(db, toID)
	if err != nil {
		return nil, fmt.Errorf("read crawl %s: %w", toID, err)
	}
	r := &Report{Authority: to.Authority, From: from, To: to}
	type extracted struct{ title, norm string }
	texts := map[string]extracted{} // sha256 -> title and normalised text
	get := func(c *capture) (extracted, error) {
		if t, ok := texts[c.snap.SHA256]; ok {
			return t, nil
		}
		body, err := db.Body(c.snap.SHA256)
		if err != nil {
			return extracted{}, err
		}
		ti, t, err := o.Text(c.snap, body)
		if err != nil {
			return extracted{}, fmt.Errorf("text of %s: %w", c.snap.URL, err)
		}
		e := extracted{strings.TrimSpace(ti), Normalize(t)}
		texts[c.snap.SHA256] = e
		return e, nil
	}
	text := func(c *capture) (string, error) {
		e, err := get(c)
		return e.norm, err
	}
	title := func(c *capture) string {
		e, err := get(c)
		if err != nil || e.title == "" {
			return ""
		}
		return e.title
	}
	complete := to.Status == store.CrawlDone
	moveTargets := map[string]bool{}
	for _, u := range sortedKeys(a.content) {
		old := a.content[u]
		if cur, ok := b.content[u]; ok && (old.calendar || cur.calendar) {
			if old.snap.SHA256 != cur.snap.SHA256 {
				r.Calendar++
			}
			continue
		} else if !ok && old.calendar {
			r.Calendar++
			continue
		}
		if cur, ok := b.content[u]; ok {
			if old.snap.SHA256 == cur.snap.SHA256 {
				r.Unchanged++
				continue
			}
			ot, err := text(old)
			if err != nil {
				return nil, err
			}
			nt, err := text(cur)
			if err != nil {
				return nil, err
			}
			if ot == nt {
				r.Unchanged++
				continue
			}
			ins, del := Counts(Diff(ot, nt))
			r.Pages = append(r.Pages, Page{Kind: Changed, URL: u, Title: title(cur), OldSnapshot: old.snap.ID, NewSnapshot: cur.snap.ID, Inserted: ins, Deleted: del})
			continue
		}
		if to, ok := b.redirects[u]; ok && to != u && a.redirects[u] != to {
			for hops := 0; hops < 10; hops++ { // follow a chain to its end
				next, ok := b.redirects[to]
				if !ok || next == to {
					break
				}
				to = next
			}
			p := Page{Kind: Moved, URL: u, NewURL: to, Title: title(old), OldSnapshot: old.snap.ID}
			if cur, ok := b.content[to]; ok {
				p.NewSnapshot = cur.snap.ID
				ot, err := text(old)
				if err != nil {
					return nil, err
				}
				nt, err := text(cur)
				if err != nil {
					return nil, err
				}
				p.Inserted, p.Deleted = Counts(Diff(ot, nt))
			}
			moveTargets[to] = true
			r.Pages = append(r.Pages, p)
			continue
		}
		if st, ok := b.gone[u]; ok || complete {
			r.Pages = append(r.Pages, Page{Kind: Removed, URL: u, Title: title(old), OldSnapshot: old.snap.ID, Status: st})
			continue
		}
		r.Unseen = append(r.Unseen, u)
	}
	for _, u := range sortedKeys(b.content) {
		if _, ok := a.content[u]; ok || moveTargets[u] {
			continue
		}
		cur := b.content[u]
		if cur.calendar {
			r.Calendar++
			continue
		}
		r.Pages = append(r.Pages, Page{Kind: Added, URL: u, Title: title(cur), NewSnapshot: cur.snap.ID})
	}
	for i := range r.Pages {
		p := &r.Pages[i]
		p.Subsections = subsectionsOf(o.Evidence, p.URL, p.NewURL)
	}
	return r, nil
}

func subsectionsOf(ev map[string][]string, urls ...string) []string {
	seen := map[string]bool{}
	var out []string
	for _, u := range urls {
		for _, s := range ev[u] {
			if u != "" && !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	sort.Strings(out)
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Group is the pages of one rubric sub-section in a report.
type Group struct {
	// Subsection is the sub-section id, "" for pages that carry no evidence.
	Subsection string
	Title      string
	Pages      []Page
}

// Grouped returns the report's pages grouped by the sub-sections whose
// evidence they carry, in rubric order, then the pages without evidence.
// A page that carries evidence for several sub-sections appears in each.
func (r *Report) Grouped(rubric *config.Rubric) []Group {
	bySub := map[string][]Page{}
	for _, p := range r.Pages {
		if len(p.Subsections) == 0 {
			bySub[""] = append(bySub[""], p)
		}
		for _, s := range p.Subsections {
			bySub[s] = append(bySub[s], p)
		}
	}
	var out []Group
	done := map[string]bool{}
	if rubric != nil {
		for _, ss := range rubric.Subsections() {
			if ps := bySub[ss.ID]; len(ps) > 0 {
				out = append(out, Group{Subsection: ss.ID, Title: ss.Title, Pages: ps})
			}
			done[ss.ID] = true
		}
	}
	for _, s := range sortedKeys(bySub) {
		if s == "" || done[s] {
			continue
		}
		out = append(out, Group{Subsection: s, Title: s, Pages: bySub[s]})
	}
	if ps := bySub[""]; len(ps) > 0 {
		out = append(out, Group{Title: "Pages without evidence", Pages: ps})
	}
	return out
}

// EvidencePages maps each page URL to the sub-sections the given evidence
// items place on it.
func EvidencePages(items []ItemRef) map[string][]string {
	m := map[string][]string{}
	for _, it := range items {
		if it.URL == "" {
			continue
		}
		dup := false
		for _, s := range m[it.URL] {
			if s == it.Subsection {
				dup = true
			}
		}
		if !dup {
			m[it.URL] = append(m[it.URL], it.Subsection)
		}
	}
	for u := range m {
		sort.Strings(m[u])
	}
	return m
}

// ItemRef is the part of an evidence item that places it on a page.
type ItemRef struct {
	URL        string
	Subsection string
}

// Reasons turns a report into the page reasons store.DB.MarkStale takes:
// changed and removed pages, and moved pages under both addresses.
func (r *Report) Reasons() map[string]string {
	m := map[string]string{}
	for _, p := range r.Pages {
		switch p.Kind {
		case Changed:
			m[p.URL] = fmt.Sprintf("page changed in crawl %s", r.To.ID)
		case Removed:
			m[p.URL] = fmt.Sprintf("page removed in crawl %s", r.To.ID)
		case Moved:
			m[p.URL] = fmt.Sprintf("page moved to %s in crawl %s", p.NewURL, r.To.ID)
		}
	}
	return m
}

// calendarQuery matches a query parameter that names a date, as calendar
// views use: month=2025-09, date=2025-09-14, year=2025...
var calendarQuery = regexp.MustCompile(`(?i)(?:^|&)(?:month|date|day|week|year|ym|cal(?:endar)?|start_?date|from)=\d{4}(?:[-/]?\d{1,2}){0,2}(?:&|$)`)

// IsCalendar reports whether a page is a calendar view: its address asks
// for a date, or it links to its own address asking for one (the "next
// month" link of a calendar's front page). Such pages change as time
// passes, whatever the council did, so change detection counts them apart.
func IsCalendar(pageURL string, links []store.Link) bool {
	u, err := url.Parse(pageURL)
	if err != nil {
		return false
	}
	if calendarQuery.MatchString(u.RawQuery) {
		return true
	}
	for _, l := range links {
		lu, err := u.Parse(l.URL)
		if err != nil || lu.Host != u.Host || lu.Path != u.Path {
			continue
		}
		if calendarQuery.MatchString(lu.RawQuery) {
			return true
		}
	}
	return false
}
