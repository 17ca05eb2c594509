package review

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/localoffer/localoffer/evidence"
	"github.com/localoffer/localoffer/store"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/net/html"
)

var generatedRE = regexp.MustCompile(`id="generated-password">([^<]+)<`)

// sessionCookieOf returns the session cookie a response sets, or nil.
func sessionCookieOf(rec *httptest.ResponseRecorder) *http.Cookie {
	for _, c := range rec.Result().Cookies() {
		if c.Name == sessionCookie && c.Value != "" {
			return c
		}
	}
	return nil
}

// getWith requests target with a session cookie.
func getWith(f *fixture, ck *http.Cookie, target string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.AddCookie(ck)
	rec := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(rec, req)
	return rec
}

// lastAudit returns the newest audit entry of action on target, or fails.
func lastAudit(t *testing.T, db *store.DB, action, target string) evidence.AuditEntry {
	t.Helper()
	log, err := db.AuditLog("", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range log {
		if e.Action == action && e.Target == target {
			return e
		}
	}
	t.Fatalf("no audit entry %q on %s", action, target)
	return evidence.AuditEntry{}
}

// TestUserAddThenSignIn adds accounts with a typed and with a generated
// password; each can then sign in with it and has the role given.
func TestUserAddThenSignIn(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name string
		role evidence.Role
		mode string
	}{
		{"ann", evidence.Reviewer, "type"},
		{"bob.smith@example", evidence.Viewer, "generate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{"name": {tt.name}, "role": {string(tt.role)}, "mode": {tt.mode}}
			pw := "a long enough secret"
			if tt.mode == "type" {
				form.Set("password", pw)
				form.Set("password2", pw)
			}
			rec := f.do("POST", "/admin/users", "admin1", form)
			if tt.mode == "type" {
				if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/users/"+tt.name+"?done=added" {
					t.Fatalf("add = %d (Location %q), want 303 to the account's page\n%s", rec.Code, rec.Header().Get("Location"), rec.Body.String())
				}
				if strings.Contains(rec.Body.String(), pw) {
					t.Error("the typed password is echoed back")
				}
			} else {
				if rec.Code != http.StatusOK {
					t.Fatalf("add = %d, want 200 with the generated password\n%s", rec.Code, rec.Body.String())
				}
				m := generatedRE.FindStringSubmatch(rec.Body.String())
				if m == nil {
					t.Fatalf("no generated password shown:\n%s", rec.Body.String())
				}
				pw = m[1]
				if err := CheckPassword(pw); err != nil {
					t.Errorf("generated password %q: %v", pw, err)
				}
				if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
					t.Errorf("page with a password has Cache-Control %q, want no-store", cc)
				}
			}
			u, err := f.db.User(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			if u.Role != tt.role || u.Disabled {
				t.Errorf("stored %+v, want role %s, active", u, tt.role)
			}
			if strings.Contains(string(u.PasswordHash), pw) {
				t.Error("the password is stored in clear")
			}
			e := lastAudit(t, f.db, "add user", tt.name)
			if e.User != "admin1" || strings.Contains(e.After, "$2") {
				t.Errorf("audit %+v: want by admin1 and no hash", e)
			}
			login := loginAs(t, f, tt.name, pw, false)
			if login.Code != http.StatusSeeOther || sessionCookieOf(login) == nil {
				t.Fatalf("the new account's sign-in = %d, want 303 with a session", login.Code)
			}
			if rec := getWith(f, sessionCookieOf(login), "/"); rec.Code != http.StatusOK {
				t.Errorf("the new account's dashboard = %d, want 200", rec.Code)
			}
			// Shown once: the account list does not show it again.
			if rec := f.do("GET", "/admin/users", "admin1", nil); rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), pw) || !strings.Contains(rec.Body.String(), tt.name) {
				t.Errorf("account list = %d; want 200 listing %s without the password", rec.Code, tt.name)
			}
		})
	}
}

