package review

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/evidence"
	"github.com/localoffer/localoffer/store"
)

// doubleSample puts a random sample of reviewed sub-sections into double
// review, each to be scored blind by a second reviewer.
func (s *Server) doubleSample(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("count")))
	if err != nil || n < 1 || n > 1000 {
		return s.agreementWithErrors(w, r, c, []fieldError{{"count", "Enter how many sub-sections to sample, a whole number from 1 to 1000"}})
	}
	second := r.PostFormValue("reviewer")
	if second != "" {
		u, err := s.db.User(second)
		if err != nil || !u.Role.CanReview() || u.Disabled {
			return s.agreementWithErrors(w, r, c, []fieldError{{"reviewer", "Choose a reviewer from the list"}})
		}
	}
	section := r.PostFormValue("section")
	reviews, err := s.db.DoubleReviews()
	if err != nil {
		return err
	}
	active := map[string]bool{}
	for _, d := range reviews {
		if d.State == store.DoublePending || d.State == store.DoubleDisagreed {
			active[d.Authority+"/"+d.Subsection] = true
		}
	}
	var cands []store.DoubleReview
	for _, a := range s.authorityList() {
		decs, err := s.db.Decisions(a.Slug)
		if err != nil {
			return err
		}
		sugs, err := s.db.Suggestions(a.Slug)
		if err != nil {
			return err
		}
		for _, id := range s.order {
			if section != "" && !strings.HasPrefix(id, section+".") {
				continue
			}
			d := decs[id]
			first := d.ReviewedBy
			if first == "" {
				first = d.UpdatedBy
			}
			if !d.Reviewed || !d.FinalScore.Valid() || active[a.Slug+"/"+id] || first == "" || first == second {
				continue
			}
			cands = append(cands, store.DoubleReview{Authority: a.Slug, Subsection: id, FirstReviewer: first, FirstScore: d.FinalScore, SuggestedScore: sugs[id].Score, SecondReviewer: second})
		}
	}
	if len(cands) == 0 {
		return s.agreementWithErrors(w, r, c, []fieldError{{"count", "No reviewed sub-section is free to sample: review some first, or wait for open double reviews to finish"}})
	}
	rand.Shuffle(len(cands), func(i, j int) { cands[i], cands[j] = cands[j], cands[i] })
	if n > len(cands) {
		n = len(cands)
	}
	for _, d := range cands[:n] {
		if _, err := s.db.AssignDoubleReview(c.user.Name, d); err != nil {
			return err
		}
	}
	http.Redirect(w, r, "/agreement?sampled="+strconv.Itoa(n), http.StatusSeeOther)
	return nil
}

type blindPage struct {
	basePage
	Authority config.Authority
	Sub       *config.Subsection
	Review    store.DoubleReview
	Items     []itemView
	Score     evidence.Score
	Rationale string
	FieldErr  map[string]string
}

// blindForm lets the second reviewer score a sub-section without seeing
// the suggested score, the evidence statuses or the first decision.
func (s *Server) blindForm(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	p, err := s.blindPage(c, r.PathValue("slug"), r.PathValue("sub"))
	if err != nil {
		return err
	}
	return s.render(w, r, c, http.StatusOK, "blind", p)
}

func (s *Server) blindPage(c *reqCtx, slug, subID string) (*blindPage, error) {
	a, err := s.knownAuthority(slug)
	if err != nil {
		return nil, err
	}
	ss, err := s.subsection(subID)
	if err != nil {
		return nil, err
	}
	d, err := s.db.DoubleReviewOf(slug, subID)
	if err != nil {
		return nil, err
	}
	if !d.BlindFor(c.user.Name) {
		if d.State != store.DoublePending {
			return nil, errorf(http.StatusConflict, "The second score of this sub-section has already been given.")
		}
		return nil, errorf(http.StatusForbidden, "This double review is not yours to score: it needs a reviewer other than the first.")
	}
	items, err := s.db.Items(slug, subID)
	if err != nil {
		return nil, err
	}
	p := &blindPage{Authority: a, Sub: ss, Review: d, FieldErr: map[string]string{}}
	p.Title = "Blind review: " + a.Name + ", " + ss.Title
	p.Nav = "agreement"
	for _, it := range items {
		if it.Origin == evidence.Manual {
			// Evidence a reviewer added is part of their decision.
			continue
		}
		p.Items = append(p.Items, itemView{Item: evidence.Item{ID: it.ID, URL: it.URL, Title: it.Title, Heading: it.Heading, SnapshotID: it.SnapshotID, Authority: it.Authority}, Anchor: anchor("item-", it.ID), Segments: []segment{{Text: it.Snippet}}})
	}
	return p, nil
}

