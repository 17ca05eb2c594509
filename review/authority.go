package review

import (
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/evidence"
	"github.com/localoffer/localoffer/store"
)

type criterionView struct {
	ID, Text  string
	Status    evidence.Status
	HasStatus bool
}

type itemView struct {
	evidence.Item
	Anchor     string
	Segments   []segment
	Confidence int
	// Criteria are the texts of the criteria the item speaks to.
	Criteria []string
	Live     string
}

// subForm is what the user typed into a sub-section's forms, kept when a
// save fails so nothing is lost, with the errors and any conflict.
type subForm struct {
	Score     evidence.Score
	Rationale string
	Judgement string
	Version   int
	// AddURL, AddQuote, AddCriterion and AddNote are the "add evidence"
	// form's fields.
	AddURL, AddQuote, AddCriterion, AddNote string
	// Open names the form the input belongs to: "add", "score" or
	// "adviser".
	Open   string
	Errors map[string]string
	// Conflict is the other reviewer's saved decision.
	Conflict *evidence.Decision
}

type subView struct {
	ID, Code, Title, Anchor string
	Criteria                []criterionView
	Suggested               evidence.Score
	SuggestedAt             string
	Decision                evidence.Decision
	Items                   []itemView
	Proposed                int
	Blind                   bool
	Double                  *store.DoubleReview
	Form                    subForm
	// ShowAdviser is set when the sub-section scores Partial (final or
	// suggested): the adviser's judgement belongs there.
	ShowAdviser bool
	// Groups are the criteria, each with its evidence cards.
	Groups []critGroup
}

// critGroup is a criterion with the evidence cards whose first criterion
// it is; a group with no ID holds items that name no criterion of the
// sub-section.
type critGroup struct {
	criterionView
	Items []itemView
}

type sectionView struct {
	ID, Title string
	Subs      []*subView
}

type authorityPage struct {
	basePage
	Authority config.Authority
	LastCrawl *store.Crawl
	Reviewed  int
	Total     int
	Sections  []sectionView
	Captured  []string
	Filter    string
}

// authority shows one authority's sub-sections with their evidence cards.
func (s *Server) authority(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	p, err := s.authorityPage(r.PathValue("slug"), c, nil)
	if err != nil {
		return err
	}
	p.Notice = notices[r.URL.Query().Get("done")]
	return s.render(w, r, c, http.StatusOK, "authority", p)
}

// notices are the confirmations shown after a redirect; only known keys
// are shown, never text from the URL.
var notices = map[string]string{
	"accepted":   "Evidence accepted.",
	"rejected":   "Evidence rejected.",
	"undone":     "Decision on the evidence undone.",
	"best":       "Best practice mark changed.",
	"added":      "Your evidence was added and accepted.",
	"score":      "Score saved.",
	"reviewed":   "Sub-section marked as reviewed.",
	"adviser":    "Adviser judgement saved.",
	"blind":      "Your blind score was saved.",
	"adjudicate": "Adjudication saved and the final score updated.",
}

// authorityPage builds the page for slug; forms carries what the user
// typed into a sub-section whose save failed.
func (s *Server) authorityPage(slug string, c *reqCtx, forms map[string]*subForm) (*authorityPage, error) {
	a, err := s.knownAuthority(slug)
	if err != nil {
		return nil, err
	}
	p := &authorityPage{Authority: a, Total: len(s.order)}
	p.Title = a.Name
	p.Nav = "dashboard"
	if cr, err := s.db.LatestCrawl(slug); err == nil {
		p.LastCrawl = cr
	}
	sugs, err := s.db.Suggestions(slug)
	if err != nil {
		return nil, err
	}
	decs, err := s.db.Decisions(slug)
	if err != nil {
		return nil, err
	}
	items, err := s.db.Items(slug, "")
	if err != nil {
		return nil, err
	}
	reviews, err := s.db.DoubleReviews()
	if err != nil {
		return nil, err
	}
	doubles := map[string]store.DoubleReview{}
	for _, d := range reviews {
		if d.Authority == slug {
			doubles[d.Subsection] = d
		}
	}
	bySub := map[string][]evidence.Item{}
	urls := map[string]bool{}
	for _, it := range items {
		bySub[it.Subsection] = append(bySub[it.Subsection], it)
		if it.URL != "" {
			urls[it.URL] = true
		}
	}
	for _, sec := range s.cfg.Rubric.Sections {
		sv := sectionView{ID: sec.ID, Title: sec.Title}
		for i := range sec.Subsections {
			ss := &sec.Subsections[i]
			v := s.subView(c, ss, sugs[ss.ID], decs[ss.ID], bySub[ss.ID], doubles, forms[ss.ID])
			if v.Decision.Reviewed {
				p.Reviewed++
			}
			sv.Subs = append(sv.Subs, v)
		}
		p.Sections = append(p.Sections, sv)
	}
	if c != nil && c.user.Role.CanReview() {
		p.Captured = s.capturedURLs(slug, p.LastCrawl, urls)
	}
	return p, nil
}