// TestUserAddInvalid checks that each mistake in the add form is shown in
// an error summary that links to the field, keeps what was typed (not the
// passwords) and adds nothing.
func TestUserAddInvalid(t *testing.T) {
	f := newFixture(t)
	valid := func() url.Values {
		return url.Values{"name": {"carol"}, "role": {"reviewer"}, "mode": {"type"}, "password": {"a long enough secret"}, "password2": {"a long enough secret"}}
	}
	tests := []struct {
		name   string
		change func(url.Values)
		field  string
		want   int
	}{
		{"no name", func(v url.Values) { v.Set("name", " ") }, "name", http.StatusBadRequest},
		{"bad name", func(v url.Values) { v.Set("name", "carol jones") }, "name", http.StatusBadRequest},
		{"taken name", func(v url.Values) { v.Set("name", "reviewer1") }, "name", http.StatusBadRequest},
		{"no role", func(v url.Values) { v.Del("role") }, "role-viewer", http.StatusBadRequest},
		{"unknown role", func(v url.Values) { v.Set("role", "root") }, "role-viewer", http.StatusBadRequest},
		{"no password choice", func(v url.Values) { v.Del("mode") }, "mode-generate", http.StatusBadRequest},
		{"short password", func(v url.Values) { v.Set("password", "short"); v.Set("password2", "short") }, "password", http.StatusBadRequest},
		{"long password", func(v url.Values) { p := strings.Repeat("x", 73); v.Set("password", p); v.Set("password2", p) }, "password", http.StatusBadRequest},
		{"passwords differ", func(v url.Values) { v.Set("password2", "another long secret") }, "password2", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := valid()
			tt.change(form)
			before, err := f.db.Users()
			if err != nil {
				t.Fatal(err)
			}
			rec := f.do("POST", "/admin/users", "admin1", form)
			body := rec.Body.String()
			if rec.Code != tt.want {
				t.Fatalf("add = %d, want %d\n%s", rec.Code, tt.want, body)
			}
			if !strings.Contains(body, "There is a problem") || !strings.Contains(body, `href="#`+tt.field+`"`) || !strings.Contains(body, `id="`+tt.field+`"`) {
				t.Errorf("no error summary linking to #%s:\n%s", tt.field, body)
			}
			if strings.Contains(body, "a long enough secret") {
				t.Error("a typed password is sent back")
			}
			if n := strings.TrimSpace(form.Get("name")); n != "" && !strings.Contains(body, `value="`+n+`"`) {
				t.Errorf("the typed name %q is not kept", n)
			}
			after, err := f.db.Users()
			if err != nil {
				t.Fatal(err)
			}
			if len(after) != len(before) {
				t.Errorf("%d accounts after a refused add, want %d", len(after), len(before))
			}
		})
	}
}

// userPosts is one valid form for every state-changing account route,
// aimed at reviewer2.
func userPosts() []struct {
	path string
	form url.Values
} {
	return []struct {
		path string
		form url.Values
	}{
		{"/admin/users", url.Values{"name": {"mallory"}, "role": {"admin"}, "mode": {"type"}, "password": {"a long enough secret"}, "password2": {"a long enough secret"}}},
		{"/admin/users/reviewer2/role", url.Values{"role": {"admin"}}},
		{"/admin/users/reviewer2/password", url.Values{"mode": {"type"}, "password": {"a long enough secret"}, "password2": {"a long enough secret"}}},
		{"/admin/users/reviewer2/disable", url.Values{}},
	}
}

// unchanged fails the test if reviewer2 or the account list changed.
func unchanged(t *testing.T, f *fixture, what string) {
	t.Helper()
	u, err := f.db.User("reviewer2")
	if err != nil {
		t.Fatal(err)
	}
	if u.Role != evidence.Reviewer || u.Disabled || bcrypt.CompareHashAndPassword(u.PasswordHash, []byte(testPassword)) != nil {
		t.Errorf("%s changed reviewer2: %+v", what, u)
	}
	if _, err := f.db.User("mallory"); !store.IsNotFound(err) {
		t.Errorf("%s added an account (err %v)", what, err)
	}
}