// blindSave records the blind second score.
func (s *Server) blindSave(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	slug, subID := r.PathValue("slug"), r.PathValue("sub")
	p, err := s.blindPage(c, slug, subID)
	if err != nil {
		return err
	}
	p.Rationale = strings.TrimSpace(r.PostFormValue("rationale"))
	score, serr := evidence.ParseScore(r.PostFormValue("score"))
	p.Score = score
	if serr != nil {
		p.FieldErr["score"] = "Choose Yes, Partial or No"
		p.Errors = append(p.Errors, fieldError{"blind-score-yes", p.FieldErr["score"]})
	}
	if p.Rationale == "" || utf8.RuneCountInString(p.Rationale) > maxText {
		p.FieldErr["rationale"] = "Explain the score in a sentence or two (at most 8,000 characters)"
		p.Errors = append(p.Errors, fieldError{"blind-rationale", p.FieldErr["rationale"]})
	}
	if len(p.Errors) > 0 {
		return s.render(w, r, c, http.StatusBadRequest, "blind", p)
	}
	if _, err := s.db.SaveBlindScore(c.user.Name, slug, subID, score, p.Rationale); err != nil {
		return err
	}
	http.Redirect(w, r, "/?done=blind", http.StatusSeeOther)
	return nil
}

// adjudicate settles a disagreement and fixes the final score.
func (s *Server) adjudicate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	slug, subID := r.PathValue("slug"), r.PathValue("sub")
	if _, err := s.subsection(subID); err != nil {
		return err
	}
	score, serr := evidence.ParseScore(r.PostFormValue("score"))
	note := strings.TrimSpace(r.PostFormValue("note"))
	var errs []fieldError
	id := anchor("adj-", slug+"-"+subID)
	if serr != nil {
		errs = append(errs, fieldError{id + "-yes", "Choose the final score: Yes, Partial or No"})
	}
	if note == "" || utf8.RuneCountInString(note) > maxText {
		errs = append(errs, fieldError{id + "-note", "Say why, in a sentence or two (at most 8,000 characters)"})
	}
	if len(errs) > 0 {
		return s.agreementWithErrors(w, r, c, errs)
	}
	if _, _, err := s.db.Adjudicate(c.user.Name, slug, subID, score, note, s.cfg.Rubric.Version); err != nil {
		return err
	}
	http.Redirect(w, r, "/agreement?done=adjudicate", http.StatusSeeOther)
	return nil
}

type statRow struct {
	Key, Label string
	Agreement
	// Acceptance of suggested evidence (reviewers only).
	Accepted, Rejected int
	AcceptRate         float64
	HasAccept          bool
	// Followed counts reviewed sub-sections whose final score equals the
	// suggestion, of Scored with a suggestion.
	Followed, Scored int
	FollowRate       float64
}

type agreementPage struct {
	basePage
	Overall    statRow
	BySub      []statRow
	ByReviewer []statRow
	Reviews    []store.DoubleReview
	Reviewers  []evidence.User
	Sections   []config.Section
	SubTitles  map[string]string
	Names      map[string]string
}

// agreement shows inter-reviewer agreement and each reviewer's acceptance
// of suggestions, with the double-review queue.
func (s *Server) agreement(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	p, err := s.agreementPage(c)
	if err != nil {
		return err
	}
	if n, err := strconv.Atoi(r.URL.Query().Get("sampled")); err == nil {
		p.Notice = fmt.Sprintf("%d sub-sections put into double review.", n)
	} else {
		p.Notice = notices[r.URL.Query().Get("done")]
	}
	return s.render(w, r, c, http.StatusOK, "agreement", p)
}

func (s *Server) agreementWithErrors(w http.ResponseWriter, r *http.Request, c *reqCtx, errs []fieldError) error {
	p, err := s.agreementPage(c)
	if err != nil {
		return err
	}
	p.Errors = errs
	return s.render(w, r, c, http.StatusBadRequest, "agreement", p)
}

