package review

import (
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/evidence"
	"github.com/localoffer/localoffer/store"
)

type column struct {
	ID, Short, Title string
}

type sectionHead struct {
	Title string
	Span  int
}

// cell is one authority's standing on one sub-section.
type cell struct {
	Sub   string
	Score evidence.Score
	// Suggested is set when Score is only the tool's suggestion.
	Suggested     bool
	Reviewed      bool
	NeedsReReview bool
	Stale         bool
	Blind         bool
	Adviser       bool
	Label         string
}

type dashRow struct {
	Slug, Name, Region string
	Info               []string
	LastCrawl          string
	Cells              []cell
	Reviewed, Total    int
	Percent            int
	Attention          int
	NoData             bool

	// Changes opens what changed between the two newest crawls, once there
	// are two.
	Changes string
}

type dashboardPage struct {
	basePage
	Sections     []sectionHead
	Columns      []column
	Rows         []dashRow
	Regions      []string
	Region, Show string
	Shown, All   int
	Counts       map[string]int
	Blind        []store.DoubleReview
	Adjudicate   []store.DoubleReview
	// Agreement sums up blind double review so far; Pending counts the
	// sub-sections still waiting for their second score.
	Agreement Agreement
	Pending   int
}

var showFilters = map[string]bool{"": true, "unreviewed": true, "partial": true, "stale": true}

// dashboard shows every authority against every sub-section.
func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	q := r.URL.Query()
	p := &dashboardPage{Region: q.Get("region"), Show: q.Get("show"), Counts: map[string]int{}}
	p.Title = "Dashboard"
	p.Nav = "dashboard"
	p.Notice = notices[q.Get("done")]
	if !showFilters[p.Show] {
		p.Errors = append(p.Errors, fieldError{"show", "Choose a filter from the list"})
		p.Show = ""
	}
	for _, sec := range s.cfg.Rubric.Sections {
		p.Sections = append(p.Sections, sectionHead{Title: strings.TrimSuffix(sec.Title, " Specific Requirements"), Span: len(sec.Subsections)})
		for _, ss := range sec.Subsections {
			p.Columns = append(p.Columns, column{ID: ss.ID, Short: shortLabel(ss.Title), Title: ss.Title})
		}
	}
	reviews, err := s.db.DoubleReviews()
	if err != nil {
		return err
	}
	blind := map[string]bool{}
	var pairs [][2]evidence.Score
	for _, d := range reviews {
		if d.State == store.DoublePending {
			p.Pending++
		} else {
			pairs = append(pairs, [2]evidence.Score{d.FirstScore, d.SecondScore})
		}
		if d.BlindFor(c.user.Name) && c.user.Role.CanReview() {
			blind[d.Authority+"/"+d.Subsection] = true
			p.Blind = append(p.Blind, d)
		}
		if d.State == store.DoubleDisagreed && (c.user.Role == evidence.Adviser || c.user.Role == evidence.Admin) && c.user.Name != d.FirstReviewer && c.user.Name != d.SecondBy {
			p.Adjudicate = append(p.Adjudicate, d)
		}
	}
	p.Agreement = agreement(pairs)
	regions := map[string]bool{}
	for _, a := range s.authorityList() {
		if a.Region != "" {
			regions[a.Region] = true
		}
		row, err := s.dashRow(a, blind)
		if err != nil {
			return err
		}
		p.All++
		if p.Region != "" && a.Region != p.Region {
			continue
		}
		if !row.matches(p.Show) {
			continue
		}
		for _, ce := range row.Cells {
			if !ce.Suggested && !ce.Blind && ce.Score != "" {
				p.Counts[string(ce.Score)]++
			}
		}
		p.Rows = append(p.Rows, row)
	}
	p.Shown = len(p.Rows)
	for r := range regions {
		p.Regions = append(p.Regions, r)
	}
	sort.Strings(p.Regions)
	return s.render(w, r, c, http.StatusOK, "dashboard", p)
}

// authorityList is the configured authorities, then any the store knows
// that the list no longer names.
func (s *Server) authorityList() []config.Authority {
	out := append([]config.Authority(nil), s.cfg.Authorities.Authorities...)
	known := map[string]bool{}
	for _, a := range out {
		known[a.Slug] = true
	}
	if slugs, err := s.db.Authorities(); err == nil {
		for _, sl := range slugs {
			if !known[sl] {
				out = append(out, config.Authority{Slug: sl, Name: sl})
			}
		}
	}
	return out
}

func (s *Server) dashRow(a config.Authority, blind map[string]bool) (dashRow, error) {
	row := dashRow{Slug: a.Slug, Name: a.Name, Region: a.Region, Total: len(s.order)}
	if s.cfg.DashboardInfo != nil {
		row.Info = s.cfg.DashboardInfo(a.Slug)
	}
	if cr, err := s.db.LatestCrawl(a.Slug); err == nil {
		row.LastCrawl = when(cr.Ended)
		if row.LastCrawl == "" {
			row.LastCrawl = when(cr.Started)
		}
	}
	if crawls, err := s.finishedCrawls(a.Slug); err == nil && len(crawls) > 1 {
		row.Changes = "/a/" + url.PathEscape(a.Slug) + "/changes"
	}
	sugs, err := s.db.Suggestions(a.Slug)
	if err != nil {
		return row, err
	}
	decs, err := s.db.Decisions(a.Slug)
	if err != nil {
		return row, err
	}
	items, err := s.db.Items(a.Slug, "")
	if err != nil {
		return row, err
	}
	stale := map[string]bool{}
	for _, it := range items {
		if it.Stale {
			stale[it.Subsection] = true
		}
	}
	row.NoData = len(sugs) == 0 && len(decs) == 0
	for _, id := range s.order {
		ce := cell{Sub: id}
		d := decs[id]
		switch {
		case blind[a.Slug+"/"+id]:
			ce.Blind = true
			ce.Label = "blind review: score it yourself"
		case d.FinalScore != "":
			ce.Score = d.FinalScore
			ce.Reviewed = d.Reviewed
			ce.Label = string(d.FinalScore)
			if !d.Reviewed {
				ce.Label += ", not yet marked reviewed"
			}
		default:
			if sg, ok := sugs[id]; ok {
				ce.Score, ce.Suggested = sg.Score, true
				ce.Label = "suggested " + string(sg.Score) + ", not reviewed"
			} else {
				ce.Label = "no assessment"
			}
		}
		if !ce.Blind {
			ce.NeedsReReview = d.NeedsReReview
			ce.Stale = stale[id]
			ce.Adviser = d.AdviserJudgement != ""
			if ce.NeedsReReview {
				ce.Label += ", needs re-review"
			} else if ce.Stale {
				ce.Label += ", evidence stale"
			}
		}
		if d.Reviewed {
			row.Reviewed++
		}
		if ce.NeedsReReview || ce.Stale {
			row.Attention++
		}
		row.Cells = append(row.Cells, ce)
	}
	if row.Total > 0 {
		row.Percent = row.Reviewed * 100 / row.Total
	}
	return row, nil
}

func (row dashRow) matches(show string) bool {
	switch show {
	case "unreviewed":
		return row.Reviewed < row.Total
	case "partial":
		for _, c := range row.Cells {
			if c.Score == evidence.Partial {
				return true
			}
		}
		return false
	case "stale":
		return row.Attention > 0
	}
	return true
}
