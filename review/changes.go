package review

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/localoffer/localoffer/changes"
	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/evidence"
	"github.com/localoffer/localoffer/store"
)

// diffContext is how many unchanged lines the diff page shows around each
// change, as a unified diff does.
const diffContext = 3

// maxDiffLines bounds the lines one diff page shows; a page rewritten from
// top to bottom says so rather than sending megabytes.
const maxDiffLines = 4000

// changedPage is one page of a comparison, with the links the UI offers.
type changedPage struct {
	changes.Page
	// Diff is the old-beside-new page for a changed or moved page; Old and
	// New open a single capture (a removed or added page).
	Diff, Old, New string
}

type changeGroup struct {
	Subsection, Title, Anchor string
	NeedsReReview             bool
	Pages                     []changedPage
}

type changesPage struct {
	basePage
	Authority config.Authority
	// Crawls are the finished crawls, newest first, for the pickers.
	Crawls   []*store.Crawl
	From, To *store.Crawl
	// Only says why there is nothing to compare, when that is so.
	Only                           string
	Added, Removed, Changed, Moved int
	Unchanged, Calendar            int
	Unseen                         []string
	Groups                         []changeGroup
	Stale                          []evidence.Item
	ReReview                       []reReviewSub
}

type reReviewSub struct {
	ID, Title, Anchor, Why string
}

// finishedCrawls returns the crawls of slug that can be compared (done, or
// failed after capturing pages), newest first, as the changes command
// picks them.
func (s *Server) finishedCrawls(slug string) ([]*store.Crawl, error) {
	all, err := s.db.Crawls(slug)
	if err != nil {
		return nil, err
	}
	var out []*store.Crawl
	for _, c := range all {
		if c.Status == store.CrawlDone || (c.Status == store.CrawlFailed && c.Counts.Pages > 0) {
			out = append(out, c)
		}
	}
	return out, nil
}

// authorityChanges lists what changed on an authority's site between two
// crawls (by default the newest finished crawl and the one before), grouped
// by the sub-sections whose evidence the pages carry, with the evidence now
// stale and the sub-sections that need a second look.
func (s *Server) authorityChanges(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	a, err := s.knownAuthority(r.PathValue("slug"))
	if err != nil {
		return err
	}
	p := &changesPage{Authority: a}
	p.Nav = "dashboard"
	p.Title = "What changed: " + a.Name
	if p.Crawls, err = s.finishedCrawls(a.Slug); err != nil {
		return err
	}
	if err := s.staleEvidence(p); err != nil {
		return err
	}
	q := r.URL.Query()
	pick := func(id string) (*store.Crawl, error) {
		for _, cr := range p.Crawls {
			if cr.ID == id {
				return cr, nil
			}
		}
		return nil, errorf(http.StatusNotFound, "%s has no finished crawl %q.", a.Name, id)
	}
	switch {
	case len(p.Crawls) == 0:
		p.Only = a.Name + " has not been crawled to the end yet, so there is nothing to compare."
		return s.render(w, r, c, http.StatusOK, "changes", p)
	case q.Get("to") != "":
		if p.To, err = pick(q.Get("to")); err != nil {
			return err
		}
	default:
		p.To = p.Crawls[0]
	}
	if id := q.Get("from"); id != "" {
		if p.From, err = pick(id); err != nil {
			return err
		}
		if p.From.ID == p.To.ID {
			return errorf(http.StatusBadRequest, "Choose two different crawls to compare.")
		}
	} else {
		for _, cr := range p.Crawls {
			if cr.ID < p.To.ID {
				p.From = cr
				break
			}
		}
		if p.From == nil {
			p.Only = fmt.Sprintf("%s has only one finished crawl before this one (crawl %s), so there is nothing to compare it with yet.", a.Name, p.To.ID)
			return s.render(w, r, c, http.StatusOK, "changes", p)
		}
	}
	text, err := s.siteText(p.From, p.To)
	if err != nil {
		return err
	}
	ev, err := s.evidencePages(a.Slug, p.From.ID, p.To.ID)
	if err != nil {
		return err
	}
	rep, err := changes.Compare(s.db, p.From.ID, p.To.ID, changes.Options{Text: text, Evidence: ev})
	if err != nil {
		return err
	}
	p.Added, p.Removed = rep.Count(changes.Added), rep.Count(changes.Removed)
	p.Changed, p.Moved = rep.Count(changes.Changed), rep.Count(changes.Moved)
	p.Unchanged, p.Calendar, p.Unseen = rep.Unchanged, rep.Calendar, rep.Unseen
	rr := map[string]bool{}
	for _, x := range p.ReReview {
		rr[x.ID] = true
	}
	for _, g := range rep.Grouped(s.cfg.Rubric) {
		cg := changeGroup{Subsection: g.Subsection, Title: g.Title, NeedsReReview: rr[g.Subsection]}
		if g.Subsection != "" {
			cg.Anchor = anchor("sub-", g.Subsection)
		}
		for _, pg := range g.Pages {
			cg.Pages = append(cg.Pages, changedPageOf(a.Slug, pg))
		}
		p.Groups = append(p.Groups, cg)
	}
	return s.render(w, r, c, http.StatusOK, "changes", p)
}