// TestUserRoutesRefuseNonAdmins sends valid forms to every account route
// as every other role: each gets 403 and nothing changes.
func TestUserRoutesRefuseNonAdmins(t *testing.T) {
	f := newFixture(t)
	gets := []string{"/admin/users", "/admin/users/reviewer2"}
	for _, role := range []evidence.Role{evidence.Viewer, evidence.Reviewer, evidence.Adviser} {
		for _, p := range gets {
			if rec := f.do("GET", p, userOf(role), nil); rec.Code != http.StatusForbidden {
				t.Errorf("GET %s as %s = %d, want 403", p, role, rec.Code)
			}
		}
		for _, p := range userPosts() {
			if rec := f.do("POST", p.path, userOf(role), p.form); rec.Code != http.StatusForbidden {
				t.Errorf("POST %s as %s = %d, want 403", p.path, role, rec.Code)
			}
			unchanged(t, f, "POST "+p.path+" as "+string(role))
		}
	}
}

// TestUserRoutesNeedCSRF sends valid forms as an admin with a wrong or no
// CSRF token: each is refused and nothing changes.
func TestUserRoutesNeedCSRF(t *testing.T) {
	f := newFixture(t)
	for _, tok := range []string{"", "forged-token"} {
		for _, p := range append(userPosts(), struct {
			path string
			form url.Values
		}{"/admin/users/reviewer2/enable", url.Values{}}) {
			p.form.Set("csrf", tok)
			if rec := f.do("POST", p.path, "admin1", p.form); rec.Code != http.StatusForbidden {
				t.Errorf("POST %s with csrf %q = %d, want 403", p.path, tok, rec.Code)
			}
			unchanged(t, f, "POST "+p.path+" without a valid token")
		}
	}
	// The same forms with the session's token go through, so the refusals
	// above were the token's doing.
	for _, p := range userPosts() {
		if rec := f.do("POST", p.path, "admin1", p.form); rec.Code != http.StatusSeeOther {
			t.Errorf("POST %s with the token = %d, want 303\n%s", p.path, rec.Code, rec.Body.String())
		}
	}
}

