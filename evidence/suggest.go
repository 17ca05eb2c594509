package evidence

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/localoffer/localoffer/config"
)

// Candidate is what the matcher found on one page for one criterion: how
// relevant the page is, whether every requires group of the criterion was
// found, and the passage that shows it.
type Candidate struct {
	Criterion string
	URL       string
	Title     string
	Heading   string
	Snippet   string
	Terms     []string
	Signals   []string
	// Score is the page's relevance to the criterion; the rubric's
	// thresholds turn it into a status.
	Score float64
	// CoreMet is true when every core group was found: without it the
	// page is no evidence, whatever its score.
	CoreMet bool
	// RequiresMet is true when every requires group was found.
	RequiresMet bool
	// Missing names the requires groups that were not found.
	Missing []string
	// Status, when set, was decided from the site's structure (signposting)
	// and is taken as it is; Score then only orders the evidence.
	Status     Status
	SnapshotID string
	SHA256     string
}

// SuggestOptions say whose suggestions these are and how long the lists
// may grow.
type SuggestOptions struct {
	Authority     string
	CrawlID       string
	RubricVersion string
	Now           time.Time
	// MaxItems caps the evidence list of one sub-section (default 15).
	MaxItems int
	// PerCriterion caps how many pages are suggested for one criterion
	// (default 3): reviewers need the best few, not every page that
	// mentions the subject.
	PerCriterion int
	// Relative drops a criterion's pages that score below this share of its
	// best page (default 0.5), and pages of a weaker status than the best.
	Relative float64
}

// Defaults of SuggestOptions.
const (
	DefaultMaxItems     = 15
	DefaultPerCriterion = 3
	DefaultRelative     = 0.5
)

// confidenceScale sets how fast confidence grows with relevance, in units
// of the criterion's met threshold. It was calibrated on the benchmark's
// development corpus: of the items given about 0.5 there, about half were
// gold evidence, and of those given 0.9 or more, nine in ten or more.
const confidenceScale = 1.6

// Confidence maps a relevance score to [0, 0.999], the chance that the page
// is real evidence, on a scale relative to the criterion's met threshold so
// that confidences read alike across criteria. The tool never claims
// certainty.
func Confidence(score, met float64) float64 {
	if score <= 0 || met <= 0 {
		return 0
	}
	c := 1 - math.Exp(-score/(confidenceScale*met))
	return min(math.Round(c*1000)/1000, 0.999)
}

// StatusOf applies a criterion's thresholds to one candidate: met needs the
// met score and every requires group, partial the partial score; both need
// every core group.
func StatusOf(c Candidate, partial, met float64) Status {
	if c.Status != "" {
		return c.Status
	}
	switch {
	case !c.CoreMet:
		return Absent
	case c.Score >= met && c.RequiresMet:
		return Met
	case c.Score >= partial:
		return PartMet
	}
	return Absent
}

// better reports whether status a is stronger than b.
func better(a, b Status) bool { return statusRank(a) > statusRank(b) }

func statusRank(s Status) int {
	switch s {
	case Met:
		return 2
	case PartMet:
		return 1
	}
	return 0
}

// kept is a candidate that passed its criterion's thresholds.
type kept struct {
	Candidate
	status Status
	// rel is the score relative to the criterion's met threshold, so that
	// candidates of different criteria can be ranked together.
	rel  float64
	conf float64
}

