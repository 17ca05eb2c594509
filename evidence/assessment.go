package evidence

import (
	"sort"
	"time"

	"github.com/localoffer/localoffer/config"
)

// Assessment is one authority's assessment as exported: every sub-section
// of the rubric with the tool's suggested score, the reviewers' final score
// (null until fixed), criterion statuses and the evidence best first. Its
// JSON form is the contract other tools read.
type Assessment struct {
	LA            string                 `json:"la"`
	Name          string                 `json:"name,omitempty"`
	RubricVersion string                 `json:"rubric_version"`
	Crawl         CrawlRef               `json:"crawl"`
	AssessedAt    *time.Time             `json:"assessed_at,omitempty"`
	Subsections   []SubsectionAssessment `json:"subsections"`
}

// CrawlRef names the crawl an assessment was made from.
type CrawlRef struct {
	ID      string    `json:"id"`
	Started time.Time `json:"started"`
	Pages   int       `json:"pages"`
}

// SubsectionAssessment is one sub-section of an Assessment.
type SubsectionAssessment struct {
	ID             string           `json:"id"`
	Code           string           `json:"code,omitempty"`
	Title          string           `json:"title"`
	SuggestedScore Score            `json:"suggested_score"`
	FinalScore     *Score           `json:"final_score"`
	Criteria       []CriterionState `json:"criteria"`
	Evidence       []EvidenceRef    `json:"evidence"`
	// Reviewed, Rationale and AdviserJudgement carry the reviewers' word.
	Reviewed         bool   `json:"reviewed"`
	Rationale        string `json:"rationale,omitempty"`
	AdviserJudgement string `json:"adviser_judgement,omitempty"`
	NeedsReReview    bool   `json:"needs_rereview,omitempty"`
}

// CriterionState is a criterion's suggested status.
type CriterionState struct {
	ID              string `json:"id"`
	Text            string `json:"text,omitempty"`
	SuggestedStatus Status `json:"suggested_status"`
}

// EvidenceRef is one evidence item as exported.
type EvidenceRef struct {
	URL        string     `json:"url"`
	Title      string     `json:"title"`
	Heading    string     `json:"heading,omitempty"`
	Snippet    string     `json:"snippet"`
	Criteria   []string   `json:"criteria"`
	Confidence float64    `json:"confidence"`
	Status     ItemStatus `json:"status"`
	Origin     Origin     `json:"origin,omitempty"`
	Signals    []string   `json:"signals,omitempty"`
	Terms      []string   `json:"terms,omitempty"`
	Stale      bool       `json:"stale,omitempty"`
	Note       string     `json:"note,omitempty"`
	// BestPractice marks an example reviewers want to share.
	BestPractice bool   `json:"best_practice,omitempty"`
	CapturedID   string `json:"snapshot_id,omitempty"`
}

// BuildAssessment assembles an authority's assessment from the stored
// suggestions, evidence items and decisions. Every sub-section of the
// rubric appears, in rubric order; one without a suggestion scores No.
// Evidence is ordered accepted first (a reviewer confirmed it), then
// proposed by rank, then rejected last, so the first items are always the
// best evidence there is; stale items follow fresh ones of the same state.
func BuildAssessment(r *config.Rubric, la, name string, crawl CrawlRef, sugs map[string]Suggestion, items []Item, decs map[string]Decision) Assessment {
	a := Assessment{LA: la, Name: name, RubricVersion: r.Version, Crawl: crawl}
	bySub := map[string][]Item{}
	for _, it := range items {
		bySub[it.Subsection] = append(bySub[it.Subsection], it)
	}
	var latest time.Time
	for _, ss := range r.Subsections() {
		out := SubsectionAssessment{ID: ss.ID, Code: ss.Code, Title: ss.Title, SuggestedScore: No, Criteria: []CriterionState{}, Evidence: []EvidenceRef{}}
		sug, ok := sugs[ss.ID]
		statuses := map[string]Status{}
		if ok {
			if sug.Score.Valid() {
				out.SuggestedScore = sug.Score
			}
			for _, c := range sug.Criteria {
				statuses[c.ID] = c.Status
			}
			if sug.AssessedAt.After(latest) {
				latest = sug.AssessedAt
			}
			if sug.RubricVersion != "" {
				a.RubricVersion = sug.RubricVersion
			}
		}
		for _, c := range ss.Criteria {
			st := statuses[c.ID]
			if st == "" {
				st = Absent
			}
			out.Criteria = append(out.Criteria, CriterionState{ID: c.ID, Text: c.Text, SuggestedStatus: st})
		}
		if d, ok := decs[ss.ID]; ok {
			if d.FinalScore.Valid() {
				fs := d.FinalScore
				out.FinalScore = &fs
			}
			out.Reviewed = d.Reviewed
			out.Rationale = d.Rationale
			out.AdviserJudgement = d.AdviserJudgement
			out.NeedsReReview = d.NeedsReReview
		}
		its := bySub[ss.ID]
		SortItems(its)
		for _, it := range its {
			if it.Status == Proposed && it.Stale {
				// A suggestion whose page vanished or no longer says it is
				// kept for the reviewer to see, but it is no longer evidence.
				continue
			}
			out.Evidence = append(out.Evidence, EvidenceRef{
				URL: it.URL, Title: it.Title, Heading: it.Heading, Snippet: it.Snippet,
				Criteria: append([]string{}, it.Criteria...), Confidence: it.Confidence,
				Status: it.Status, Origin: it.Origin, Signals: it.Signals, Terms: it.Terms,
				Stale: it.Stale, Note: it.Note, BestPractice: it.BestPractice, CapturedID: it.SnapshotID,
			})
		}
		a.Subsections = append(a.Subsections, out)
	}
	if !latest.IsZero() {
		a.AssessedAt = &latest
	}
	return a
}

// SortItems orders a sub-section's items for reading: accepted, then
// proposed, then rejected; fresh before stale; then by rank.
func SortItems(its []Item) {
	state := func(s ItemStatus) int {
		switch s {
		case Accepted:
			return 0
		case Proposed:
			return 1
		}
		return 2
	}
	sort.SliceStable(its, func(i, j int) bool {
		a, b := its[i], its[j]
		if state(a.Status) != state(b.Status) {
			return state(a.Status) < state(b.Status)
		}
		if a.Stale != b.Stale {
			return !a.Stale
		}
		if a.Rank != b.Rank {
			return a.Rank < b.Rank
		}
		return a.ID < b.ID
	})
}