// TestAdminCannotLockThemselfOut: an admin's own role and status cannot be
// changed by themself; another admin's can.
func TestAdminCannotLockThemselfOut(t *testing.T) {
	f := newFixture(t)
	ck, csrf := f.session("admin1")
	post := func(path string, form url.Values) *httptest.ResponseRecorder {
		form.Set("csrf", csrf)
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(ck)
		rec := httptest.NewRecorder()
		f.srv.Handler().ServeHTTP(rec, req)
		return rec
	}
	refused := []struct {
		name, path string
		form       url.Values
		field      string
	}{
		{"demote to reviewer", "/admin/users/admin1/role", url.Values{"role": {"reviewer"}}, "role-self"},
		{"demote to viewer", "/admin/users/admin1/role", url.Values{"role": {"viewer"}}, "role-self"},
		{"disable", "/admin/users/admin1/disable", url.Values{}, "status"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			rec := post(tt.path, tt.form)
			body := rec.Body.String()
			if rec.Code != http.StatusBadRequest || !strings.Contains(body, `href="#`+tt.field+`"`) || !strings.Contains(body, `id="`+tt.field+`"`) {
				t.Fatalf("%s = %d, want 400 with an error summary linking to #%s\n%s", tt.path, rec.Code, tt.field, body)
			}
			u, err := f.db.User("admin1")
			if err != nil {
				t.Fatal(err)
			}
			if u.Role != evidence.Admin || u.Disabled {
				t.Errorf("admin1 is now %+v", u)
			}
			if rec := getWith(f, ck, "/admin"); rec.Code != http.StatusOK {
				t.Errorf("admin1's session after a refused %s: /admin = %d, want 200", tt.name, rec.Code)
			}
		})
	}
	// The admin's own page offers neither form.
	page := getWith(f, ck, "/admin/users/admin1").Body.String()
	if strings.Contains(page, `action="/admin/users/admin1/role"`) || strings.Contains(page, `action="/admin/users/admin1/disable"`) {
		t.Error("an admin's own page offers to demote or disable them")
	}
	// A second admin can be demoted and disabled by the first.
	hash, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.db.CreateUser("test", evidence.User{Name: "admin2", Role: evidence.Admin, PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	if rec := post("/admin/users/admin2/role", url.Values{"role": {"adviser"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("demote admin2 = %d, want 303\n%s", rec.Code, rec.Body.String())
	}
	if rec := post("/admin/users/admin2/disable", url.Values{}); rec.Code != http.StatusSeeOther {
		t.Fatalf("disable admin2 = %d, want 303", rec.Code)
	}
	u, err := f.db.User("admin2")
	if err != nil {
		t.Fatal(err)
	}
	if u.Role != evidence.Adviser || !u.Disabled {
		t.Errorf("admin2 = %+v, want a disabled adviser", u)
	}
	e := lastAudit(t, f.db, "change role", "admin2")
	if e.User != "admin1" || !strings.Contains(e.Before, `"admin"`) || !strings.Contains(e.After, `"adviser"`) {
		t.Errorf("role audit %+v", e)
	}
}

// TestUserPasswordResetEndsSessions resets a password (typed, then
// generated): the account's open sessions end, the old password stops
// working and the new one works.
func TestUserPasswordResetEndsSessions(t *testing.T) {
	f := newFixture(t)
	old := testPassword
	for _, mode := range []string{"type", "generate"} {
		t.Run(mode, func(t *testing.T) {
			ck, _ := f.session("reviewer1")
			if rec := getWith(f, ck, "/"); rec.Code != http.StatusOK {
				t.Fatalf("before the reset: dashboard = %d", rec.Code)
			}
			form := url.Values{"mode": {mode}}
			pw := "reset to this " + mode
			if mode == "type" {
				form.Set("password", pw)
				form.Set("password2", pw)
			}
			rec := f.do("POST", "/admin/users/reviewer1/password", "admin1", form)
			if mode == "type" {
				if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/users/reviewer1?done=password" {
					t.Fatalf("reset = %d (Location %q), want 303\n%s", rec.Code, rec.Header().Get("Location"), rec.Body.String())
				}
			} else {
				m := generatedRE.FindStringSubmatch(rec.Body.String())
				if rec.Code != http.StatusOK || m == nil {
					t.Fatalf("reset = %d, want 200 showing the password\n%s", rec.Code, rec.Body.String())
				}
				pw = m[1]
			}
			if rec := getWith(f, ck, "/"); rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/login") {
				t.Errorf("after the reset the old session got %d (Location %q), want a redirect to sign in", rec.Code, rec.Header().Get("Location"))
			}
			if rec := loginAs(t, f, "reviewer1", old, false); rec.Code != http.StatusUnauthorized {
				t.Errorf("the old password signs in: %d", rec.Code)
			}
			if rec := loginAs(t, f, "reviewer1", pw, false); rec.Code != http.StatusSeeOther {
				t.Errorf("the new password = %d, want 303", rec.Code)
			}
			e := lastAudit(t, f.db, "change password", "reviewer1")
			if e.User != "admin1" || strings.Contains(e.Before+e.After, "$2") {
				t.Errorf("password audit %+v: want by admin1, without hashes", e)
			}
			old = pw
		})
	}
	// A refused reset changes nothing and keeps the sessions.
	ck, _ := f.session("reviewer1")
	rec := f.do("POST", "/admin/users/reviewer1/password", "admin1", url.Values{"mode": {"type"}, "password": {"short"}, "password2": {"short"}})
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `href="#password"`) {
		t.Errorf("short reset = %d, want 400 with an error summary", rec.Code)
	}
	if rec := getWith(f, ck, "/"); rec.Code != http.StatusOK {
		t.Errorf("a refused reset ended the session: %d", rec.Code)
	}
}