// Suggest turns the matcher's candidates for one authority into a
// suggestion per sub-section (criterion statuses and the score the rubric
// rule gives) and ranked evidence items. A page is one item per
// sub-section, carrying every criterion of the sub-section it evidences,
// so that no page can fill a sub-section's list on its own. Each criterion
// contributes its best few pages (PerCriterion, none weaker in status or
// far below its best, a passage repeated across pages once), and lists
// interleave the criteria: the best page of each, then the second of each.
func Suggest(r *config.Rubric, cands []Candidate, o SuggestOptions) ([]Suggestion, []Item) {
	if o.MaxItems <= 0 {
		o.MaxItems = DefaultMaxItems
	}
	if o.PerCriterion <= 0 {
		o.PerCriterion = DefaultPerCriterion
	}
	if o.Relative <= 0 {
		o.Relative = DefaultRelative
	}
	if o.Now.IsZero() {
		o.Now = time.Now().UTC()
	}
	byCrit := map[string][]kept{}
	for _, c := range cands {
		crit, _, ok := r.Criterion(c.Criterion)
		if !ok {
			continue
		}
		partial, met := r.ThresholdsFor(crit)
		st := StatusOf(c, partial, met)
		if st == Absent {
			continue
		}
		byCrit[c.Criterion] = append(byCrit[c.Criterion], kept{Candidate: c, status: st, rel: c.Score / met, conf: Confidence(c.Score, met)})
	}
	var sugs []Suggestion
	var items []Item
	for _, ss := range r.Subsections() {
		sug := Suggestion{Authority: o.Authority, Subsection: ss.ID, RubricVersion: r.Version, CrawlID: o.CrawlID, AssessedAt: o.Now}
		if o.RubricVersion != "" {
			sug.RubricVersion = o.RubricVersion
		}
		var statuses []Status
		var firsts []kept
		pages := map[string]*pageItem{}
		// ranks are the pages suggested for each criterion, best first.
		ranks := map[string][]string{}
		for _, crit := range ss.Criteria {
			ks := byCrit[crit.ID]
			sort.SliceStable(ks, func(i, j int) bool {
				if ks[i].status != ks[j].status {
					return better(ks[i].status, ks[j].status)
				}
				if ks[i].rel != ks[j].rel {
					return ks[i].rel > ks[j].rel
				}
				return ks[i].URL < ks[j].URL
			})
			res := CriterionResult{ID: crit.ID, Status: Absent}
			if len(ks) > 0 {
				res.Status = ks[0].status
				res.Score = math.Round(ks[0].Score*1000) / 1000
				firsts = append(firsts, ks[0])
			}
			sug.Criteria = append(sug.Criteria, res)
			statuses = append(statuses, res.Status)
			seen := map[string]bool{}
			n := 0
			for _, k := range ks {
				if n >= o.PerCriterion || k.status != ks[0].status || k.rel < o.Relative*ks[0].rel {
					break
				}
				// The same passage on many pages (calendar months, printer
				// versions, a paragraph every page repeats) is one piece of
				// evidence, shown once on its best page.
				key := strings.Join(strings.Fields(k.Snippet), " ")
				if key != "" && seen[key] {
					continue
				}
				seen[key] = true
				n++
				ranks[crit.ID] = append(ranks[crit.ID], k.URL)
				p := pages[k.URL]
				if p == nil {
					p = &pageItem{url: k.URL}
					pages[k.URL] = p
				}
				p.add(k, crit.ID)
			}
		}
		sug.Score = ScoreOf(statuses)
		sugs = append(sugs, sug)

		// Rank round by round: the best page of each criterion (strongest
		// criterion first), then the second of each, and so on, so that
		// every evidenced criterion shows near the top.
		sort.SliceStable(firsts, func(i, j int) bool {
			if firsts[i].status != firsts[j].status {
				return better(firsts[i].status, firsts[j].status)
			}
			return firsts[i].rel > firsts[j].rel
		})
		var ranked []*pageItem
		placed := map[string]bool{}
		for round := 0; ; round++ {
			more := false
			for _, f := range firsts {
				us := ranks[f.Criterion]
				if round >= len(us) {
					continue
				}
				more = true
				if u := us[round]; !placed[u] {
					placed[u] = true
					ranked = append(ranked, pages[u])
				}
			}
			if !more {
				break
			}
		}
		if len(ranked) > o.MaxItems {
			ranked = ranked[:o.MaxItems]
		}
		for i, p := range ranked {
			items = append(items, p.item(o, ss.ID, i))
		}
	}
	return sugs, items
}

// pageItem gathers one page's candidates within a sub-section.
type pageItem struct {
	url      string
	best     kept
	criteria []string
	signals  []string
}

func (p *pageItem) add(k kept, crit string) {
	if len(p.criteria) == 0 || better(k.status, p.best.status) || k.status == p.best.status && k.rel > p.best.rel {
		p.best = k
	}
	p.criteria = append(p.criteria, crit)
	why := fmt.Sprintf("%s: %s", crit, k.status)
	if k.Status == "" {
		why += fmt.Sprintf(" (relevance %.2f)", k.Score)
	}
	if len(k.Missing) > 0 {
		why += "; not found: " + strings.Join(k.Missing, ", ")
	}
	p.signals = append(p.signals, why)
	for _, s := range k.Signals {
		p.signals = append(p.signals, "  "+s)
	}
}

func (p *pageItem) item(o SuggestOptions, subsection string, rank int) Item {
	b := p.best
	return Item{
		ID:         ItemID(o.Authority, subsection, p.url, ""),
		Authority:  o.Authority,
		Subsection: subsection,
		Criteria:   p.criteria,
		URL:        p.url,
		Title:      b.Title,
		Heading:    b.Heading,
		Snippet:    b.Snippet,
		Terms:      b.Terms,
		Signals:    p.signals,
		Confidence: b.conf,
		Rank:       rank,
		SnapshotID: b.SnapshotID,
		SHA256:     b.SHA256,
		CrawlID:    o.CrawlID,
		Origin:     Suggested,
		Status:     Proposed,
		Created:    o.Now,
		Updated:    o.Now,
	}
}
