package review

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/localoffer/localoffer/evidence"
	"github.com/localoffer/localoffer/store"
)

// itemStatus accepts, rejects or (with Proposed) undoes the decision on an
// evidence item, then moves on to the next item still to review.
func (s *Server) itemStatus(to evidence.ItemStatus) handlerFunc {
	var action, done string
	switch to {
	case evidence.Accepted:
		action, done = "accept evidence", "accepted"
	case evidence.Rejected:
		action, done = "reject evidence", "rejected"
	default:
		action, done = "undo evidence decision", "undone"
	}
	return func(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
		slug, id := r.PathValue("slug"), r.PathValue("id")
		it, err := s.db.Item(slug, id)
		if err != nil {
			return err
		}
		if err := s.notBlind(c, slug, it.Subsection); err != nil {
			return err
		}
		seen := evidence.ItemStatus(r.PostFormValue("seen"))
		_, err = s.db.UpdateItem(c.user.Name, slug, id, func(it *evidence.Item) (string, error) {
			if it.Status == to {
				return "", fmt.Errorf("%w: the evidence is already %s", evidence.ErrConflict, to)
			}
			if seen != "" && seen != it.Status {
				// Someone decided this item after the page was loaded:
				// do not overwrite their decision unseen.
				return "", errorf(http.StatusConflict, "%s changed this evidence to %q at %s, after your page was loaded. Nothing was saved: go back, reload the page and decide again if you disagree.", it.UpdatedBy, it.Status, when(it.Updated))
			}
			it.Status = to
			return action, nil
		})
		if err != nil && !isAlready(err) {
			return err
		}
		frag := anchor("item-", id)
		if to != evidence.Proposed {
			frag = s.nextToReview(slug, it)
		}
		itemRedirect(w, r, slug, done, frag)
		return nil
	}
}

// isAlready reports the harmless conflict of a repeated click: the item
// already has the wanted status.
func isAlready(err error) bool {
	return errors.Is(err, evidence.ErrConflict)
}

// nextToReview is the anchor of the next item still to review after it in
// its sub-section, or of the sub-section's score form when none is left.
func (s *Server) nextToReview(slug string, it evidence.Item) string {
	items, err := s.db.Items(slug, it.Subsection)
	if err != nil {
		return anchor("item-", it.ID)
	}
	after := false
	for _, o := range items {
		if o.ID == it.ID {
			after = true
			continue
		}
		if after && o.Status == evidence.Proposed {
			return anchor("item-", o.ID)
		}
	}
	for _, o := range items {
		if o.Status == evidence.Proposed && o.ID != it.ID {
			return anchor("item-", o.ID)
		}
	}
	return anchor("score-", it.Subsection)
}

// notBlind refuses changes to a sub-section the user must score blind:
// acting on its evidence would show what the first reviewer decided.
func (s *Server) notBlind(c *reqCtx, slug, sub string) error {
	d, err := s.db.DoubleReviewOf(slug, sub)
	if err != nil {
		if store.IsNotFound(err) {
			return nil
		}
		return err
	}
	if d.BlindFor(c.user.Name) {
		return errorf(http.StatusForbidden, "This sub-section is in double review and you are its second reviewer: score it blind from the double review page.")
	}
	return nil
}
