package review

import (
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/localoffer/localoffer/evidence"
	"github.com/localoffer/localoffer/store"
)

// usersPage is the account list with the form to add one (Account nil), or
// one account's page with its role, password and status forms.
type usersPage struct {
	basePage
	Users   []evidence.User
	Roles   []evidence.Role
	Account *evidence.User
	// Self is true on the signed-in admin's own account page, whose role
	// and status cannot be changed there.
	Self bool
	// Form is what the admin typed into a form that failed.
	Form userForm
	// Generated is a generated password, shown once on the page that
	// answers the form that made it and never stored in clear.
	Generated string
	// GeneratedFor names the account Generated belongs to.
	GeneratedFor string
}

// userForm is the add-account or reset-password form as typed, without the
// passwords, which are never sent back to the browser.
type userForm struct {
	Name   string
	Role   evidence.Role
	Mode   string // "generate" or "type"
	Errors map[string]string
}

// userNotices are the confirmations shown on an account's page after a
// redirect; only known keys are shown, never text from the URL.
var userNotices = map[string]string{
	"added":    "Account added.",
	"role":     "Role changed.",
	"password": "Password changed; every session of this account has ended.",
	"disabled": "Account disabled; every session of this account has ended.",
	"enabled":  "Account enabled; it can sign in again.",
}

// allRoles lists the roles in the order the forms offer them.
var allRoles = []evidence.Role{evidence.Viewer, evidence.Reviewer, evidence.Adviser, evidence.Admin}

// generatedAlphabet leaves out letters and digits that are easily confused
// when a password is read out or copied by hand (0/o, 1/l/i).
const generatedAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// generatePassword returns a random password of four groups of four
// characters (about 79 bits), easy to read out and to type.
func generatePassword() string {
	var b strings.Builder
	for i := 0; i < 16; i++ {
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(generatedAlphabet[randIntn(len(generatedAlphabet))])
	}
	return b.String()
}

// randIntn returns a uniform random int in [0, n) from crypto/rand,
// rejecting bytes that would bias the result.
func randIntn(n int) int {
	limit := 256 - 256%n
	var buf [1]byte
	for {
		if _, err := rand.Read(buf[:]); err != nil {
			panic("crypto/rand failed: " + err.Error())
		}
		if int(buf[0]) < limit {
			return int(buf[0]) % n
		}
	}
}

// userURL is the address of an account's page.
func userURL(name string) string { return "/admin/users/" + url.PathEscape(name) }

// users lists every account and offers the form to add one.
func (s *Server) users(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	return s.renderUsers(w, r, c, http.StatusOK, userForm{Role: evidence.Reviewer, Mode: "generate"}, nil, "", "")
}

func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, c *reqCtx, status int, f userForm, errs []fieldError, generated, generatedFor string) error {
	users, err := s.db.Users()
	if err != nil {
		return err
	}
	p := &usersPage{Users: users, Roles: allRoles, Form: f, Generated: generated, GeneratedFor: generatedFor}
	p.Title = "Accounts"
	p.Nav = "admin"
	p.Errors = errs
	return s.render(w, r, c, status, "users", p)
}

// readNewPassword reads the password part of a form: a generated password
// when the admin chose one (returned so it can be shown once), else the
// password typed twice. Problems are added to f.Errors and errs.
func readNewPassword(r *http.Request, f *userForm, errs *[]fieldError) (pw string, generated bool) {
	f.Mode = r.PostFormValue("mode")
	switch f.Mode {
	case "generate":
		return generatePassword(), true
	case "type":
		pw = r.PostFormValue("password")
		if err := CheckPassword(pw); err != nil {
			msg := "The password must be at least 10 characters"
			if len(pw) > maxPasswordBytes {
				msg = "The password must be 72 bytes or fewer"
			}
			f.Errors["password"] = msg
			*errs = append(*errs, fieldError{"password", msg})
			return "", false
		}
		if r.PostFormValue("password2") != pw {
			f.Errors["password2"] = "The two passwords do not match"
			*errs = append(*errs, fieldError{"password2", "The two passwords do not match"})
			return "", false
		}
		return pw, false
	default:
		f.Mode = ""
		f.Errors["mode"] = "Choose whether to generate a password or type one"
		*errs = append(*errs, fieldError{"mode-generate", "Choose whether to generate a password or type one"})
		return "", false
	}
}

// userAdd creates an account from the add form. A generated password is
// shown on the page that answers, once; a typed one leads to the new
// account's page.
func (s *Server) userAdd(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	f := userForm{Name: strings.TrimSpace(r.PostFormValue("name")), Errors: map[string]string{}}
	var errs []fieldError
	if err := store.ValidUserName(f.Name); err != nil {
		msg := "Enter a user name of 1 to 64 letters, digits, dots, dashes, underscores or @"
		if f.Name == "" {
			msg = "Enter a user name"
		}
		f.Errors["name"] = msg
		errs = append(errs, fieldError{"name", msg})
	} else if _, err := s.db.User(f.Name); err == nil {
		f.Errors["name"] = "There is already an account called " + f.Name
		errs = append(errs, fieldError{"name", f.Errors["name"]})
	} else if !store.IsNotFound(err) {
		return err
	}
	role, rerr := evidence.ParseRole(r.PostFormValue("role"))
	f.Role = role
	if rerr != nil {
		f.Errors["role"] = "Choose a role"
		errs = append(errs, fieldError{"role-" + string(evidence.Viewer), "Choose a role"})
	}
	pw, generated := readNewPassword(r, &f, &errs)
	if len(errs) > 0 {
		return s.renderUsers(w, r, c, http.StatusBadRequest, f, errs, "", "")
	}
	hash, err := HashPassword(pw)
	if err != nil {
		return err
	}
	if err := s.db.CreateUser(c.user.Name, evidence.User{Name: f.Name, Role: role, PasswordHash: hash}); err != nil {
		if errors.Is(err, evidence.ErrConflict) {
			// Someone added the same name since the check above.
			f.Errors["name"] = "There is already an account called " + f.Name
			return s.renderUsers(w, r, c, http.StatusConflict, f, []fieldError{{"name", f.Errors["name"]}}, "", "")
		}
		return err
	}
	if generated {
		return s.renderUsers(w, r, c, http.StatusOK, userForm{Role: evidence.Reviewer, Mode: "generate"}, nil, pw, f.Name)
	}
	http.Redirect(w, r, userURL(f.Name)+"?done=added", http.StatusSeeOther)
	return nil
}

