// Package report writes what the consultancy hands over at the end of a
// review: the regional report (one self-contained HTML file that prints on
// A4, a PDF of it where Chromium is installed, and the score matrix as CSV
// and XLSX) and, for each authority, an evidence bundle that anyone can open
// and check years later (a scorecard, the assessment file, the evidence as
// CSV and the cited pages as a web archive).
//
// Only scores that reviewers fixed count as results. A sub-section without a
// reviewed decision is shown as not reviewed and left out of every count and
// percentage, never silently turned into a score.
package report

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/evidence"
	"github.com/localoffer/localoffer/store"
)

// Counts tallies fixed scores, and the sub-sections still waiting for a
// reviewer.
type Counts struct {
	Yes, Partial, No, Unreviewed int
}

// Reviewed is the number of fixed scores.
func (c Counts) Reviewed() int { return c.Yes + c.Partial + c.No }

// Total is every cell counted, reviewed or not.
func (c Counts) Total() int { return c.Reviewed() + c.Unreviewed }

func (c *Counts) add(cell *Cell) {
	if !cell.Counted() {
		c.Unreviewed++
		return
	}
	switch cell.Score {
	case evidence.Yes:
		c.Yes++
	case evidence.Partial:
		c.Partial++
	default:
		c.No++
	}
}

func (c *Counts) plus(o Counts) {
	c.Yes += o.Yes
	c.Partial += o.Partial
	c.No += o.No
	c.Unreviewed += o.Unreviewed
}

// Of returns the count of score s.
func (c Counts) Of(s evidence.Score) int {
	switch s {
	case evidence.Yes:
		return c.Yes
	case evidence.Partial:
		return c.Partial
	case evidence.No:
		return c.No
	}
	return c.Unreviewed
}

// Cell is one authority's result on one sub-section.
type Cell struct {
	Subsection config.Subsection
	Section    config.Section
	Decision   evidence.Decision
	// Score is the reviewer-fixed score; empty when not reviewed.
	Score evidence.Score
	// Suggested is the tool's suggestion, shown for context only.
	Suggested evidence.Score
	// Accepted are the accepted evidence items, best first.
	Accepted []evidence.Item
	// Gaps are the criteria no accepted item speaks to.
	Gaps []config.Criterion
}

// Counted reports whether the cell's score is a result: a reviewer fixed it.
func (c *Cell) Counted() bool { return counted(c.Decision) }

func counted(d evidence.Decision) bool { return d.Reviewed && d.FinalScore.Valid() }

// Label is what the cell reads as: the score, or "Not reviewed".
func (c *Cell) Label() string {
	if !c.Counted() {
		return "Not reviewed"
	}
	return string(c.Score)
}

// Authority is one local authority's row of the report.
type Authority struct {
	Slug, Name string
	Cells      []*Cell
	Counts     Counts
	// Crawl is the newest finished crawl, nil when there is none.
	Crawl *store.Crawl
	// Items are every evidence item of the authority.
	Items []evidence.Item
}

// Cell returns the authority's cell for sub-section id, or nil.
func (a *Authority) Cell(id string) *Cell {
	for _, c := range a.Cells {
		if c.Subsection.ID == id {
			return c
		}
	}
	return nil
}

// SubsectionStats are one sub-section's results across the authorities.
type SubsectionStats struct {
	Subsection config.Subsection
	Section    config.Section
	Counts     Counts
}

// YesShare is the share of Yes among fixed scores (0 when none).
func (s *SubsectionStats) YesShare() float64 { return share(s.Counts.Yes, s.Counts.Reviewed()) }

// Strength orders sub-sections: the mean score, No=0, Partial=1, Yes=2,
// over fixed scores.
func (s *SubsectionStats) Strength() float64 {
	n := s.Counts.Reviewed()
	if n == 0 {
		return 0
	}
	return float64(2*s.Counts.Yes+s.Counts.Partial) / float64(n)
}

// SectionStats are one rubric section's results across the authorities.
type SectionStats struct {
	Section     config.Section
	Counts      Counts
	Subsections []*SubsectionStats
}

// Example is an evidence item reviewers marked as best practice.
type Example struct {
	Authority  *Authority
	Subsection config.Subsection
	Item       evidence.Item
	// CapturedAt is when the quoted page was captured (zero if unknown).
	CapturedAt time.Time
	// SnapshotHref links to the captured copy ("" when there is none).
	SnapshotHref string
}

// GapCount is a criterion and the authorities whose fixed score falls
// short of Yes with no accepted evidence for it.
type GapCount struct {
	Criterion   config.Criterion
	Subsection  config.Subsection
	Authorities []*Authority
}

