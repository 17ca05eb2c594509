// Package review serves the web UI in which reviewers confirm the tool's
// suggested evidence, fix sub-section scores, the SEN adviser judges every
// Partial and an admin runs blind double review to measure agreement.
//
// Pages are rendered on the server with html/template (crawled text is
// always escaped), every action is a plain HTML form that JavaScript only
// makes quicker (keyboard shortcuts), every state change needs a session
// and a CSRF token, and every save is committed to the store before the
// response is written.
package review

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/evidence"
	"github.com/localoffer/localoffer/extract"
	"github.com/localoffer/localoffer/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Defaults for Config fields left zero.
const (
	DefaultSessionTTL  = 12 * time.Hour
	DefaultLoginLimit  = 5
	DefaultLoginWindow = 15 * time.Minute
)

// Config is what a Server needs. DB, Rubric and Authorities are required.
type Config struct {
	DB          *store.DB
	Rubric      *config.Rubric
	Authorities *config.Config
	Log         *slog.Logger
	// SecureCookies marks cookies Secure even on plain HTTP requests, for
	// a server behind a TLS-terminating reverse proxy. Requests that
	// arrive over TLS always get Secure cookies.
	SecureCookies bool
	// TrustProxy takes the client's address from the last entry of
	// X-Forwarded-For, which a reverse proxy in front sets; without it
	// every sign-in would seem to come from the proxy and share one
	// rate limit. Leave it off when clients reach the server directly,
	// or they could pick their own address.
	TrustProxy bool
	// Extract reads the text of a captured PDF or Word file for the
	// snapshot viewer. When nil, such captures offer the file only.
	Extract func(body []byte, contentType, url string) (*extract.Document, error)
	// DashboardInfo, when set, adds short lines under an authority's name
	// on the dashboard (a schedule's next run, say).
	DashboardInfo func(slug string) []string
	// SessionTTL is how long a login lasts (default 12 hours).
	SessionTTL time.Duration
	// LoginLimit failed logins per LoginWindow, per user name and per
	// client address, before further attempts are refused for the rest of
	// the window.
	LoginLimit  int
	LoginWindow time.Duration
	// Now is the clock (default time.Now), replaceable in tests.
	Now func() time.Time
}

// Server is the review UI.
type Server struct {
	cfg     Config
	db      *store.DB
	log     *slog.Logger
	pages   map[string]*template.Template
	routes  []route
	handler http.Handler
	limiter *limiter
	subs    map[string]*config.Subsection
	order   []string // sub-section ids in rubric order
}

// NewServer checks cfg, parses every template and builds the routes. A
// template error fails here, at start-up, never on a user's request.
func NewServer(cfg Config) (*Server, error) {
	if cfg.DB == nil || cfg.Rubric == nil || cfg.Authorities == nil {
		return nil, errors.New("review: DB, Rubric and Authorities are required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.LoginLimit <= 0 {
		cfg.LoginLimit = DefaultLoginLimit
	}
	if cfg.LoginWindow <= 0 {
		cfg.LoginWindow = DefaultLoginWindow
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, db: cfg.DB, log: cfg.Log, subs: map[string]*config.Subsection{}}
	s.limiter = newLimiter(cfg.LoginLimit, cfg.LoginWindow)
	for i := range cfg.Rubric.Sections {
		for j := range cfg.Rubric.Sections[i].Subsections {
			ss := &cfg.Rubric.Sections[i].Subsections[j]
			s.subs[ss.ID] = ss
			s.order = append(s.order, ss.ID)
		}
	}
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	s.routes = s.buildRoutes()
	s.handler = s.mux()
	return s, nil
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) parseTemplates() error {
	base, err := template.New("base.html").Funcs(funcs).ParseFS(templateFS, "templates/base.html")
	if err != nil {
		return fmt.Errorf("review: parse base template: %w", err)
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return err
	}
	s.pages = map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimPrefix(n, "templates/")
		if name == "base.html" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFS, n)
		if err != nil {
			return fmt.Errorf("review: parse template %s: %w", name, err)
		}
		s.pages[strings.TrimSuffix(name, ".html")] = t
	}
	return nil
}

