package review

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"

	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/evidence"
)

// change is one field of an audited record that changed.
type change struct {
	Field, Before, After string
}

type auditRow struct {
	evidence.AuditEntry
	SubTitle string
	Changes  []change
}

type auditPage struct {
	basePage
	Authority  config.Authority
	Subsection *config.Subsection
	Rows       []auditRow
	Hidden     int
	Limit      int
}

const auditLimit = 1000

// auditAuthority lists every recorded change of one authority.
func (s *Server) auditAuthority(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	return s.auditPage(w, r, c, r.PathValue("slug"), "")
}

// auditSubsection lists the changes of one sub-section of one authority.
func (s *Server) auditSubsection(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	return s.auditPage(w, r, c, r.PathValue("slug"), r.PathValue("sub"))
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, c *reqCtx, slug, subID string) error {
	a, err := s.knownAuthority(slug)
	if err != nil {
		return err
	}
	p := &auditPage{Authority: a, Limit: auditLimit}
	p.Nav = "dashboard"
	p.Title = "Changes: " + a.Name
	if subID != "" {
		ss, err := s.subsection(subID)
		if err != nil {
			return err
		}
		p.Subsection = ss
		p.Title = "Changes: " + a.Name + ", " + ss.Title
		if err := s.notBlind(c, slug, subID); err != nil {
			return err
		}
	}
	blind := map[string]bool{}
	reviews, err := s.db.DoubleReviews()
	if err != nil {
		return err
	}
	for _, d := range reviews {
		if d.Authority == slug && c.user.Role.CanReview() && d.BlindFor(c.user.Name) {
			blind[d.Subsection] = true
		}
	}
	entries, err := s.db.AuditLog(slug, subID, auditLimit)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if blind[e.Subsection] {
			p.Hidden++
			continue
		}
		row := auditRow{AuditEntry: e, Changes: diff(e.Before, e.After)}
		if ss, ok := s.subs[e.Subsection]; ok {
			row.SubTitle = ss.Title
		}
		p.Rows = append(p.Rows, row)
	}
	return s.render(w, r, c, http.StatusOK, "audit", p)
}

// skipFields are bookkeeping fields every save changes.
var skipFields = map[string]bool{"updated": true, "updated_by": true, "version": true, "password_hash": true}

// diff lists the top-level fields that differ between two JSON records.
func diff(before, after string) []change {
	var b, a map[string]any
	_ = json.Unmarshal([]byte(before), &b)
	_ = json.Unmarshal([]byte(after), &a)
	keys := map[string]bool{}
	for k := range b {
		keys[k] = true
	}
	for k := range a {
		keys[k] = true
	}
	var out []change
	for k := range keys {
		if skipFields[k] {
			continue
		}
		bv, av := show(b[k]), show(a[k])
		if bv != av {
			out = append(out, change{Field: strings.ReplaceAll(k, "_", " "), Before: bv, After: av})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

func show(v any) string {
	var s string
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		s = x
	case bool:
		if x {
			return "yes"
		}
		return "no"
	default:
		bs, _ := json.Marshal(x)
		s = string(bs)
	}
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