// Report is everything the regional report shows, computed from the store.
type Report struct {
	Title     string
	Generated time.Time
	Rubric    *config.Rubric
	// RubricVersions are the versions the counted scores were fixed under.
	RubricVersions []string
	Authorities    []*Authority
	// ListSize is how many authorities the configuration lists; Subset is
	// set when the report covers fewer (a pilot).
	ListSize int
	Subset   bool
	Sections []*SectionStats
	// Subsections in rubric order.
	Subsections []*SubsectionStats
	Totals      Counts
	Examples    []*Example
	Gaps        []*GapCount
	Reviewers   []string
	Advisers    []string
	// NeedsReReview counts counted decisions whose evidence went stale.
	NeedsReReview int
	// PartialJudged counts fixed Partial scores that carry the SEN
	// adviser's judgement, as the brief asks of every Partial.
	PartialJudged int
	// Notes is the future-work text (Markdown or plain text).
	Notes string
	// SnapshotNote says where snapshot links lead.
	SnapshotNote string
}

// Options choose what the report covers and how it links to evidence.
type Options struct {
	Title string
	// Authorities to cover, in the order given.
	Authorities []config.Authority
	// ListSize is the number of authorities in the whole list.
	ListSize int
	Notes    string
	// SnapshotURL, when set, links best-practice quotes to the review
	// server's snapshot viewer: "{id}" is replaced by the snapshot id.
	// Otherwise quotes link to copies saved beside the report.
	SnapshotURL string
	Now         func() time.Time
}

// DefaultTitle is the report's title unless Options.Title says otherwise.
const DefaultTitle = "Local Offer review: SEND support across the region"

// Build reads decisions, suggestions, items and crawls of the chosen
// authorities from db and computes the report.
func Build(db *store.DB, rub *config.Rubric, o Options) (*Report, error) {
	if len(o.Authorities) == 0 {
		return nil, fmt.Errorf("report: %w: no authorities chosen", evidence.ErrInvalid)
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	r := &Report{
		Title:     o.Title,
		Generated: now().UTC(),
		Rubric:    rub,
		ListSize:  o.ListSize,
		Notes:     o.Notes,
	}
	if r.Title == "" {
		r.Title = DefaultTitle
	}
	if r.ListSize < len(o.Authorities) {
		r.ListSize = len(o.Authorities)
	}
	r.Subset = len(o.Authorities) < r.ListSize
	for _, sec := range rub.Sections {
		ss := &SectionStats{Section: sec}
		for _, sub := range sec.Subsections {
			st := &SubsectionStats{Subsection: sub, Section: sec}
			ss.Subsections = append(ss.Subsections, st)
			r.Subsections = append(r.Subsections, st)
		}
		r.Sections = append(r.Sections, ss)
	}
	versions := map[string]bool{}
	reviewers := map[string]bool{}
	advisers := map[string]bool{}
	for _, ca := range o.Authorities {
		a, err := loadAuthority(db, rub, ca)
		if err != nil {
			return nil, err
		}
		r.Authorities = append(r.Authorities, a)
		i := 0
		for _, sec := range r.Sections {
			for _, st := range sec.Subsections {
				cell := a.Cells[i]
				i++
				st.Counts.add(cell)
				sec.Counts.add(cell)
				r.Totals.add(cell)
				if !cell.Counted() {
					continue
				}
				d := cell.Decision
				if d.RubricVersion != "" {
					versions[d.RubricVersion] = true
				} else {
					versions["(not recorded)"] = true
				}
				if d.ReviewedBy != "" {
					reviewers[d.ReviewedBy] = true
				}
				if d.AdviserBy != "" {
					advisers[d.AdviserBy] = true
				}
				if d.NeedsReReview {
					r.NeedsReReview++
				}
				if cell.Score == evidence.Partial && strings.TrimSpace(d.AdviserJudgement) != "" {
					r.PartialJudged++
				}
			}
		}
	}
	r.RubricVersions = sortedKeys(versions)
	r.Reviewers = sortedKeys(reviewers)
	r.Advisers = sortedKeys(advisers)
	r.Gaps = gaps(r)
	if err := r.collectExamples(db, o.SnapshotURL); err != nil {
		return nil, err
	}
	return r, nil
}

func loadAuthority(db *store.DB, rub *config.Rubric, ca config.Authority) (*Authority, error) {
	a := &Authority{Slug: ca.Slug, Name: ca.Name}
	if a.Name == "" {
		a.Name = ca.Slug
	}
	decs, err := db.Decisions(ca.Slug)
	if err != nil {
		return nil, fmt.Errorf("report: decisions of %s: %w", ca.Slug, err)
	}
	sugs, err := db.Suggestions(ca.Slug)
	if err != nil {
		return nil, fmt.Errorf("report: suggestions of %s: %w", ca.Slug, err)
	}
	a.Items, err = db.Items(ca.Slug, "")
	if err != nil {
		return nil, fmt.Errorf("report: evidence of %s: %w", ca.Slug, err)
	}
	if c, err := db.LatestCrawl(ca.Slug); err == nil {
		a.Crawl = c
	} else if !store.IsNotFound(err) {
		return nil, fmt.Errorf("report: crawls of %s: %w", ca.Slug, err)
	}
	for _, sec := range rub.Sections {
		for _, sub := range sec.Subsections {
			cell := &Cell{Subsection: sub, Section: sec, Decision: decs[sub.ID], Suggested: sugs[sub.ID].Score}
			if cell.Decision.Subsection == "" {
				cell.Decision.Authority, cell.Decision.Subsection = ca.Slug, sub.ID
			}
			if cell.Counted() {
				cell.Score = cell.Decision.FinalScore
			}
			covered := map[string]bool{}
			for _, it := range a.Items {
				if it.Subsection == sub.ID && it.Status == evidence.Accepted {
					cell.Accepted = append(cell.Accepted, it)
					for _, c := range it.Criteria {
						covered[c] = true
					}
				}
			}
			for _, c := range sub.Criteria {
				if !covered[c.ID] {
					cell.Gaps = append(cell.Gaps, c)
				}
			}
			a.Counts.add(cell)
			a.Cells = append(a.Cells, cell)
		}
	}
	return a, nil
}

// gaps lists, for every criterion, the authorities whose fixed score on its
// sub-section is below Yes and that have no accepted evidence for it;
// commonest first.
func gaps(r *Report) []*GapCount {
	var out []*GapCount
	for _, st := range r.Subsections {
		for _, c := range st.Subsection.Criteria {
			g := &GapCount{Criterion: c, Subsection: st.Subsection}
			for _, a := range r.Authorities {
				cell := a.Cell(st.Subsection.ID)
				if cell == nil || !cell.Counted() || cell.Score == evidence.Yes {
					continue
				}
				for _, gc := range cell.Gaps {
					if gc.ID == c.ID {
						g.Authorities = append(g.Authorities, a)
					}
				}
			}
			if len(g.Authorities) > 0 {
				out = append(out, g)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i].Authorities) > len(out[j].Authorities) })
	return out
}