func (s *Server) agreementPage(c *reqCtx) (*agreementPage, error) {
	p := &agreementPage{SubTitles: map[string]string{}, Names: map[string]string{}, Sections: s.cfg.Rubric.Sections}
	p.Title = "Agreement and double review"
	p.Nav = "agreement"
	reviews, err := s.db.DoubleReviews()
	if err != nil {
		return nil, err
	}
	var all [][2]evidence.Score
	bySub := map[string][][2]evidence.Score{}
	byRev := map[string][][2]evidence.Score{}
	for _, d := range reviews {
		if d.BlindFor(c.user.Name) && c.user.Role.CanReview() {
			// Do not show a blind reviewer who scored first.
			d.FirstReviewer, d.FirstScore, d.SuggestedScore = "", "", ""
		}
		p.Reviews = append(p.Reviews, d)
		if d.State == store.DoublePending || !d.SecondScore.Valid() {
			continue
		}
		pair := [2]evidence.Score{d.FirstScore, d.SecondScore}
		all = append(all, pair)
		bySub[d.Subsection] = append(bySub[d.Subsection], pair)
		byRev[d.FirstReviewer] = append(byRev[d.FirstReviewer], pair)
		byRev[d.SecondBy] = append(byRev[d.SecondBy], [2]evidence.Score{d.SecondScore, d.FirstScore})
	}
	p.Overall = statRow{Label: "All sub-sections", Agreement: agreement(all)}
	for _, sec := range s.cfg.Rubric.Sections {
		for _, ss := range sec.Subsections {
			p.SubTitles[ss.ID] = ss.Title
			p.BySub = append(p.BySub, statRow{Key: ss.ID, Label: ss.Title, Agreement: agreement(bySub[ss.ID])})
		}
	}
	for _, a := range s.authorityList() {
		p.Names[a.Slug] = a.Name
	}
	users, err := s.db.Users()
	if err != nil {
		return nil, err
	}
	acc, rej := s.acceptance()
	follow, scored, err := s.following()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, u := range users {
		if u.Role.CanReview() && !u.Disabled {
			p.Reviewers = append(p.Reviewers, u)
		}
		if !u.Role.CanReview() && len(byRev[u.Name]) == 0 && acc[u.Name]+rej[u.Name] == 0 {
			continue
		}
		seen[u.Name] = true
		p.ByReviewer = append(p.ByReviewer, s.reviewerRow(u.Name, byRev[u.Name], acc[u.Name], rej[u.Name], follow[u.Name], scored[u.Name]))
	}
	for name := range byRev {
		if !seen[name] && name != "" {
			p.ByReviewer = append(p.ByReviewer, s.reviewerRow(name, byRev[name], acc[name], rej[name], follow[name], scored[name]))
		}
	}
	sort.Slice(p.ByReviewer, func(i, j int) bool { return p.ByReviewer[i].Key < p.ByReviewer[j].Key })
	return p, nil
}

func (s *Server) reviewerRow(name string, pairs [][2]evidence.Score, acc, rej, follow, scored int) statRow {
	row := statRow{Key: name, Label: name, Agreement: agreement(pairs), Accepted: acc, Rejected: rej, Followed: follow, Scored: scored}
	if acc+rej > 0 {
		row.HasAccept, row.AcceptRate = true, float64(acc)/float64(acc+rej)
	}
	if scored > 0 {
		row.FollowRate = float64(follow) / float64(scored)
	}
	return row
}

// acceptance counts, per reviewer, the suggested items whose latest
// decision by that reviewer was accept or reject (an undo cancels).
func (s *Server) acceptance() (acc, rej map[string]int) {
	acc, rej = map[string]int{}, map[string]int{}
	entries, err := s.db.AuditLog("", "", 0)
	if err != nil {
		s.log.Warn("read audit log", "err", err)
		return
	}
	seen := map[string]bool{}
	for _, e := range entries {
		switch e.Action {
		case "accept evidence", "reject evidence", "undo evidence decision":
		default:
			continue
		}
		k := e.User + "\x00" + e.Authority + "\x00" + e.Target
		if seen[k] {
			continue
		}
		seen[k] = true
		switch e.Action {
		case "accept evidence":
			acc[e.User]++
		case "reject evidence":
			rej[e.User]++
		}
	}
	return acc, rej
}

// following counts, per reviewer, reviewed sub-sections whose final score
// is the tool's suggestion: a rate near 100% on a sample where the tool is
// known to err is a sign of automation bias.
func (s *Server) following() (follow, scored map[string]int, err error) {
	follow, scored = map[string]int{}, map[string]int{}
	for _, a := range s.authorityList() {
		decs, err := s.db.Decisions(a.Slug)
		if err != nil {
			return nil, nil, err
		}
		sugs, err := s.db.Suggestions(a.Slug)
		if err != nil {
			return nil, nil, err
		}
		for id, d := range decs {
			sg, ok := sugs[id]
			if !d.Reviewed || !ok || !sg.Score.Valid() || d.ReviewedBy == "" {
				continue
			}
			scored[d.ReviewedBy]++
			if d.FinalScore == sg.Score {
				follow[d.ReviewedBy]++
			}
		}
	}
	return follow, scored, nil
}
