package review

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/localoffer/localoffer/evidence"
	"github.com/localoffer/localoffer/store"
	"golang.org/x/crypto/bcrypt"
)

// Password rules: long enough to resist guessing, short enough for bcrypt,
// which reads at most 72 bytes.
const (
	MinPasswordLength = 10
	maxPasswordBytes  = 72
)

// Cookie names.
const (
	sessionCookie = "lo_session"
	loginCookie   = "lo_login"
)

// CheckPassword says why pw is not acceptable as a password, or nil.
func CheckPassword(pw string) error {
	if utf8.RuneCountInString(pw) < MinPasswordLength {
		return fmt.Errorf("%w: the password must be at least %d characters", evidence.ErrInvalid, MinPasswordLength)
	}
	if len(pw) > maxPasswordBytes {
		return fmt.Errorf("%w: the password must be at most %d bytes", evidence.ErrInvalid, maxPasswordBytes)
	}
	return nil
}

// HashPassword checks pw and hashes it with bcrypt at the default cost.
func HashPassword(pw string) ([]byte, error) { return hashPassword(pw, bcrypt.DefaultCost) }

func hashPassword(pw string, cost int) ([]byte, error) {
	if err := CheckPassword(pw); err != nil {
		return nil, err
	}
	return bcrypt.GenerateFromPassword([]byte(pw), cost)
}

// dummyHash is compared against when the user does not exist, so that a
// wrong name takes as long as a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not-a-real-password"), bcrypt.DefaultCost)

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func tokenID(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// reqCtx is the signed-in user of a request and their session.
type reqCtx struct {
	user evidence.User
	sess store.Session
}

func (s *Server) secure(r *http.Request) bool { return r.TLS != nil || s.cfg.SecureCookies }

func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure(r),
	})
}

// startSession creates a session for user and sets its cookie.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, user string) error {
	token := randomToken()
	now := s.cfg.Now().UTC()
	sess := store.Session{ID: tokenID(token), User: user, CSRF: randomToken(), Created: now, LastSeen: now, Expires: now.Add(s.cfg.SessionTTL)}
	if err := s.db.CreateSession(sess); err != nil {
		return err
	}
	s.setCookie(w, r, sessionCookie, token, int(s.cfg.SessionTTL/time.Second))
	return nil
}

// current returns the signed-in user of r, or nil when there is none (no
// cookie, an unknown or expired session, a disabled or deleted user).
func (s *Server) current(r *http.Request) (*reqCtx, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return nil, nil
	}
	sess, err := s.db.Session(tokenID(ck.Value), s.cfg.Now())
	if store.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	u, err := s.db.User(sess.User)
	if store.IsNotFound(err) || (err == nil && u.Disabled) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &reqCtx{user: u, sess: sess}, nil
}

// checkCSRF compares the form's token with the session's in constant time.
func checkCSRF(r *http.Request, want string) bool {
	got := r.PostFormValue("csrf")
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// clientIP is the address a login attempt is counted against: the
// connection's, or behind a trusted proxy the one the proxy saw.
func (s *Server) clientIP(r *http.Request) string {
	if s.cfg.TrustProxy {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if ip := strings.TrimSpace(parts[len(parts)-1]); net.ParseIP(ip) != nil {
				return ip
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limiter counts failed logins per key over a sliding window.
type limiter struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	fails  map[string][]time.Time
}

func newLimiter(limit int, window time.Duration) *limiter {
	return &limiter{limit: limit, window: window, fails: map[string][]time.Time{}}
}

// blocked reports whether key has used up its attempts at now, and when
// the oldest counted failure leaves the window.
func (l *limiter) blocked(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fs := l.prune(key, now)
	if len(fs) < l.limit {
		return false, 0
	}
	return true, fs[0].Add(l.window).Sub(now)
}

func (l *limiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fails[key] = append(l.prune(key, now), now)
	if len(l.fails) > 10000 {
		// Bound memory under a flood of distinct keys.
		for k := range l.fails {
			if len(l.prune(k, now)) == 0 {
				delete(l.fails, k)
			}
		}
	}
}

func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, key)
}

func (l *limiter) prune(key string, now time.Time) []time.Time {
	fs := l.fails[key]
	i := 0
	for i < len(fs) && now.Sub(fs[i]) >= l.window {
		i++
	}
	fs = fs[i:]
	if len(fs) == 0 {
		delete(l.fails, key)
	} else {
		l.fails[key] = fs
	}
	return fs
}
