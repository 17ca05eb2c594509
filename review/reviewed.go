package review

import (
	"net/http"

	"github.com/localoffer/localoffer/evidence"
)

// markReviewed marks a sub-section reviewed. With no final score yet, the
// reviewer agrees with the tool's suggestion, which becomes the final
// score: one keystroke for a sub-section the tool got right.
func (s *Server) markReviewed(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	slug, subID, version, err := s.decisionRequest(r, c)
	if err != nil {
		return err
	}
	sugs, err := s.db.Suggestions(slug)
	if err != nil {
		return err
	}
	sg, hasSug := sugs[subID]
	_, err = s.db.SaveDecision(c.user.Name, slug, subID, version, "mark reviewed", func(d *evidence.Decision) error {
		if d.FinalScore == "" {
			if !hasSug || !sg.Score.Valid() {
				return errorf(http.StatusBadRequest, "There is no suggested score to agree with: choose a score and give a rationale first.")
			}
			d.FinalScore = sg.Score
			if d.Rationale == "" {
				d.Rationale = "Agreed with the suggested score after reviewing the evidence."
			}
			d.RubricVersion = s.cfg.Rubric.Version
		}
		d.Reviewed, d.ReviewedBy, d.NeedsReReview, d.ReReviewWhy = true, c.user.Name, false, ""
		return nil
	})
	if err != nil {
		return s.saveFailed(w, r, c, slug, subID, &subForm{Open: "score", Version: version}, err)
	}
	frag := anchor("sub-", subID)
	for i, id := range s.order {
		if id == subID && i+1 < len(s.order) {
			frag = anchor("sub-", s.order[i+1])
		}
	}
	itemRedirect(w, r, slug, "reviewed", frag)
	return nil
}
