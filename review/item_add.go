package review

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/localoffer/localoffer/evidence"
	"github.com/localoffer/localoffer/store"
)

const maxQuote = 4000

// itemAdd stores evidence the tool missed: a quote from a page (captured
// or pasted as a URL) tied to one criterion. It is accepted at once, as a
// reviewer vouches for it.
func (s *Server) itemAdd(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	slug, subID := r.PathValue("slug"), r.PathValue("sub")
	if _, err := s.knownAuthority(slug); err != nil {
		return err
	}
	ss, err := s.subsection(subID)
	if err != nil {
		return err
	}
	f := &subForm{
		AddURL:       strings.TrimSpace(r.PostFormValue("url")),
		AddQuote:     strings.TrimSpace(r.PostFormValue("quote")),
		AddCriterion: r.PostFormValue("criterion"),
		AddNote:      strings.TrimSpace(r.PostFormValue("note")),
		Open:         "add",
		Errors:       map[string]string{},
	}
	var errs []fieldError
	fail := func(field, msg string) {
		f.Errors[field] = msg
		errs = append(errs, fieldError{Field: anchor("add-"+field+"-", subID), Msg: msg})
	}
	u, perr := url.Parse(f.AddURL)
	switch {
	case f.AddURL == "":
		fail("url", "Enter the address of the page the evidence is on")
	case perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		fail("url", "Enter a full web address starting with http:// or https://")
	}
	switch {
	case f.AddQuote == "":
		fail("quote", "Enter the passage that is evidence, quoted from the page")
	case utf8.RuneCountInString(f.AddQuote) > maxQuote:
		fail("quote", "The quote must be 4,000 characters or fewer")
	}
	known := false
	for _, cr := range ss.Criteria {
		known = known || cr.ID == f.AddCriterion
	}
	if !known {
		fail("criterion", "Choose the criterion the evidence is for")
	}
	if err := s.notBlind(c, slug, subID); err != nil {
		return err
	}
	if len(errs) > 0 {
		return s.renderAuthorityWithErrors(w, r, c, slug, subID, f, errs, http.StatusBadRequest)
	}
	h := sha256.Sum256([]byte(f.AddQuote))
	it := evidence.Item{
		ID:         evidence.ItemID(slug, subID, f.AddURL, "reviewer:"+hex.EncodeToString(h[:8])),
		Authority:  slug,
		Subsection: subID,
		Criteria:   []string{f.AddCriterion},
		URL:        f.AddURL,
		Title:      f.AddURL,
		Snippet:    f.AddQuote,
		Confidence: 1,
		Rank:       -1,
		Origin:     evidence.Manual,
		Status:     evidence.Accepted,
		Note:       f.AddNote,
		Signals:    []string{"added by " + c.user.Name},
	}
	if sn, err := s.db.LatestSnapshot(slug, f.AddURL); err == nil {
		it.SnapshotID, it.SHA256, it.CrawlID = sn.ID, sn.SHA256, sn.CrawlID
		it.Title = pageTitle(s, sn)
	} else if !store.IsNotFound(err) {
		return err
	}
	if _, err := s.db.AddItem(c.user.Name, it); err != nil {
		return err
	}
	itemRedirect(w, r, slug, "added", anchor("item-", it.ID))
	return nil
}

// renderAuthorityWithErrors shows the authority page again with the
// user's input kept in sub-section subID's forms and an error summary.
func (s *Server) renderAuthorityWithErrors(w http.ResponseWriter, r *http.Request, c *reqCtx, slug, subID string, f *subForm, errs []fieldError, status int) error {
	p, err := s.authorityPage(slug, c, map[string]*subForm{subID: f})
	if err != nil {
		return err
	}
	p.Errors = errs
	return s.render(w, r, c, status, "authority", p)
}
