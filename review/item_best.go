package review

import (
	"net/http"

	"github.com/localoffer/localoffer/evidence"
)

// itemBest marks or unmarks an accepted item as best practice: an exemplar
// the regional report can hold up to other authorities.
func (s *Server) itemBest(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	slug, id := r.PathValue("slug"), r.PathValue("id")
	want := r.PostFormValue("best") == "on" || r.PostFormValue("best") == "true"
	it, err := s.db.Item(slug, id)
	if err != nil {
		return err
	}
	if err := s.notBlind(c, slug, it.Subsection); err != nil {
		return err
	}
	_, err = s.db.UpdateItem(c.user.Name, slug, id, func(it *evidence.Item) (string, error) {
		if want && it.Status == evidence.Rejected {
			return "", errorf(http.StatusBadRequest, "Rejected evidence cannot be best practice. Accept it first.")
		}
		it.BestPractice = want
		if want {
			return "mark best practice", nil
		}
		return "unmark best practice", nil
	})
	if err != nil {
		return err
	}
	itemRedirect(w, r, slug, "best", anchor("item-", id))
	return nil
}
