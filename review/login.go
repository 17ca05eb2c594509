package review

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/localoffer/localoffer/evidence"
	"golang.org/x/crypto/bcrypt"
)

type loginPage struct {
	basePage
	Name      string
	Next      string
	LoginCSRF string
}

// safeNext keeps a post-login redirect on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

// loginForm shows the sign-in form. The form carries a token that matches
// a cookie (double submit), so another site cannot sign a browser in to an
// account of its choosing.
func (s *Server) loginForm(w http.ResponseWriter, r *http.Request, _ *reqCtx) error {
	if c, err := s.current(r); err == nil && c != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return nil
	}
	return s.showLogin(w, r, http.StatusOK, "", r.URL.Query().Get("next"), nil)
}

func (s *Server) showLogin(w http.ResponseWriter, r *http.Request, status int, name, next string, errs []fieldError) error {
	// Keep a token the browser already has, so that a second login tab
	// (or any other request for this page) does not void the first form.
	token := ""
	if ck, err := r.Cookie(loginCookie); err == nil && len(ck.Value) >= 32 {
		token = ck.Value
	} else {
		token = randomToken()
	}
	s.setCookie(w, r, loginCookie, token, 3600)
	p := &loginPage{Name: name, Next: safeNext(next), LoginCSRF: token}
	p.Title = "Sign in"
	p.Errors = errs
	return s.render(w, r, nil, status, "login", p)
}

// login checks the name and password, rate-limited per name and per
// client address, and starts a session.
func (s *Server) login(w http.ResponseWriter, r *http.Request, _ *reqCtx) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return errorf(http.StatusBadRequest, "The form could not be read.")
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	pw := r.PostFormValue("password")
	next := r.PostFormValue("next")
	ck, err := r.Cookie(loginCookie)
	if err != nil || ck.Value == "" || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(r.PostFormValue("csrf"))) != 1 {
		return s.showLogin(w, r, http.StatusForbidden, name, next, []fieldError{{Field: "name", Msg: "The sign-in form expired. Enter your details again."}})
	}
	var errs []fieldError
	if name == "" {
		errs = append(errs, fieldError{"name", "Enter your user name"})
	}
	if pw == "" {
		errs = append(errs, fieldError{"password", "Enter your password"})
	}
	if errs != nil {
		return s.showLogin(w, r, http.StatusBadRequest, name, next, errs)
	}
	now := s.cfg.Now()
	keys := []string{"user:" + strings.ToLower(name), "ip:" + s.clientIP(r)}
	for _, k := range keys {
		if blocked, wait := s.limiter.blocked(k, now); blocked {
			mins := int(wait/time.Minute) + 1
			w.Header().Set("Retry-After", fmt.Sprint(int(wait/time.Second)+1))
			s.log.Warn("login rate limited", "user", name, "ip", s.clientIP(r))
			return s.showLogin(w, r, http.StatusTooManyRequests, name, next, []fieldError{{Field: "name", Msg: fmt.Sprintf("Too many failed sign-in attempts. Try again in %d minutes.", mins)}})
		}
	}
	u, err := s.db.User(name)
	hash := dummyHash
	if err == nil {
		hash = u.PasswordHash
	}
	cmp := bcrypt.CompareHashAndPassword(hash, []byte(pw))
	if err != nil || cmp != nil || u.Disabled {
		for _, k := range keys {
			s.limiter.fail(k, now)
		}
		s.log.Info("login failed", "user", name, "ip", s.clientIP(r))
		return s.showLogin(w, r, http.StatusUnauthorized, name, next, []fieldError{{Field: "name", Msg: "The user name or password is wrong"}})
	}
	s.limiter.reset("user:" + strings.ToLower(name))
	// A new sign-in always gets a new session; one the browser already
	// had (perhaps planted by someone else) is ended.
	if old, err := r.Cookie(sessionCookie); err == nil && old.Value != "" {
		if err := s.db.DeleteSession(tokenID(old.Value)); err != nil {
			return err
		}
	}
	if err := s.startSession(w, r, u.Name); err != nil {
		return err
	}
	// Sweep expired sessions now and then, so the store does not keep
	// them for ever; a failure here costs nothing but space.
	if _, err := s.db.PruneSessions(now); err != nil {
		s.log.Warn("prune sessions", "err", err)
	}
	s.setCookie(w, r, loginCookie, "", -1)
	if err := s.db.Audit(evidence.AuditEntry{User: u.Name, Action: "sign in", Target: s.clientIP(r)}); err != nil {
		s.log.Warn("audit sign in", "err", err)
	}
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
	return nil
}

// logout ends the session.
func (s *Server) logout(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	if err := s.db.DeleteSession(c.sess.ID); err != nil {
		return err
	}
	s.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}
