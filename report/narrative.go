package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/evidence"
)

// The report's prose is generated from the numbers, so that it can never
// say something the tables do not.

// Summary returns the executive summary as plain sentences.
func (r *Report) Summary() []string {
	var out []string
	n := len(r.Authorities)
	subs := len(r.Subsections)
	scope := fmt.Sprintf("This report covers %s and the %d sub-sections of the assessment rubric", plural(n, "local authority", "local authorities"), subs)
	if r.Subset {
		scope += fmt.Sprintf(" (a subset of the %d authorities in the region)", r.ListSize)
	}
	out = append(out, scope+".")
	t := r.Totals
	if t.Reviewed() == 0 {
		out = append(out, fmt.Sprintf("None of the %d sub-section scores has been fixed by a reviewer yet, so this report gives no findings; every sub-section is shown as not reviewed.", t.Total()))
		return out
	}
	s := fmt.Sprintf("Reviewers have fixed %d of the %d sub-section scores", t.Reviewed(), t.Total())
	if t.Unreviewed > 0 {
		s += fmt.Sprintf("; the other %d are not yet reviewed and are left out of every count below", t.Unreviewed)
	}
	out = append(out, s+".")
	out = append(out, fmt.Sprintf("Of the fixed scores, %s are Yes (%d), %s Partial (%d) and %s No (%d).",
		pct(t.Yes, t.Reviewed()), t.Yes, pct(t.Partial, t.Reviewed()), t.Partial, pct(t.No, t.Reviewed()), t.No))
	var parts []string
	for _, sec := range r.Sections {
		c := sec.Counts
		if c.Reviewed() == 0 {
			parts = append(parts, fmt.Sprintf("%s has no reviewed scores yet", sec.Section.Title))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %s Yes, %s Partial, %s No", sec.Section.Title, pct(c.Yes, c.Reviewed()), pct(c.Partial, c.Reviewed()), pct(c.No, c.Reviewed())))
	}
	out = append(out, "By section: "+strings.Join(parts, "; ")+".")
	if best, worst := r.strongest(), r.weakest(); best != nil && worst != nil && best != worst {
		out = append(out, fmt.Sprintf("The strongest sub-section across the region is %s, where %d of %d reviewed authorities score Yes; the weakest is %s, where %d of %d score No and %d Partial.",
			subTitle(best.Subsection), best.Counts.Yes, best.Counts.Reviewed(),
			subTitle(worst.Subsection), worst.Counts.No, worst.Counts.Reviewed(), worst.Counts.Partial))
	}
	if hi, lo := r.leaders(); hi != nil && lo != nil && hi != lo {
		out = append(out, fmt.Sprintf("%s has the most Yes scores (%d of %d reviewed); %s has the fewest (%d of %d).",
			hi.Name, hi.Counts.Yes, hi.Counts.Reviewed(), lo.Name, lo.Counts.Yes, lo.Counts.Reviewed()))
	}
	if len(r.Gaps) > 0 {
		g := r.Gaps[0]
		out = append(out, fmt.Sprintf("The commonest gap is %q (%s), with no accepted evidence at %s.",
			g.Criterion.Text, subTitle(g.Subsection), plural(len(g.Authorities), "authority", "authorities")))
	}
	if t.Partial > 0 {
		out = append(out, fmt.Sprintf("The SEN adviser has recorded a judgement on %d of the %d Partial scores.", r.PartialJudged, t.Partial))
	}
	if len(r.Examples) > 0 {
		out = append(out, fmt.Sprintf("Reviewers marked %s as best practice that other authorities could follow.", plural(len(r.Examples), "example", "examples")))
	}
	if r.NeedsReReview > 0 {
		out = append(out, fmt.Sprintf("%s rest on evidence that changed after review and should be looked at again.", plural(r.NeedsReReview, "fixed score", "fixed scores")))
	}
	return out
}

// strongest is the sub-section with the highest mean score among those
// with fixed scores; weakest the lowest.
func (r *Report) strongest() *SubsectionStats {
	return r.extreme(func(a, b float64) bool { return a > b })
}
func (r *Report) weakest() *SubsectionStats {
	return r.extreme(func(a, b float64) bool { return a < b })
}

func (r *Report) extreme(better func(a, b float64) bool) *SubsectionStats {
	var pick *SubsectionStats
	for _, st := range r.Subsections {
		if st.Counts.Reviewed() == 0 {
			continue
		}
		if pick == nil || better(st.Strength(), pick.Strength()) {
			pick = st
		}
	}
	return pick
}

// leaders are the authorities with the most and fewest Yes scores.
func (r *Report) leaders() (hi, lo *Authority) {
	for _, a := range r.Authorities {
		if a.Counts.Reviewed() == 0 {
			continue
		}
		if hi == nil || a.Counts.Yes > hi.Counts.Yes {
			hi = a
		}
		if lo == nil || a.Counts.Yes < lo.Counts.Yes {
			lo = a
		}
	}
	return hi, lo
}

// Trend is the prose and data of one section's trends.
type Trend struct {
	Stats *SectionStats
	// Sentences describe the counts and commonest gaps.
	Sentences []string
	// YesNotes say what the authorities that score Yes publish.
	YesNotes []string
}

// Trends describes each rubric section.
func (r *Report) Trends() []Trend {
	var out []Trend
	for _, sec := range r.Sections {
		t := Trend{Stats: sec}
		c := sec.Counts
		if c.Reviewed() == 0 {
			t.Sentences = append(t.Sentences, fmt.Sprintf("No score in %s has been fixed yet (%d sub-section scores are not reviewed).", sec.Section.Title, c.Unreviewed))
			out = append(out, t)
			continue
		}
		s := fmt.Sprintf("Across its %d sub-sections, %s has %d Yes, %d Partial and %d No among %d fixed scores",
			len(sec.Subsections), sec.Section.Title, c.Yes, c.Partial, c.No, c.Reviewed())
		if c.Unreviewed > 0 {
			s += fmt.Sprintf(" (%d not reviewed)", c.Unreviewed)
		}
		t.Sentences = append(t.Sentences, s+".")
		var gs []string
		for _, g := range r.Gaps {
			if strings.HasPrefix(g.Subsection.ID, sec.Section.ID+".") && len(gs) < 3 {
				gs = append(gs, fmt.Sprintf("%s (%s)", g.Criterion.Text, plural(len(g.Authorities), "authority", "authorities")))
			}
		}
		if len(gs) > 0 {
			t.Sentences = append(t.Sentences, "The commonest gaps: "+strings.Join(gs, "; ")+".")
		}
		for _, st := range sec.Subsections {
			var yes []*Authority
			titles := map[string]bool{}
			var examples []string
			for _, a := range r.Authorities {
				cell := a.Cell(st.Subsection.ID)
				if cell == nil || !cell.Counted() || cell.Score != evidence.Yes {
					continue
				}
				yes = append(yes, a)
				for _, it := range cell.Accepted {
					title := strings.TrimSpace(it.Title)
					if title == "" || titles[title] || len(examples) >= 3 {
						continue
					}
					titles[title] = true
					examples = append(examples, fmt.Sprintf("%q (%s)", title, a.Name))
				}
			}
			if len(yes) == 0 {
				continue
			}
			names := make([]string, len(yes))
			for i, a := range yes {
				names[i] = a.Name
			}
			note := fmt.Sprintf("%s: %s score%s Yes", st.Subsection.Title, joinAnd(names), singularS(len(yes)))
			if len(examples) > 0 {
				note += "; their accepted evidence includes " + joinAnd(examples)
			}
			t.YesNotes = append(t.YesNotes, note+".")
		}
		out = append(out, t)
	}
	return out
}

// Weakness is a sub-section where authorities fall short.
type Weakness struct {
	Stats   *SubsectionStats
	No      []*Authority
	Partial []*Authority
}

// Weaknesses lists sub-sections with No or Partial scores, worst first.
func (r *Report) Weaknesses() []Weakness {
	var out []Weakness
	for _, st := range r.Subsections {
		w := Weakness{Stats: st}
		for _, a := range r.Authorities {
			cell := a.Cell(st.Subsection.ID)
			if cell == nil || !cell.Counted() {
				continue
			}
			switch cell.Score {
			case evidence.No:
				w.No = append(w.No, a)
			case evidence.Partial:
				w.Partial = append(w.Partial, a)
			}
		}
		if len(w.No)+len(w.Partial) > 0 {
			out = append(out, w)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Stats.Strength() < out[j].Stats.Strength() })
	return out
}

// Recommendation is what the report recommends for one sub-section where
// some authorities fall short.
type Recommendation struct {
	Subsection config.Subsection
	// Text is the rubric's recommendation for the sub-section.
	Text string
	// Missing are the criteria with no accepted evidence at some affected
	// authority.
	Missing []config.Criterion
	// Affected are the cells below Yes, with the reviewers' notes.
	Affected []*AffectedCell
	// Examples are best-practice items on this sub-section.
	Examples []*Example
}

// AffectedCell is an authority's shortfall on a sub-section.
type AffectedCell struct {
	Authority *Authority
	Cell      *Cell
	// Notes are the reviewer's rationale, the adviser's judgement and notes
	// on accepted evidence, attributed.
	Notes []string
}

// Recommendations lists, per sub-section with fixed scores below Yes, the
// rubric's recommendation and the reviewers' notes.
func (r *Report) Recommendations() []Recommendation {
	var out []Recommendation
	for _, st := range r.Subsections {
		rec := Recommendation{Subsection: st.Subsection, Text: strings.TrimSpace(st.Subsection.Recommendation)}
		missing := map[string]bool{}
		for _, a := range r.Authorities {
			cell := a.Cell(st.Subsection.ID)
			if cell == nil || !cell.Counted() || cell.Score == evidence.Yes {
				continue
			}
			ac := &AffectedCell{Authority: a, Cell: cell}
			d := cell.Decision
			if s := strings.TrimSpace(d.Rationale); s != "" {
				ac.Notes = append(ac.Notes, "Reviewer"+by(d.ReviewedBy)+": "+s)
			}
			if s := strings.TrimSpace(d.AdviserJudgement); s != "" {
				ac.Notes = append(ac.Notes, "SEN adviser"+by(d.AdviserBy)+": "+s)
			}
			for _, it := range cell.Accepted {
				if s := strings.TrimSpace(it.Note); s != "" {
					ac.Notes = append(ac.Notes, "Note on “"+it.Title+"”"+by(it.UpdatedBy)+": "+s)
				}
			}
			for _, g := range cell.Gaps {
				missing[g.ID] = true
			}
			rec.Affected = append(rec.Affected, ac)
		}
		if len(rec.Affected) == 0 {
			continue
		}
		for _, c := range st.Subsection.Criteria {
			if missing[c.ID] {
				rec.Missing = append(rec.Missing, c)
			}
		}
		if rec.Text == "" {
			rec.Text = fallbackRecommendation(st.Subsection, rec.Missing)
		}
		for _, ex := range r.Examples {
			if ex.Subsection.ID == st.Subsection.ID {
				rec.Examples = append(rec.Examples, ex)
			}
		}
		out = append(out, rec)
	}
	return out
}

// fallbackRecommendation derives a recommendation from the rubric's own
// criteria when the rubric file gives none for the sub-section.
func fallbackRecommendation(sub config.Subsection, missing []config.Criterion) string {
	cs := missing
	if len(cs) == 0 {
		cs = sub.Criteria
	}
	texts := make([]string, len(cs))
	for i, c := range cs {
		texts[i] = c.Text
	}
	return "Set out clearly on the Local Offer: " + strings.Join(texts, "; ") + "."
}

// AuthorityActions is one row of the summary of recommendations.
type AuthorityActions struct {
	Authority *Authority
	// No and Partial are the sub-sections to act on, in rubric order.
	No, Partial []config.Subsection
}

// Actions summarises, per authority, the sub-sections to improve.
func (r *Report) Actions() []AuthorityActions {
	var out []AuthorityActions
	for _, a := range r.Authorities {
		aa := AuthorityActions{Authority: a}
		for _, cell := range a.Cells {
			if !cell.Counted() {
				continue
			}
			switch cell.Score {
			case evidence.No:
				aa.No = append(aa.No, cell.Subsection)
			case evidence.Partial:
				aa.Partial = append(aa.Partial, cell.Subsection)
			}
		}
		out = append(out, aa)
	}
	return out
}

// FutureWork lists further work the numbers call for, beside the notes.
func (r *Report) FutureWork() []string {
	var out []string
	if r.Totals.Unreviewed > 0 {
		out = append(out, fmt.Sprintf("Finish the review: %d sub-section scores are not yet fixed by a reviewer and are not counted in this report.", r.Totals.Unreviewed))
	}
	if n := r.Totals.Partial - r.PartialJudged; n > 0 {
		out = append(out, fmt.Sprintf("Ask the SEN adviser for a judgement on the %s still without one.", plural(n, "Partial score", "Partial scores")))
	}
	if r.NeedsReReview > 0 {
		out = append(out, fmt.Sprintf("Look again at %d fixed scores whose evidence changed on the authority's site after review.", r.NeedsReReview))
	}
	if r.Subset {
		out = append(out, fmt.Sprintf("Extend the assessment from these %d authorities to all %d in the region, with the rubric as amended after this pilot.", len(r.Authorities), r.ListSize))
	}
	if len(r.RubricVersions) > 1 {
		out = append(out, "Scores were fixed under more than one rubric version ("+strings.Join(r.RubricVersions, ", ")+"); re-confirm the older ones under the current rubric.")
	}
	return out
}

func subTitle(s config.Subsection) string {
	if s.Code != "" {
		return s.Title + " (" + s.Code + ")"
	}
	return s.Title
}

func by(user string) string {
	if user == "" {
		return ""
	}
	return " (" + user + ")"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func singularS(n int) string {
	if n == 1 {
		return "s"
	}
	return ""
}

// joinAnd joins "a", "b" and "c" as "a, b and c".
func joinAnd(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}
