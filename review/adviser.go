package review

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/localoffer/localoffer/evidence"
)

// adviserSave records the SEN adviser's judgement on a Partial sub-section.
// Only the adviser role reaches this handler (see routes.go).
func (s *Server) adviserSave(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	slug, subID := r.PathValue("slug"), r.PathValue("sub")
	if _, err := s.knownAuthority(slug); err != nil {
		return err
	}
	if _, err := s.subsection(subID); err != nil {
		return err
	}
	version, err := formVersion(r)
	if err != nil {
		return err
	}
	f := &subForm{Open: "adviser", Judgement: strings.TrimSpace(r.PostFormValue("judgement")), Version: version, Errors: map[string]string{}}
	if utf8.RuneCountInString(f.Judgement) > maxText {
		f.Errors["judgement"] = "The judgement must be 8,000 characters or fewer"
		return s.renderAuthorityWithErrors(w, r, c, slug, subID, f, []fieldError{{anchor("judgement-", subID), f.Errors["judgement"]}}, http.StatusBadRequest)
	}
	sugs, err := s.db.Suggestions(slug)
	if err != nil {
		return err
	}
	_, err = s.db.SaveDecision(c.user.Name, slug, subID, version, "adviser judgement", func(d *evidence.Decision) error {
		score := d.FinalScore
		if score == "" {
			score = sugs[subID].Score
		}
		if score != evidence.Partial && f.Judgement != "" {
			return errorf(http.StatusBadRequest, "An adviser judgement is only recorded on a sub-section that scores Partial.")
		}
		d.AdviserJudgement, d.AdviserBy = f.Judgement, c.user.Name
		return nil
	})
	if err != nil {
		return s.saveFailed(w, r, c, slug, subID, f, err)
	}
	itemRedirect(w, r, slug, "adviser", anchor("sub-", subID))
	return nil
}