// basePage is what every page's layout needs.
type basePage struct {
	Title string
	User  *evidence.User
	CSRF  string
	// Nav names the current top-level section for aria-current.
	Nav    string
	Notice string
	Errors []fieldError
}

// fieldError is one entry of a GOV.UK error summary: a message and the id
// of the field it is about.
type fieldError struct {
	Field string
	Msg   string
}

// pageData is implemented by every page struct through basePage.
type pageData interface{ base() *basePage }

func (b *basePage) base() *basePage { return b }

// render writes a page into a buffer first, so a template failure becomes
// a clean error page instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, c *reqCtx, status int, name string, p pageData) error {
	t, ok := s.pages[name]
	if !ok {
		return fmt.Errorf("render: no template %q", name)
	}
	b := p.base()
	if c != nil {
		b.User = &c.user
		b.CSRF = c.sess.CSRF
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "base.html", p); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// httpError is an error with the status and the message a user sees.
type httpError struct {
	Status int
	Msg    string
	Err    error
}

func (e *httpError) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *httpError) Unwrap() error { return e.Err }

func errorf(status int, format string, args ...any) error {
	return &httpError{Status: status, Msg: fmt.Sprintf(format, args...)}
}

type errorPage struct {
	basePage
	Status  int
	Message string
}

// fail turns a handler's error into a status page; domain errors map to
// statuses here, in one place.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, c *reqCtx, err error) {
	status, msg := http.StatusInternalServerError, "Sorry, something went wrong. The error has been logged."
	var he *httpError
	switch {
	case errors.As(err, &he):
		status, msg = he.Status, he.Msg
	case errors.Is(err, evidence.ErrNotFound):
		status, msg = http.StatusNotFound, "Page not found."
	case errors.Is(err, evidence.ErrForbidden):
		status, msg = http.StatusForbidden, "You do not have permission to do that."
	case errors.Is(err, evidence.ErrInvalid):
		status, msg = http.StatusBadRequest, strings.TrimPrefix(err.Error(), "invalid: ")
	case errors.Is(err, evidence.ErrConflict):
		status, msg = http.StatusConflict, "Someone else changed this first: "+err.Error()
	}
	if status >= 500 {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	p := &errorPage{Status: status, Message: msg}
	p.Title = http.StatusText(status)
	if rerr := s.render(w, r, c, status, "error", p); rerr != nil {
		s.log.Error("render error page", "err", rerr)
		http.Error(w, msg, status)
	}
}

// authorityName returns the display name of slug from the authority list.
func (s *Server) authorityName(slug string) string {
	if a, ok := s.cfg.Authorities.Authority(slug); ok {
		return a.Name
	}
	return slug
}

// knownAuthority returns the authority of slug, from the list or, for a
// slug that only the store knows (an authority since removed from the
// list), a stub with its slug as name.
func (s *Server) knownAuthority(slug string) (config.Authority, error) {
	if a, ok := s.cfg.Authorities.Authority(slug); ok {
		return a, nil
	}
	if sugs, err := s.db.Suggestions(slug); err == nil && len(sugs) > 0 {
		return config.Authority{Slug: slug, Name: slug}, nil
	}
	return config.Authority{}, errorf(http.StatusNotFound, "There is no authority %q.", slug)
}

// subsection returns the rubric's sub-section id, or a 404.
func (s *Server) subsection(id string) (*config.Subsection, error) {
	ss, ok := s.subs[id]
	if !ok {
		return nil, errorf(http.StatusNotFound, "There is no sub-section %q in rubric version %s.", id, s.cfg.Rubric.Version)
	}
	return ss, nil
}