func (s *Server) subView(c *reqCtx, ss *config.Subsection, sg evidence.Suggestion, d evidence.Decision, items []evidence.Item, doubles map[string]store.DoubleReview, form *subForm) *subView {
	if d.Authority == "" {
		d = evidence.Decision{Subsection: ss.ID}
	}
	v := &subView{ID: ss.ID, Code: ss.Code, Title: ss.Title, Anchor: anchor("sub-", ss.ID), Decision: d}
	if dr, ok := doubles[ss.ID]; ok {
		if c != nil && c.user.Role.CanReview() && dr.BlindFor(c.user.Name) {
			v.Blind = true
		} else {
			v.Double = &dr
		}
	}
	statuses := map[string]evidence.Status{}
	if !v.Blind {
		v.Suggested = sg.Score
		v.SuggestedAt = when(sg.AssessedAt)
		for _, cr := range sg.Criteria {
			statuses[cr.ID] = cr.Status
		}
	}
	texts := map[string]string{}
	for _, cr := range ss.Criteria {
		st, ok := statuses[cr.ID]
		v.Criteria = append(v.Criteria, criterionView{ID: cr.ID, Text: cr.Text, Status: st, HasStatus: ok})
		texts[cr.ID] = cr.Text
	}
	for _, it := range items {
		iv := itemView{Item: it, Anchor: anchor("item-", it.ID), Segments: highlight(it.Snippet, it.Terms), Confidence: int(it.Confidence*100 + 0.5)}
		for _, id := range it.Criteria {
			if t, ok := texts[id]; ok {
				iv.Criteria = append(iv.Criteria, t)
			} else {
				iv.Criteria = append(iv.Criteria, id)
			}
		}
		if u, err := url.Parse(it.URL); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
			iv.Live = it.URL
			if iv.SnapshotID == "" {
				// Evidence a reviewer pasted before the page was crawled
				// may have a capture by now.
				if sn, err := s.db.LatestSnapshot(it.Authority, it.URL); err == nil {
					iv.SnapshotID = sn.ID
				}
			}
		}
		if v.Blind {
			// The second reviewer sees the passages, not what anyone made
			// of them.
			iv.Status, iv.Confidence, iv.Signals, iv.BestPractice = evidence.Proposed, 0, nil, false
		}
		if iv.Status == evidence.Proposed {
			v.Proposed++
		}
		v.Items = append(v.Items, iv)
	}
	idx := map[string]int{}
	for i, cv := range v.Criteria {
		idx[cv.ID] = i
		v.Groups = append(v.Groups, critGroup{criterionView: cv})
	}
	var other []itemView
	for _, iv := range v.Items {
		placed := false
		for _, id := range iv.Item.Criteria {
			if i, ok := idx[id]; ok {
				v.Groups[i].Items = append(v.Groups[i].Items, iv)
				placed = true
				break
			}
		}
		if !placed {
			other = append(other, iv)
		}
	}
	if len(other) > 0 {
		v.Groups = append(v.Groups, critGroup{criterionView: criterionView{Text: "Other evidence for this sub-section"}, Items: other})
	}
	score := d.FinalScore
	if score == "" {
		score = v.Suggested
	}
	v.ShowAdviser = !v.Blind && (score == evidence.Partial || d.AdviserJudgement != "")
	v.Form = subForm{Score: score, Rationale: d.Rationale, Judgement: d.AdviserJudgement, Version: d.Version}
	if form != nil {
		// Keep what the user typed into the form that failed; the other
		// forms show the stored state.
		v.Form.Errors, v.Form.Open, v.Form.Conflict = form.Errors, form.Open, form.Conflict
		switch form.Open {
		case "add":
			v.Form.AddURL, v.Form.AddQuote, v.Form.AddCriterion, v.Form.AddNote = form.AddURL, form.AddQuote, form.AddCriterion, form.AddNote
		case "score":
			v.Form.Score, v.Form.Rationale, v.Form.Version = form.Score, form.Rationale, form.Version
		case "adviser":
			v.Form.Judgement, v.Form.Version = form.Judgement, form.Version
		}
		if form.Conflict != nil {
			v.Form.Version = form.Conflict.Version
		}
	}
	if v.Blind {
		v.Decision = evidence.Decision{Subsection: ss.ID}
		v.Form = subForm{}
	}
	return v
}

// capturedURLs lists pages of the authority's latest crawl, for the "add
// evidence" form's suggestions, with URLs already used as evidence first.
func (s *Server) capturedURLs(slug string, cr *store.Crawl, used map[string]bool) []string {
	const max = 2000
	var out []string
	for u := range used {
		out = append(out, u)
	}
	sort.Strings(out)
	if cr == nil {
		return out
	}
	_ = s.db.CrawlSnapshots(cr.ID, func(sn *store.Snapshot) error {
		if len(out) >= max {
			return errStop
		}
		if sn.Status == http.StatusOK && !used[sn.URL] && (sn.Kind == "html" || sn.Kind == "pdf" || sn.Kind == "doc") {
			out = append(out, sn.URL)
		}
		return nil
	})
	return out
}

// errStop ends a walk over a crawl's snapshots early.
var errStop = errors.New("enough")

// itemRedirect sends the browser back to the authority page at anchor.
func itemRedirect(w http.ResponseWriter, r *http.Request, slug, done, frag string) {
	u := "/a/" + url.PathEscape(slug)
	if done != "" {
		u += "?done=" + done
	}
	if frag != "" {
		u += "#" + strings.TrimPrefix(frag, "#")
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
}