// changedPageOf adds to a compared page the links that show it.
func changedPageOf(slug string, pg changes.Page) changedPage {
	cp := changedPage{Page: pg}
	if pg.OldSnapshot != "" {
		cp.Old = "/snapshot/" + url.PathEscape(pg.OldSnapshot)
	}
	if pg.NewSnapshot != "" {
		cp.New = "/snapshot/" + url.PathEscape(pg.NewSnapshot)
	}
	if pg.OldSnapshot != "" && pg.NewSnapshot != "" && (pg.Kind == changes.Changed || pg.Kind == changes.Moved) {
		cp.Diff = diffURL(slug, pg.OldSnapshot, pg.NewSnapshot)
	}
	return cp
}

// staleEvidence fills in the authority's stale evidence and the
// sub-sections flagged for re-review.
func (s *Server) staleEvidence(p *changesPage) error {
	items, err := s.db.Items(p.Authority.Slug, "")
	if err != nil {
		return err
	}
	for _, it := range items {
		if it.Stale {
			p.Stale = append(p.Stale, it)
		}
	}
	decs, err := s.db.Decisions(p.Authority.Slug)
	if err != nil {
		return err
	}
	for _, id := range s.order {
		if d, ok := decs[id]; ok && d.NeedsReReview {
			p.ReReview = append(p.ReReview, reReviewSub{ID: id, Title: s.subs[id].Title, Anchor: anchor("sub-", id), Why: d.ReReviewWhy})
		}
	}
	return nil
}

// evidencePages maps pages to the sub-sections their evidence supports: what
// the assessments of the two crawls recorded and the evidence held now, so
// that a page whose suggestions have left the queue still shows under the
// sub-sections it used to support.
func (s *Server) evidencePages(slug string, crawlIDs ...string) (map[string][]string, error) {
	var refs []changes.ItemRef
	for _, id := range crawlIDs {
		m, err := s.db.CrawlEvidence(id)
		if err != nil {
			return nil, err
		}
		for u, subs := range m {
			for _, sub := range subs {
				refs = append(refs, changes.ItemRef{URL: u, Subsection: sub})
			}
		}
	}
	items, err := s.db.Items(slug, "")
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		refs = append(refs, changes.ItemRef{URL: it.URL, Subsection: it.Subsection})
	}
	return changes.EvidencePages(refs), nil
}

// capture is one side of the old-beside-new page.
type capture struct {
	Snap  *store.Snapshot
	Crawl string
	// Gone says why there is no text on this side (the page vanished or
	// answered with an error).
	Gone string
}

// diffLine is one line of the diff as the page shows it.
type diffLine struct {
	// Kind is "same", "ins" or "del"; Sign is what the line starts with,
	// so that the change never rests on colour alone.
	Kind, Sign string
	Old, New   int
	Text       string
}

// hunk is a run of changed lines with their context.
type hunk struct {
	Header string
	Lines  []diffLine
}

type diffPage struct {
	basePage
	Authority config.Authority
	URL       string
	Old, New  capture
	// Item is the stale evidence item the page was opened for, if any.
	Item *evidence.Item
	// SubTitle is the title of the item's sub-section.
	SubTitle           string
	Hunks              []hunk
	Inserted, Deleted  int
	Same, Truncated    bool
	BackURL, BackLabel string
}

// pageDiff shows two captures of a page side by side, with a line diff of
// their main text: ?old=SNAPSHOT&new=SNAPSHOT, both of the authority.
func (s *Server) pageDiff(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	a, err := s.knownAuthority(r.PathValue("slug"))
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if q.Get("old") == "" || q.Get("new") == "" {
		return errorf(http.StatusBadRequest, "Say which two captures to compare (old and new).")
	}
	snap := func(id string) (*store.Snapshot, error) {
		sn, err := s.db.Snapshot(id)
		if err != nil {
			if store.IsNotFound(err) {
				return nil, errorf(http.StatusNotFound, "There is no capture %q.", id)
			}
			return nil, err
		}
		if sn.Authority != a.Slug {
			return nil, errorf(http.StatusNotFound, "Capture %s is not of %s.", id, a.Name)
		}
		return sn, nil
	}
	old, err := snap(q.Get("old"))
	if err != nil {
		return err
	}
	cur, err := snap(q.Get("new"))
	if err != nil {
		return err
	}
	p := &diffPage{Authority: a, URL: old.URL, Old: capture{Snap: old, Crawl: old.CrawlID}, New: capture{Snap: cur, Crawl: cur.CrawlID}}
	p.BackURL, p.BackLabel = "/a/"+url.PathEscape(a.Slug)+"/changes", "Back to what changed on "+a.Name
	if err := s.fillDiff(p); err != nil {
		return err
	}
	return s.render(w, r, c, http.StatusOK, "diff", p)
}

