package review

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/localoffer/localoffer/store"
)

// historyLimit is how many runs and crawls the history page lists.
const historyLimit = 50

type runRow struct {
	store.RunAuthority
	Name string
	// Changes opens the comparison the run made, when it made one.
	Changes string
	Note    string
}

type runView struct {
	*store.Run
	Took string
	Rows []runRow
}

type crawlRow struct {
	*store.Crawl
	Name   string
	Took   string
	Errors int
}

type runsPage struct {
	basePage
	// Authority filters the history to one authority ("" for all).
	Authority   string
	Authorities []authorityOption
	Runs        []runView
	Crawls      []crawlRow
	Locks       []store.LockInfo
	Schedule    *store.ScheduleState
	MoreRuns    bool
	MoreCrawls  bool
}

type authorityOption struct{ Slug, Name string }

// runs shows the run history kept in the store, the same as the crawls
// command prints: every run with what it found for each authority (pages,
// changes, stale evidence, errors), then every crawl, then the crawls
// running now. ?la=SLUG keeps one authority.
func (s *Server) runs(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	p := &runsPage{Authority: r.URL.Query().Get("la")}
	p.Title = "Runs and crawls"
	p.Nav = "runs"
	known := false
	for _, a := range s.authorityList() {
		p.Authorities = append(p.Authorities, authorityOption{a.Slug, a.Name})
		known = known || a.Slug == p.Authority
	}
	if p.Authority != "" && !known {
		p.Errors = append(p.Errors, fieldError{"la", "Choose an authority from the list"})
		p.Authority = ""
	}
	runs, err := s.db.Runs(0)
	if err != nil {
		return err
	}
	for _, run := range runs {
		v := runView{Run: run, Took: took(run.Started, run.Ended)}
		for _, ra := range run.Authorities {
			if p.Authority != "" && ra.Slug != p.Authority {
				continue
			}
			row := runRow{RunAuthority: ra, Name: s.authorityName(ra.Slug), Note: ra.Error}
			switch {
			case ra.Skipped != "":
				row.Note = "Skipped: " + ra.Skipped
			case ra.Error == "" && ra.ReReview > 0:
				row.Note = plural(ra.ReReview, "score needs", "scores need") + " re-review"
			}
			if ra.CrawlID != "" && ra.PreviousCrawlID != "" {
				row.Changes = "/a/" + url.PathEscape(ra.Slug) + "/changes?" + url.Values{"from": {ra.PreviousCrawlID}, "to": {ra.CrawlID}}.Encode()
			}
			v.Rows = append(v.Rows, row)
		}
		if p.Authority != "" && len(v.Rows) == 0 {
			continue
		}
		if len(p.Runs) == historyLimit {
			p.MoreRuns = true
			break
		}
		p.Runs = append(p.Runs, v)
	}
	crawls, err := s.db.Crawls(p.Authority)
	if err != nil {
		return err
	}
	for _, cr := range crawls {
		if len(p.Crawls) == historyLimit {
			p.MoreCrawls = true
			break
		}
		p.Crawls = append(p.Crawls, crawlRow{Crawl: cr, Name: s.authorityName(cr.Authority), Took: took(cr.Started, cr.Ended), Errors: cr.Counts.ErrorTotal()})
	}
	locks, err := s.db.Locks()
	if err != nil {
		return err
	}
	for _, l := range locks {
		if p.Authority == "" || l.Authority == p.Authority {
			p.Locks = append(p.Locks, l)
		}
	}
	if st, err := s.db.ScheduleState(); err == nil {
		p.Schedule = &st
	} else if !store.IsNotFound(err) {
		return err
	}
	return s.render(w, r, c, http.StatusOK, "runs", p)
}

// took is how long something ran, or "" while it runs.
func took(start, end time.Time) string {
	if start.IsZero() || end.IsZero() {
		return ""
	}
	return end.Sub(start).Round(time.Second).String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
