package review

import (
	"io/fs"
	"net/http"
	"net/url"
	"strings"

	"github.com/localoffer/localoffer/evidence"
)

// access is who may use a route.
type access int

const (
	// public routes need no login: the login form and static assets.
	public access = iota
	// signedIn routes are for every role, viewers included (read-only).
	signedIn
	// reviewing routes change evidence and scores.
	reviewing
	// advising routes write adviser judgements: the adviser role only.
	advising
	// adjudicating routes settle double-review disagreements.
	adjudicating
	// administering routes are for admins.
	administering
)

func (a access) String() string {
	return [...]string{"public", "signed in", "reviewer", "adviser", "adjudicator", "admin"}[a]
}

// allows reports whether role may use a route of this access.
func (a access) allows(role evidence.Role) bool {
	switch a {
	case public, signedIn:
		return true
	case reviewing:
		return role.CanReview()
	case advising:
		return role == evidence.Adviser
	case adjudicating:
		return role == evidence.Adviser || role == evidence.Admin
	case administering:
		return role == evidence.Admin
	}
	return false
}

// handlerFunc is a route's handler: c is nil only on public routes.
type handlerFunc func(w http.ResponseWriter, r *http.Request, c *reqCtx) error

type route struct {
	method  string
	pattern string
	access  access
	h       handlerFunc
}

// buildRoutes lists every route of the UI with who may use it. Every
// request goes through one gate (s.gate) that checks the list, so a route
// cannot be added without saying who may use it.
func (s *Server) buildRoutes() []route {
	return []route{
		{"GET", "/favicon.ico", public, s.favicon},
		{"GET", "/login", public, s.loginForm},
		{"POST", "/login", public, s.login},
		{"POST", "/logout", signedIn, s.logout},

		{"GET", "/{$}", signedIn, s.dashboard},
		{"GET", "/keys", signedIn, s.keys},
		{"GET", "/a/{slug}", signedIn, s.authority},
		{"GET", "/a/{slug}/audit", signedIn, s.auditAuthority},
		{"GET", "/a/{slug}/s/{sub}/audit", signedIn, s.auditSubsection},
		{"GET", "/a/{slug}/changes", signedIn, s.authorityChanges},
		{"GET", "/a/{slug}/diff", signedIn, s.pageDiff},
		{"GET", "/a/{slug}/items/{id}/changes", signedIn, s.itemChanges},
		{"GET", "/runs", signedIn, s.runs},

		{"POST", "/a/{slug}/items/{id}/accept", reviewing, s.itemStatus(evidence.Accepted)},
		{"POST", "/a/{slug}/items/{id}/reject", reviewing, s.itemStatus(evidence.Rejected)},
		{"POST", "/a/{slug}/items/{id}/undo", reviewing, s.itemStatus(evidence.Proposed)},
		{"POST", "/a/{slug}/items/{id}/best", reviewing, s.itemBest},
		{"POST", "/a/{slug}/s/{sub}/items", reviewing, s.itemAdd},
		{"POST", "/a/{slug}/s/{sub}/score", reviewing, s.scoreSave},
		{"POST", "/a/{slug}/s/{sub}/reviewed", reviewing, s.markReviewed},
		{"POST", "/a/{slug}/s/{sub}/adviser", advising, s.adviserSave},

		{"GET", "/snapshot/{id}", signedIn, s.snapshot},
		{"GET", "/snapshot/{id}/raw", signedIn, s.snapshotRaw},
		{"GET", "/snapshot/{id}/file", signedIn, s.snapshotFile},

		{"GET", "/agreement", signedIn, s.agreement},
		{"POST", "/double/sample", administering, s.doubleSample},
		{"GET", "/double/{slug}/{sub}", reviewing, s.blindForm},
		{"POST", "/double/{slug}/{sub}", reviewing, s.blindSave},
		{"POST", "/double/{slug}/{sub}/adjudicate", adjudicating, s.adjudicate},

		{"GET", "/admin", administering, s.admin},
		{"GET", "/admin/backup", administering, s.backup},
		{"GET", "/admin/users", administering, s.users},
		{"POST", "/admin/users", administering, s.userAdd},
		{"GET", "/admin/users/{name}", administering, s.userPage},
		{"POST", "/admin/users/{name}/role", administering, s.userRole},
		{"POST", "/admin/users/{name}/password", administering, s.userPassword},
		{"POST", "/admin/users/{name}/disable", administering, s.userStatus(true)},
		{"POST", "/admin/users/{name}/enable", administering, s.userStatus(false)},
	}
}

// uiCSP is the policy of every page of the UI: only its own scripts,
// styles and frames (the snapshot viewer), nothing inline.
const uiCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func (s *Server) mux() http.Handler {
	m := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	fileServer := http.StripPrefix("/static/", http.FileServerFS(static))
	m.Handle("GET /static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		fileServer.ServeHTTP(w, r)
	}))
	for _, rt := range s.routes {
		m.Handle(rt.method+" "+rt.pattern, s.gate(rt))
	}
	// Anything else: a 404 page for a signed-in user, the login page for
	// anyone else, so that no path reveals what exists.
	m.Handle("/", s.gate(route{method: "", pattern: "/", access: signedIn, h: func(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
		return errorf(http.StatusNotFound, "Page not found.")
	}}))
	cop := http.NewCrossOriginProtection()
	return cop.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "SAMEORIGIN")
		if !strings.HasPrefix(r.URL.Path, "/snapshot/") || !strings.HasSuffix(r.URL.Path, "/raw") {
			h.Set("Content-Security-Policy", uiCSP)
		}
		m.ServeHTTP(w, r)
	}))
}

// gate authenticates, authorises and checks the CSRF token of every
// request before the route's handler runs.
func (s *Server) gate(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt.access == public {
			if err := rt.h(w, r, nil); err != nil {
				s.fail(w, r, nil, err)
			}
			return
		}
		c, err := s.current(r)
		if err != nil {
			s.fail(w, r, nil, err)
			return
		}
		if c == nil {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			s.fail(w, r, nil, errorf(http.StatusUnauthorized, "Your session has ended. Sign in again; what you sent was not saved."))
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
			if err := r.ParseForm(); err != nil {
				s.fail(w, r, c, errorf(http.StatusBadRequest, "The form could not be read."))
				return
			}
			if !checkCSRF(r, c.sess.CSRF) {
				s.fail(w, r, c, errorf(http.StatusForbidden, "The form has expired or did not come from this site. Go back, reload the page and try again; nothing was saved."))
				return
			}
		}
		if !rt.access.allows(c.user.Role) {
			s.fail(w, r, c, errorf(http.StatusForbidden, "Your role (%s) cannot do this: it needs the %s role.", c.user.Role, rt.access))
			return
		}
		if err := rt.h(w, r, c); err != nil {
			s.fail(w, r, c, err)
		}
	})
}

// favicon answers browsers' automatic request for an icon, which would
// otherwise be sent to the login page.
func (s *Server) favicon(w http.ResponseWriter, r *http.Request, _ *reqCtx) error {
	http.Redirect(w, r, "/static/favicon.svg", http.StatusMovedPermanently)
	return nil
}