// itemChanges shows, for an evidence item, the capture it was read from
// beside the page as the newest finished crawl found it: what a reviewer
// needs to decide whether stale evidence still stands.
func (s *Server) itemChanges(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	a, err := s.knownAuthority(r.PathValue("slug"))
	if err != nil {
		return err
	}
	it, err := s.db.Item(a.Slug, r.PathValue("id"))
	if err != nil {
		return err
	}
	p := &diffPage{Authority: a, URL: it.URL, Item: &it, SubTitle: it.Subsection}
	if ss, ok := s.subs[it.Subsection]; ok {
		p.SubTitle = ss.Title
	}
	p.BackURL, p.BackLabel = "/a/"+url.PathEscape(a.Slug)+"#"+anchor("item-", it.ID), "Back to the evidence"
	if it.SnapshotID == "" {
		return errorf(http.StatusNotFound, "This evidence was added without a capture of its page, so there is no earlier version to compare.")
	}
	if p.Old.Snap, err = s.db.Snapshot(it.SnapshotID); err != nil {
		return err
	}
	p.Old.Crawl = p.Old.Snap.CrawlID
	crawls, err := s.finishedCrawls(a.Slug)
	if err != nil {
		return err
	}
	if len(crawls) == 0 {
		return errorf(http.StatusNotFound, "%s has no finished crawl to compare the evidence with.", a.Name)
	}
	latest := crawls[0]
	p.New.Crawl = latest.ID
	id, err := s.db.CrawlSnapshotID(latest.ID, it.URL)
	switch {
	case store.IsNotFound(err):
		p.New.Gone = fmt.Sprintf("Crawl %s did not find this page: no link on the site leads to it any more.", latest.ID)
	case err != nil:
		return err
	default:
		if p.New.Snap, err = s.db.Snapshot(id); err != nil {
			return err
		}
	}
	if err := s.fillDiff(p); err != nil {
		return err
	}
	return s.render(w, r, c, http.StatusOK, "diff", p)
}

// fillDiff reads the main text of both captures the way change detection
// does and diffs it. A side that is gone or unreadable diffs as empty.
func (s *Server) fillDiff(p *diffPage) error {
	var crawls []*store.Crawl
	for _, id := range []string{p.Old.Crawl, p.New.Crawl} {
		if id == "" {
			continue
		}
		cr, err := s.db.Crawl(id)
		if err != nil {
			return err
		}
		crawls = append(crawls, cr)
	}
	text, err := s.siteText(crawls...)
	if err != nil {
		return err
	}
	read := func(side *capture) (string, error) {
		sn := side.Snap
		if sn == nil {
			return "", nil
		}
		switch {
		case sn.Status >= 400:
			side.Gone = fmt.Sprintf("The page answered HTTP %d: it has been removed.", sn.Status)
			return "", nil
		case sn.Kind != "html" && sn.Kind != "pdf" && sn.Kind != "doc":
			side.Gone = fmt.Sprintf("The address now gives %s, which has no text to compare.", sn.ContentType)
			return "", nil
		}
		body, err := s.db.Body(sn.SHA256)
		if err != nil {
			side.Gone = "The body of this capture could not be read: " + err.Error()
			return "", nil
		}
		_, t, err := text(sn, body)
		if err != nil {
			side.Gone = "The text of this capture could not be read: " + err.Error()
			return "", nil
		}
		return changes.Normalize(t), nil
	}
	a, err := read(&p.Old)
	if err != nil {
		return err
	}
	b, err := read(&p.New)
	if err != nil {
		return err
	}
	d := changes.Diff(a, b)
	p.Inserted, p.Deleted = changes.Counts(d)
	p.Same = p.Inserted == 0 && p.Deleted == 0
	p.Hunks, p.Truncated = hunks(d, diffContext, maxDiffLines)
	return nil
}

