package review

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/localoffer/localoffer/evidence"
	"github.com/localoffer/localoffer/store"
)

// routeAccess says, for every route, which roles may use it. A route the
// server has and this table lacks fails the test: adding a route means
// deciding who may use it, here and in routes.go.
var routeAccess = map[string][]evidence.Role{
	"GET /favicon.ico":                     nil, // public
	"GET /login":                           nil, // public
	"POST /login":                          nil, // public
	"POST /logout":                         roles,
	"GET /{$}":                             roles,
	"GET /keys":                            roles,
	"GET /a/{slug}":                        roles,
	"GET /a/{slug}/audit":                  roles,
	"GET /a/{slug}/s/{sub}/audit":          roles,
	"GET /a/{slug}/changes":                roles,
	"GET /a/{slug}/diff":                   roles,
	"GET /a/{slug}/items/{id}/changes":     roles,
	"GET /runs":                            roles,
	"POST /a/{slug}/items/{id}/accept":     {evidence.Reviewer, evidence.Adviser, evidence.Admin},
	"POST /a/{slug}/items/{id}/reject":     {evidence.Reviewer, evidence.Adviser, evidence.Admin},
	"POST /a/{slug}/items/{id}/undo":       {evidence.Reviewer, evidence.Adviser, evidence.Admin},
	"POST /a/{slug}/items/{id}/best":       {evidence.Reviewer, evidence.Adviser, evidence.Admin},
	"POST /a/{slug}/s/{sub}/items":         {evidence.Reviewer, evidence.Adviser, evidence.Admin},
	"POST /a/{slug}/s/{sub}/score":         {evidence.Reviewer, evidence.Adviser, evidence.Admin},
	"POST /a/{slug}/s/{sub}/reviewed":      {evidence.Reviewer, evidence.Adviser, evidence.Admin},
	"POST /a/{slug}/s/{sub}/adviser":       {evidence.Adviser},
	"GET /snapshot/{id}":                   roles,
	"GET /snapshot/{id}/raw":               roles,
	"GET /snapshot/{id}/file":              roles,
	"GET /agreement":                       roles,
	"POST /double/sample":                  {evidence.Admin},
	"GET /double/{slug}/{sub}":             {evidence.Reviewer, evidence.Adviser, evidence.Admin},
	"POST /double/{slug}/{sub}":            {evidence.Reviewer, evidence.Adviser, evidence.Admin},
	"GET /admin":                           {evidence.Admin},
	"GET /admin/backup":                    {evidence.Admin},
	"GET /admin/users":                     {evidence.Admin},
	"POST /admin/users":                    {evidence.Admin},
	"GET /admin/users/{name}":              {evidence.Admin},
	"POST /admin/users/{name}/role":        {evidence.Admin},
	"POST /admin/users/{name}/password":    {evidence.Admin},
	"POST /admin/users/{name}/disable":     {evidence.Admin},
	"POST /admin/users/{name}/enable":      {evidence.Admin},
	"POST /double/{slug}/{sub}/adjudicate": {evidence.Adviser, evidence.Admin},
}

// TestRoutesRoles requests every route as nobody and as every role. Roles
// the table allows must get through the gate (any status but 401, 403 or
// a redirect to the login page); the others must get 403, and nobody
// signed in must be sent to the login page (GET) or refused (POST).
func TestRoutesRoles(t *testing.T) {
	f := newFixture(t)
	// A pending double review (first reviewer "reviewer2") so that the
	// blind-review routes have something to serve.
	if _, err := f.db.AssignDoubleReview("admin1", store.DoubleReview{Authority: "brackenfield", Subsection: "post16.future", FirstReviewer: "reviewer2", FirstScore: evidence.Yes}); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, rt := range f.srv.routes {
		key := rt.method + " " + rt.pattern
		seen[key] = true
		allowed, ok := routeAccess[key]
		if !ok {
			t.Errorf("route %s is not in the test's access table: decide who may use it", key)
			continue
		}
		if (rt.access == public) != (allowed == nil) {
			t.Errorf("route %s: access %v, but the table says public=%v", key, rt.access, allowed == nil)
			continue
		}
		target := fillPattern(f, rt.pattern)
		if rt.access == public {
			// The login form has its own double-submit token and its
			// own test (TestLogin).
			continue
		}
		t.Run(key+"/anonymous", func(t *testing.T) {
			rec := f.do(rt.method, target, "", formFor(rt.method))
			switch rt.method {
			case http.MethodGet:
				if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/login") {
					t.Errorf("anonymous %s %s = %d (Location %q), want 303 to /login", rt.method, target, rec.Code, rec.Header().Get("Location"))
				}
			default:
				if rec.Code != http.StatusUnauthorized {
					t.Errorf("anonymous %s %s = %d, want 401", rt.method, target, rec.Code)
				}
			}
		})
		for _, role := range roles {
			t.Run(key+"/"+string(role), func(t *testing.T) {
				rec := f.do(rt.method, target, userOf(role), formFor(rt.method))
				may := false
				for _, a := range allowed {
					may = may || a == role
				}
				loc := rec.Header().Get("Location")
				if may {
					if rec.Code == http.StatusForbidden || rec.Code == http.StatusUnauthorized || strings.HasPrefix(loc, "/login") && rt.pattern != "/logout" {
						t.Errorf("%s %s as %s = %d (Location %q), want it let through", rt.method, target, role, rec.Code, loc)
					}
				} else if rec.Code != http.StatusForbidden {
					t.Errorf("%s %s as %s = %d, want 403", rt.method, target, role, rec.Code)
				}
			})
		}
	}
	for key := range routeAccess {
		if !seen[key] {
			t.Errorf("the test's table names %s, which the server no longer has", key)
		}
	}
}

func formFor(method string) url.Values {
	if method == http.MethodPost {
		return url.Values{}
	}
	return nil
}

// fillPattern puts fixture values into a route pattern.
func fillPattern(f *fixture, pattern string) string {
	p := strings.TrimSuffix(pattern, "{$}")
	sub := "general.graduated"
	if strings.HasPrefix(p, "/double/") {
		sub = "post16.future"
	}
	id := f.itemEHC
	if strings.HasPrefix(p, "/snapshot/") {
		id = f.snapEHC
	}
	// {name} is an account no other route's check signs in as, so that
	// disabling it or resetting its password leaves the others alone.
	return strings.NewReplacer("{slug}", "brackenfield", "{sub}", sub, "{id}", id, "{name}", "reviewer2").Replace(p)
}