// TestUserDisableEnable disables an account (its sessions end and it
// cannot sign in), then enables it again, each step audited.
func TestUserDisableEnable(t *testing.T) {
	f := newFixture(t)
	ck, _ := f.session("adviser1")
	if rec := f.do("POST", "/admin/users/adviser1/disable", "admin1", url.Values{}); rec.Code != http.StatusSeeOther {
		t.Fatalf("disable = %d, want 303", rec.Code)
	}
	if rec := getWith(f, ck, "/"); rec.Code != http.StatusSeeOther {
		t.Errorf("a disabled account's session still works: %d", rec.Code)
	}
	if rec := loginAs(t, f, "adviser1", testPassword, false); rec.Code != http.StatusUnauthorized {
		t.Errorf("a disabled account signs in: %d", rec.Code)
	}
	if e := lastAudit(t, f.db, "disable user", "adviser1"); e.User != "admin1" || !strings.Contains(e.After, `"disabled":true`) {
		t.Errorf("disable audit %+v", e)
	}
	page := f.do("GET", "/admin/users/adviser1?done=disabled", "admin1", nil).Body.String()
	if !strings.Contains(page, "Account disabled") || !strings.Contains(page, `action="/admin/users/adviser1/enable"`) {
		t.Errorf("the disabled account's page lacks the notice or the enable form:\n%s", page)
	}
	if rec := f.do("POST", "/admin/users/adviser1/enable", "admin1", url.Values{}); rec.Code != http.StatusSeeOther {
		t.Fatalf("enable = %d, want 303", rec.Code)
	}
	if rec := loginAs(t, f, "adviser1", testPassword, false); rec.Code != http.StatusSeeOther {
		t.Errorf("an enabled account cannot sign in: %d", rec.Code)
	}
	if e := lastAudit(t, f.db, "enable user", "adviser1"); e.User != "admin1" || strings.Contains(e.After, "disabled") {
		t.Errorf("enable audit %+v", e)
	}
	if rec := f.do("POST", "/admin/users/nobody/disable", "admin1", url.Values{}); rec.Code != http.StatusNotFound {
		t.Errorf("disable an unknown account = %d, want 404", rec.Code)
	}
}

func TestGeneratePassword(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		pw := generatePassword()
		if err := CheckPassword(pw); err != nil {
			t.Fatalf("%q: %v", pw, err)
		}
		if len(pw) != 19 || strings.Trim(pw, generatedAlphabet+"-") != "" || strings.Count(pw, "-") != 3 {
			t.Fatalf("%q is not four groups of four from the alphabet", pw)
		}
		if seen[pw] {
			t.Fatalf("%q generated twice", pw)
		}
		seen[pw] = true
	}
}

// TestUserPagesStructure checks the account pages, plain and with errors,
// for what assistive technology relies on: unique ids, labels and error
// summary links that point at something, one h1.
func TestUserPagesStructure(t *testing.T) {
	f := newFixture(t)
	pages := []struct {
		method, path string
		form         url.Values
	}{
		{"GET", "/admin/users", nil},
		{"GET", "/admin/users/reviewer1", nil},
		{"GET", "/admin/users/admin1", nil},
		{"POST", "/admin/users", url.Values{"name": {"bad name"}, "mode": {"type"}, "password": {"x"}}},
		{"POST", "/admin/users/reviewer1/password", url.Values{"mode": {"type"}, "password": {"a long enough secret"}, "password2": {"different"}}},
		{"POST", "/admin/users/admin1/role", url.Values{"role": {"viewer"}}},
		{"POST", "/admin/users/admin1/disable", url.Values{}},
	}
	for _, p := range pages {
		rec := f.do(p.method, p.path, "admin1", p.form)
		doc, err := html.Parse(strings.NewReader(rec.Body.String()))
		if err != nil {
			t.Fatalf("%s %s: %v", p.method, p.path, err)
		}
		ids := map[string]int{}
		var refs []string
		h1 := 0
		var walk func(n *html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode {
				if id := attr(n, "id"); id != "" {
					ids[id]++
				}
				switch n.Data {
				case "label":
					refs = append(refs, attr(n, "for"))
				case "a":
					if h := attr(n, "href"); strings.HasPrefix(h, "#") && len(h) > 1 {
						refs = append(refs, h[1:])
					}
				case "h1":
					h1++
				}
				for _, d := range strings.Fields(attr(n, "aria-describedby")) {
					refs = append(refs, d)
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(doc)
		if h1 != 1 {
			t.Errorf("%s %s: %d h1, want 1", p.method, p.path, h1)
		}
		for id, n := range ids {
			if n > 1 {
				t.Errorf("%s %s: id %q used %d times", p.method, p.path, id, n)
			}
		}
		for _, r := range refs {
			if ids[r] == 0 {
				t.Errorf("%s %s: a label, link or description points at #%s, which is not on the page", p.method, p.path, r)
			}
		}
		if p.method == "POST" && !strings.Contains(rec.Body.String(), "There is a problem") {
			t.Errorf("%s %s = %d without an error summary", p.method, p.path, rec.Code)
		}
	}
}