// hunks groups a diff into runs of changed lines with context lines of
// unchanged text around them, at most limit lines in all (truncated
// reports whether lines were left out).
func hunks(d []changes.Line, context, limit int) (out []hunk, truncated bool) {
	shown := 0
	n := len(d)
	for i := 0; i < n; {
		if d[i].Op == changes.Same {
			i++
			continue
		}
		start := max(i-context, 0)
		end := i
		for end < n {
			if d[end].Op != changes.Same {
				end++
				continue
			}
			k := end
			for k < n && d[k].Op == changes.Same {
				k++
			}
			if k < n && k-end <= 2*context {
				end = k
				continue
			}
			end = min(end+context, n)
			break
		}
		h := hunk{}
		oldStart, newStart, oldN, newN := 0, 0, 0, 0
		for _, l := range d[start:end] {
			if shown >= limit {
				truncated = true
				break
			}
			shown++
			dl := diffLine{Old: l.Old, New: l.New, Text: l.Text}
			switch l.Op {
			case changes.Insert:
				dl.Kind, dl.Sign = "ins", "+"
			case changes.Delete:
				dl.Kind, dl.Sign = "del", "−"
			default:
				dl.Kind, dl.Sign = "same", ""
			}
			if l.Op != changes.Insert {
				if oldStart == 0 {
					oldStart = l.Old
				}
				oldN++
			}
			if l.Op != changes.Delete {
				if newStart == 0 {
					newStart = l.New
				}
				newN++
			}
			h.Lines = append(h.Lines, dl)
		}
		if len(h.Lines) > 0 {
			h.Header = fmt.Sprintf("Old lines %s, new lines %s", lineRange(oldStart, oldN), lineRange(newStart, newN))
			out = append(out, h)
		}
		if truncated {
			return out, true
		}
		i = end
	}
	return out, false
}

func lineRange(start, n int) string {
	switch n {
	case 0:
		return "none"
	case 1:
		return fmt.Sprint(start)
	}
	return fmt.Sprintf("%d–%d", start, start+n-1)
}

func diffURL(slug, oldID, newID string) string {
	return "/a/" + url.PathEscape(slug) + "/diff?old=" + url.QueryEscape(oldID) + "&new=" + url.QueryEscape(newID)
}

// siteTexts remembers the main-text readers of recent pairs of finished
// crawls: learning a site's repeated blocks reads up to a thousand pages of
// each crawl, which a reviewer paging through diffs should not wait for
// every time. Finished crawls do not change, so an entry never goes stale.
var siteTexts = struct {
	sync.Mutex
	keys []string
	m    map[string]changes.TextFunc
}{m: map[string]changes.TextFunc{}}

const siteTextCache = 8

// siteText returns the main-text reader for the given crawls, learnt once
// per pair of finished crawls of this store.
func (s *Server) siteText(crawls ...*store.Crawl) (changes.TextFunc, error) {
	var ids []string
	cacheable := true
	for _, cr := range crawls {
		ids = append(ids, cr.ID)
		cacheable = cacheable && (cr.Status == store.CrawlDone || cr.Status == store.CrawlFailed)
	}
	if len(ids) == 0 {
		return nil, errors.New("site text: no crawl")
	}
	key := s.db.Path() + "\x00" + strings.Join(ids, "\x00")
	siteTexts.Lock()
	t, ok := siteTexts.m[key]
	siteTexts.Unlock()
	if ok {
		return t, nil
	}
	t, err := changes.SiteText(s.db, ids...)
	if err != nil || !cacheable {
		return t, err
	}
	siteTexts.Lock()
	defer siteTexts.Unlock()
	if _, ok := siteTexts.m[key]; !ok {
		siteTexts.keys = append(siteTexts.keys, key)
		siteTexts.m[key] = t
		if len(siteTexts.keys) > siteTextCache {
			delete(siteTexts.m, siteTexts.keys[0])
			siteTexts.keys = siteTexts.keys[1:]
		}
	}
	return t, nil
}

// captureArgs is what the "capture" template needs: a side's heading, the
// capture and the evidence item the page was opened for.
type captureArgs struct {
	Label string
	C     capture
	Item  *evidence.Item
}

func init() {
	funcs["runTag"] = runTag
	funcs["kindTag"] = kindTag
	funcs["statusWord"] = statusWord
	funcs["lowerLabel"] = strings.ToLower
	funcs["captureArgs"] = func(label string, c capture, it *evidence.Item) captureArgs {
		return captureArgs{Label: label, C: c, Item: it}
	}
}

// runTag colours a run's or a crawl's status; the word is always shown.
func runTag(status string) string {
	switch status {
	case store.RunDone:
		return "tag--green"
	case store.RunPartial, store.CrawlInterrupted:
		return "tag--yellow"
	case store.RunFailed:
		return "tag--red"
	case store.RunRunning:
		return "tag--blue"
	}
	return "tag--grey"
}

// kindTag colours a kind of page change; the word is always shown.
func kindTag(k changes.Kind) string {
	switch k {
	case changes.Added:
		return "tag--green"
	case changes.Removed:
		return "tag--red"
	case changes.Changed:
		return "tag--yellow"
	}
	return "tag--blue"
}

// statusWord says in a sentence what a reviewer made of an item.
func statusWord(s evidence.ItemStatus) string {
	switch s {
	case evidence.Accepted:
		return "accepted"
	case evidence.Rejected:
		return "rejected"
	}
	return "proposed"
}
