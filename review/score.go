package review

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/localoffer/localoffer/evidence"
)

const maxText = 8000

// formVersion reads the decision version the user's form was built from.
func formVersion(r *http.Request) (int, error) {
	v, err := strconv.Atoi(r.PostFormValue("version"))
	if err != nil || v < 0 {
		return 0, errorf(http.StatusBadRequest, "The form is missing its version. Reload the page and try again.")
	}
	return v, nil
}

// decisionRequest reads the authority, sub-section and form version of a
// request that saves a sub-section's decision, refusing unknown ones and a
// blind second reviewer of that sub-section.
func (s *Server) decisionRequest(r *http.Request, c *reqCtx) (slug, subID string, version int, err error) {
	slug, subID = r.PathValue("slug"), r.PathValue("sub")
	if _, err = s.knownAuthority(slug); err != nil {
		return
	}
	if _, err = s.subsection(subID); err != nil {
		return
	}
	if err = s.notBlind(c, slug, subID); err != nil {
		return
	}
	version, err = formVersion(r)
	return
}

// scoreSave sets a sub-section's final score with its rationale, and marks
// it reviewed when the reviewer ticks the box.
func (s *Server) scoreSave(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	slug, subID, version, err := s.decisionRequest(r, c)
	if err != nil {
		return err
	}
	f := &subForm{Open: "score", Rationale: strings.TrimSpace(r.PostFormValue("rationale")), Version: version, Errors: map[string]string{}}
	var errs []fieldError
	score, serr := evidence.ParseScore(r.PostFormValue("score"))
	f.Score = score
	if serr != nil {
		f.Errors["score"] = "Choose Yes, Partial or No"
		errs = append(errs, fieldError{anchor("score-", subID) + "-yes", "Choose Yes, Partial or No"})
	}
	switch {
	case f.Rationale == "":
		f.Errors["rationale"] = "Explain the score in a sentence or two"
		errs = append(errs, fieldError{anchor("rationale-", subID), "Explain the score in a sentence or two"})
	case utf8.RuneCountInString(f.Rationale) > maxText:
		f.Errors["rationale"] = "The rationale must be 8,000 characters or fewer"
		errs = append(errs, fieldError{anchor("rationale-", subID), "The rationale must be 8,000 characters or fewer"})
	}
	if len(errs) > 0 {
		return s.renderAuthorityWithErrors(w, r, c, slug, subID, f, errs, http.StatusBadRequest)
	}
	reviewed := r.PostFormValue("reviewed") == "on"
	_, err = s.db.SaveDecision(c.user.Name, slug, subID, version, "set score", func(d *evidence.Decision) error {
		d.FinalScore, d.Rationale = score, f.Rationale
		d.RubricVersion = s.cfg.Rubric.Version
		if reviewed {
			d.Reviewed, d.ReviewedBy, d.NeedsReReview, d.ReReviewWhy = true, c.user.Name, false, ""
		}
		return nil
	})
	if err != nil {
		return s.saveFailed(w, r, c, slug, subID, f, err)
	}
	itemRedirect(w, r, slug, "score", anchor("sub-", subID))
	return nil
}

// saveFailed shows a conflict with the other reviewer's saved change next
// to the user's own input, which is kept and not saved; other errors go
// to the error page.
func (s *Server) saveFailed(w http.ResponseWriter, r *http.Request, c *reqCtx, slug, subID string, f *subForm, err error) error {
	var ce *evidence.ConflictError
	if !errors.As(err, &ce) {
		return err
	}
	cur := ce.Current
	f.Conflict = &cur
	what := "changed it"
	if cur.FinalScore != "" {
		what = fmt.Sprintf("set the score to %s", cur.FinalScore)
	}
	msg := fmt.Sprintf("%s %s at %s while you were editing. Your changes are kept below but not saved: check theirs, then save again to replace it.", cur.UpdatedBy, what, when(cur.Updated))
	field := anchor("conflict-", subID)
	return s.renderAuthorityWithErrors(w, r, c, slug, subID, f, []fieldError{{field, msg}}, http.StatusConflict)
}