// account returns the account named in the request's path, or a 404.
func (s *Server) account(r *http.Request) (evidence.User, error) {
	name := r.PathValue("name")
	u, err := s.db.User(name)
	if store.IsNotFound(err) {
		return u, errorf(http.StatusNotFound, "There is no account %q.", name)
	}
	return u, err
}

// userPage shows one account with the forms that change it.
func (s *Server) userPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	u, err := s.account(r)
	if err != nil {
		return err
	}
	notice := userNotices[r.URL.Query().Get("done")]
	return s.renderUser(w, r, c, http.StatusOK, u, userForm{Role: u.Role, Mode: "generate"}, nil, "", notice)
}

func (s *Server) renderUser(w http.ResponseWriter, r *http.Request, c *reqCtx, status int, u evidence.User, f userForm, errs []fieldError, generated, notice string) error {
	p := &usersPage{Roles: allRoles, Account: &u, Self: u.Name == c.user.Name, Form: f, Generated: generated}
	if generated != "" {
		p.GeneratedFor = u.Name
	}
	p.Title = "Account " + u.Name
	p.Nav = "admin"
	p.Errors = errs
	p.Notice = notice
	return s.render(w, r, c, status, "users", p)
}

// userRole changes an account's role. An admin cannot change their own
// role, so there is always an admin who can undo a change.
func (s *Server) userRole(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	u, err := s.account(r)
	if err != nil {
		return err
	}
	f := userForm{Role: u.Role, Mode: "generate", Errors: map[string]string{}}
	role, rerr := evidence.ParseRole(r.PostFormValue("role"))
	// An admin's own page has no role form: the error points at the
	// sentence that explains why.
	msg, field := "", "role-"+string(evidence.Viewer)
	switch {
	case u.Name == c.user.Name && role != u.Role:
		msg, field = "You cannot change your own role: ask another admin, so that the service is never left without one", "role-self"
	case rerr != nil:
		msg = "Choose a role"
	}
	if msg != "" {
		f.Errors["role"] = msg
		return s.renderUser(w, r, c, http.StatusBadRequest, u, f, []fieldError{{field, msg}}, "", "")
	}
	if role == u.Role {
		http.Redirect(w, r, userURL(u.Name), http.StatusSeeOther)
		return nil
	}
	if _, err := s.db.UpdateUser(c.user.Name, u.Name, "change role", func(x *evidence.User) error {
		x.Role = role
		return nil
	}); err != nil {
		return err
	}
	http.Redirect(w, r, userURL(u.Name)+"?done=role", http.StatusSeeOther)
	return nil
}

// userPassword resets an account's password, which ends every session of
// that account (the store does so in the same transaction).
func (s *Server) userPassword(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	u, err := s.account(r)
	if err != nil {
		return err
	}
	f := userForm{Role: u.Role, Errors: map[string]string{}}
	var errs []fieldError
	pw, generated := readNewPassword(r, &f, &errs)
	if len(errs) > 0 {
		return s.renderUser(w, r, c, http.StatusBadRequest, u, f, errs, "", "")
	}
	hash, err := HashPassword(pw)
	if err != nil {
		return err
	}
	u, err = s.db.UpdateUser(c.user.Name, u.Name, "change password", func(x *evidence.User) error {
		x.PasswordHash = hash
		return nil
	})
	if err != nil {
		return err
	}
	if generated {
		return s.renderUser(w, r, c, http.StatusOK, u, userForm{Role: u.Role, Mode: "generate"}, nil, pw, userNotices["password"])
	}
	http.Redirect(w, r, userURL(u.Name)+"?done=password", http.StatusSeeOther)
	return nil
}

// userStatus returns the handler that disables (ending every session) or
// enables an account. An admin cannot disable themself.
func (s *Server) userStatus(disable bool) handlerFunc {
	action, done := "enable user", "enabled"
	if disable {
		action, done = "disable user", "disabled"
	}
	return func(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
		u, err := s.account(r)
		if err != nil {
			return err
		}
		if disable && u.Name == c.user.Name {
			msg := "You cannot disable your own account: ask another admin, so that the service is never left without one"
			f := userForm{Role: u.Role, Mode: "generate", Errors: map[string]string{"status": msg}}
			return s.renderUser(w, r, c, http.StatusBadRequest, u, f, []fieldError{{"status", msg}}, "", "")
		}
		if u.Disabled != disable {
			if _, err := s.db.UpdateUser(c.user.Name, u.Name, action, func(x *evidence.User) error {
				x.Disabled = disable
				return nil
			}); err != nil {
				return err
			}
		}
		http.Redirect(w, r, userURL(u.Name)+"?done="+done, http.StatusSeeOther)
		return nil
	}
}