func (r *Report) collectExamples(db *store.DB, snapshotURL string) error {
	for _, a := range r.Authorities {
		for _, it := range a.Items {
			if !it.BestPractice || it.Status == evidence.Rejected {
				continue
			}
			sub, ok := r.Rubric.Subsection(it.Subsection)
			if !ok {
				sub = config.Subsection{ID: it.Subsection, Title: it.Subsection}
			}
			ex := &Example{Authority: a, Subsection: sub, Item: it}
			if snap, err := itemSnapshot(db, it); err == nil {
				ex.CapturedAt = snap.CapturedAt
				if snapshotURL != "" {
					ex.SnapshotHref = strings.ReplaceAll(snapshotURL, "{id}", snap.ID)
				} else {
					ex.SnapshotHref = SnapshotPath(a.Slug, snap)
				}
			} else if !store.IsNotFound(err) {
				return fmt.Errorf("report: snapshot of %s: %w", it.URL, err)
			}
			r.Examples = append(r.Examples, ex)
		}
	}
	// Rubric order, then authority order as given.
	order := map[string]int{}
	for i, st := range r.Subsections {
		order[st.Subsection.ID] = i
	}
	sort.SliceStable(r.Examples, func(i, j int) bool {
		return order[r.Examples[i].Subsection.ID] < order[r.Examples[j].Subsection.ID]
	})
	if snapshotURL != "" {
		r.SnapshotNote = "Links marked “captured copy” open the page as localoffer captured it, in the review server’s snapshot viewer."
	} else {
		r.SnapshotNote = "Links marked “captured copy” open the page as localoffer captured it, from the evidence folder saved beside this report (the same captures are in each authority’s evidence bundle)."
	}
	return nil
}

// itemSnapshot finds the capture an item was read from: its own snapshot
// id, or else the newest capture of its URL.
func itemSnapshot(db *store.DB, it evidence.Item) (*store.Snapshot, error) {
	if it.SnapshotID != "" {
		s, err := db.Snapshot(it.SnapshotID)
		if err == nil || !store.IsNotFound(err) {
			return s, err
		}
	}
	if it.URL == "" {
		return nil, evidence.ErrNotFound
	}
	return db.LatestSnapshot(it.Authority, it.URL)
}

// SnapshotPath is where the report saves a captured copy, relative to the
// report's folder. Slug and id are sanitised, so the path always stays
// inside the folder whatever the store holds.
func SnapshotPath(slug string, s *store.Snapshot) string {
	return "evidence/" + SafeName(slug) + "/" + SafeName(s.ID) + snapshotExt(s)
}

func snapshotExt(s *store.Snapshot) string {
	switch {
	case s.Kind == "pdf" || strings.Contains(s.ContentType, "pdf"):
		return ".pdf"
	case s.Kind == "html" || strings.Contains(s.ContentType, "html"):
		return ".html"
	case strings.HasPrefix(s.ContentType, "text/"):
		return ".txt"
	}
	return ".bin"
}

// SafeName reduces s to lower-case letters, digits, dots, dashes and
// underscores, so that it can be one path element: never empty, never "."
// or "..", never holding a separator.
func SafeName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == '.':
			b.WriteRune(r)
		default:
			b.WriteRune('-')
		}
	}
	out := strings.Trim(b.String(), ".-")
	for strings.Contains(out, "..") {
		out = strings.ReplaceAll(out, "..", ".")
	}
	if out == "" {
		out = "unnamed"
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func share(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// pct formats n/d as a whole percentage.
func pct(n, d int) string {
	if d == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f%%", 100*float64(n)/float64(d))
}
