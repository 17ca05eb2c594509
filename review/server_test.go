package review

import (
	"crypto/tls"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/localoffer/localoffer/evidence"
	"github.com/localoffer/localoffer/store"
	"golang.org/x/net/html"
)

// loginAs runs the real sign-in form: GET /login for its cookie and token,
// then POST. It returns the response to the POST.
func loginAs(t *testing.T, f *fixture, name, pw string, tlsOn bool) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("GET", "/login", nil)
	rec := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /login = %d", rec.Code)
	}
	var ck *http.Cookie
	for _, c := range rec.Result().Cookies() {
		if c.Name == loginCookie {
			ck = c
		}
	}
	m := csrfRE.FindStringSubmatch(rec.Body.String())
	if ck == nil || m == nil {
		t.Fatalf("login form has no token cookie or field")
	}
	form := url.Values{"name": {name}, "password": {pw}, "csrf": {m[1]}, "next": {"/a/brackenfield"}}
	req = httptest.NewRequest("POST", "/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(ck)
	if tlsOn {
		req.TLS = &tls.ConnectionState{}
	}
	rec = httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(rec, req)
	return rec
}

func TestLogin(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, user, pw string
		tls            bool
		want           int
	}{
		{"wrong password", "reviewer1", "not the password", false, http.StatusUnauthorized},
		{"unknown user", "nobody", testPassword, false, http.StatusUnauthorized},
		{"empty", "", "", false, http.StatusBadRequest},
		{"right", "reviewer1", testPassword, false, http.StatusSeeOther},
		{"right over TLS", "viewer1", testPassword, true, http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := loginAs(t, f, tt.user, tt.pw, tt.tls)
			if rec.Code != tt.want {
				t.Fatalf("login = %d, want %d\n%s", rec.Code, tt.want, rec.Body.String())
			}
			if tt.want != http.StatusSeeOther {
				if !strings.Contains(rec.Body.String(), "There is a problem") {
					t.Errorf("failed login shows no error summary")
				}
				return
			}
			if loc := rec.Header().Get("Location"); loc != "/a/brackenfield" {
				t.Errorf("redirect to %q, want the page asked for", loc)
			}
			var sess *http.Cookie
			for _, c := range rec.Result().Cookies() {
				if c.Name == sessionCookie {
					sess = c
				}
			}
			if sess == nil {
				t.Fatal("no session cookie")
			}
			if !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode || sess.Secure != tt.tls {
				t.Errorf("session cookie HttpOnly=%v SameSite=%v Secure=%v, want true, Lax, %v", sess.HttpOnly, sess.SameSite, sess.Secure, tt.tls)
			}
			// The cookie opens the dashboard.
			req := httptest.NewRequest("GET", "/", nil)
			req.AddCookie(sess)
			rr := httptest.NewRecorder()
			f.srv.Handler().ServeHTTP(rr, req)
			if rr.Code != http.StatusOK || !strings.Contains(rr.Body.String(), tt.user) {
				t.Errorf("dashboard with the new session = %d", rr.Code)
			}
		})
	}
	t.Run("without the form token", func(t *testing.T) {
		form := url.Values{"name": {"reviewer1"}, "password": {testPassword}}
		req := httptest.NewRequest("POST", "/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		f.srv.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusForbidden {
			t.Errorf("login without token = %d, want 403", rec.Code)
		}
	})
	t.Run("offsite next", func(t *testing.T) {
		for _, next := range []string{"//evil.example/", "https://evil.example/", "/\\evil.example"} {
			if got := safeNext(next); got != "/" {
				t.Errorf("safeNext(%q) = %q, want /", next, got)
			}
		}
	})
}

func TestLoginRateLimit(t *testing.T) {
	f := newFixture(t)
	for i := 0; i < DefaultLoginLimit; i++ {
		if rec := loginAs(t, f, "adviser1", "wrong password!", false); rec.Code != http.StatusUnauthorized {
			t.Fatalf("attempt %d = %d, want 401", i+1, rec.Code)
		}
	}
	rec := loginAs(t, f, "adviser1", testPassword, false)
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("login after %d failures = %d, want 429", DefaultLoginLimit, rec.Code)
	}
	if rec.Header().Get("Retry-After") == "" {
		t.Error("no Retry-After header")
	}
	// The window passes.
	f.srv.cfg.Now = func() time.Time { return time.Now().Add(DefaultLoginWindow + time.Minute) }
	if rec := loginAs(t, f, "adviser1", testPassword, false); rec.Code != http.StatusSeeOther {
		t.Fatalf("login after the window = %d, want 303", rec.Code)
	}
}

func TestStaticIsPublicAndPagesAreNot(t *testing.T) {
	f := newFixture(t)
	if rec := f.do("GET", "/static/app.css", "", nil); rec.Code != http.StatusOK {
		t.Errorf("GET /static/app.css anonymously = %d, want 200", rec.Code)
	}
	for _, p := range []string{"/no/such/page", "/a/brackenfield", "/static/../review.db"} {
		rec := f.do("GET", p, "", nil)
		if rec.Code == http.StatusOK {
			t.Errorf("GET %s anonymously = 200", p)
		}
	}
	if rec := f.do("GET", "/no/such/page", "viewer1", nil); rec.Code != http.StatusNotFound {
		t.Errorf("unknown page signed in = %d, want 404", rec.Code)
	}
}

func TestCSRFRejected(t *testing.T) {
	f := newFixture(t)
	for _, tok := range []string{"", "forged-token"} {
		form := url.Values{"csrf": {tok}}
		rec := f.do("POST", "/a/brackenfield/items/"+f.itemEHC+"/accept", "reviewer1", form)
		if rec.Code != http.StatusForbidden {
			t.Errorf("accept with csrf %q = %d, want 403", tok, rec.Code)
		}
	}
	// A token from another session is no good either.
	_, other := f.session("reviewer2")
	rec := f.do("POST", "/a/brackenfield/items/"+f.itemEHC+"/accept", "reviewer1", url.Values{"csrf": {other}})
	if rec.Code != http.StatusForbidden {
		t.Errorf("accept with another session's token = %d, want 403", rec.Code)
	}
	it, err := f.db.Item("brackenfield", f.itemEHC)
	if err != nil {
		t.Fatal(err)
	}
	if it.Status != evidence.Proposed {
		t.Errorf("item status after rejected posts = %s, want proposed", it.Status)
	}
	// A cross-site browser request is refused before the handler runs.
	req := httptest.NewRequest("POST", "/a/brackenfield/items/"+f.itemEHC+"/accept", strings.NewReader(""))
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	rr := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(rr, req)
	if rr.Code != http.StatusForbidden {
		t.Errorf("cross-site POST = %d, want 403", rr.Code)
	}
}

func TestAcceptMovesOnAndIsAudited(t *testing.T) {
	f := newFixture(t)
	rec := f.do("POST", "/a/brackenfield/items/"+f.itemEHC+"/accept", "reviewer1", url.Values{})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("accept = %d: %s", rec.Code, rec.Body.String())
	}
	loc := rec.Header().Get("Location")
	if !strings.HasPrefix(loc, "/a/brackenfield?done=accepted#") || strings.HasSuffix(loc, f.itemEHC) {
		t.Errorf("after accept, redirect to %q, want the next card", loc)
	}
	it, _ := f.db.Item("brackenfield", f.itemEHC)
	if it.Status != evidence.Accepted || it.UpdatedBy != "reviewer1" {
		t.Errorf("item = %s by %s, want accepted by reviewer1", it.Status, it.UpdatedBy)
	}
	log, _ := f.db.AuditLog("brackenfield", "general.graduated", 0)
	if len(log) == 0 || log[0].Action != "accept evidence" || log[0].User != "reviewer1" || !strings.Contains(log[0].Before, `"status":"proposed"`) || !strings.Contains(log[0].After, `"status":"accepted"`) {
		t.Errorf("audit = %+v, want accept evidence with before and after", log)
	}
	// Undo brings it back, and the audit page shows both changes.
	if rec := f.do("POST", "/a/brackenfield/items/"+f.itemEHC+"/undo", "reviewer1", url.Values{}); rec.Code != http.StatusSeeOther {
		t.Fatalf("undo = %d", rec.Code)
	}
	if it, _ := f.db.Item("brackenfield", f.itemEHC); it.Status != evidence.Proposed {
		t.Errorf("after undo status = %s", it.Status)
	}
	page := f.do("GET", "/a/brackenfield/s/general.graduated/audit", "viewer1", nil).Body.String()
	for _, want := range []string{"accept evidence", "undo evidence decision", "reviewer1", "<del>proposed</del>", "<ins>accepted</ins>"} {
		if !strings.Contains(page, want) {
			t.Errorf("sub-section audit page lacks %q", want)
		}
	}
}

func TestScoreValidationKeepsInput(t *testing.T) {
	f := newFixture(t)
	rec := f.do("POST", "/a/brackenfield/s/general.funding/score", "reviewer1", url.Values{"version": {"0"}, "rationale": {"Top-up process is only named, not described"}})
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("score without a score = %d, want 400", rec.Code)
	}
	body := rec.Body.String()
	for _, want := range []string{"There is a problem", "Choose Yes, Partial or No", "Top-up process is only named, not described", `href="#score-general-funding-yes"`} {
		if !strings.Contains(body, want) {
			t.Errorf("error page lacks %q", want)
		}
	}
}

func TestConflict(t *testing.T) {
	f := newFixture(t)
	// Both reviewers opened the page at version 0.
	first := f.do("POST", "/a/fellside/s/schools.future/score", "reviewer1", url.Values{"version": {"0"}, "score": {"Partial"}, "rationale": {"Transition support is described only for year 11."}, "reviewed": {"on"}})
	if first.Code != http.StatusSeeOther {
		t.Fatalf("first save = %d", first.Code)
	}
	second := f.do("POST", "/a/fellside/s/schools.future/score", "reviewer2", url.Values{"version": {"0"}, "score": {"Yes"}, "rationale": {"Clear year 9 to post-16 guidance."}})
	if second.Code != http.StatusConflict {
		t.Fatalf("second save = %d, want 409", second.Code)
	}
	body := second.Body.String()
	for _, want := range []string{"reviewer1 set the score to Partial", "Transition support is described only for year 11.", "Clear year 9 to post-16 guidance.", "not saved"} {
		if !strings.Contains(body, want) {
			t.Errorf("conflict page lacks %q", want)
		}
	}
	d, _ := f.db.Decision("fellside", "schools.future")
	if d.FinalScore != evidence.Partial || d.UpdatedBy != "reviewer1" || d.Version != 1 {
		t.Errorf("stored decision = %+v, want reviewer1's Partial at version 1", d)
	}
	// Saving again from the conflict page (it carries version 1) replaces it.
	m := `name="version" value="1"`
	if !strings.Contains(body, m) {
		t.Fatalf("conflict page's form does not carry the current version")
	}
	again := f.do("POST", "/a/fellside/s/schools.future/score", "reviewer2", url.Values{"version": {"1"}, "score": {"Yes"}, "rationale": {"Clear year 9 to post-16 guidance."}})
	if again.Code != http.StatusSeeOther {
		t.Fatalf("save after conflict = %d", again.Code)
	}
	if d, _ := f.db.Decision("fellside", "schools.future"); d.FinalScore != evidence.Yes || d.Version != 2 {
		t.Errorf("decision after resave = %+v", d)
	}
}

func TestMarkReviewedAgreesWithSuggestion(t *testing.T) {
	f := newFixture(t)
	sugs, _ := f.db.Suggestions("brackenfield")
	rec := f.do("POST", "/a/brackenfield/s/early_years.admission/reviewed", "reviewer1", url.Values{"version": {"0"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("mark reviewed = %d", rec.Code)
	}
	if loc := rec.Header().Get("Location"); !strings.HasSuffix(loc, "#sub-early-years-identification") {
		t.Errorf("after marking reviewed, redirect to %q, want the next sub-section", loc)
	}
	d, _ := f.db.Decision("brackenfield", "early_years.admission")
	if !d.Reviewed || d.FinalScore != sugs["early_years.admission"].Score || d.ReviewedBy != "reviewer1" {
		t.Errorf("decision = %+v, want reviewed with the suggested score", d)
	}
	dash := f.do("GET", "/", "viewer1", nil).Body.String()
	if !strings.Contains(dash, `data-cell="brackenfield/early_years.admission">`+string(d.FinalScore)) {
		t.Errorf("dashboard does not show the reviewed score")
	}
}

func TestAdviserJudgement(t *testing.T) {
	f := newFixture(t)
	sugs, _ := f.db.Suggestions("brackenfield")
	var partial, yes string
	for id, s := range sugs {
		switch s.Score {
		case evidence.Partial:
			partial = id
		case evidence.Yes:
			yes = id
		}
	}
	if partial == "" || yes == "" {
		t.Fatalf("fixture needs a Partial and a Yes sub-section: %v", sugs)
	}
	page := f.do("GET", "/a/brackenfield", "adviser1", nil).Body.String()
	if !strings.Contains(page, `action="/a/brackenfield/s/`+partial+`/adviser"`) {
		t.Errorf("the adviser sees no judgement form on the Partial %s", partial)
	}
	if p := f.do("GET", "/a/brackenfield", "reviewer1", nil).Body.String(); strings.Contains(p, "/adviser\"") {
		t.Errorf("a reviewer sees an adviser judgement form")
	}
	rec := f.do("POST", "/a/brackenfield/s/"+partial+"/adviser", "adviser1", url.Values{"version": {"0"}, "judgement": {"The funding route is named but no thresholds are given; families would need to call."}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("adviser save = %d: %s", rec.Code, rec.Body.String())
	}
	if d, _ := f.db.Decision("brackenfield", partial); d.AdviserBy != "adviser1" || !strings.Contains(d.AdviserJudgement, "thresholds") {
		t.Errorf("decision = %+v", d)
	}
	if rec := f.do("POST", "/a/brackenfield/s/"+yes+"/adviser", "adviser1", url.Values{"version": {"0"}, "judgement": {"x"}}); rec.Code != http.StatusBadRequest {
		t.Errorf("judgement on a Yes = %d, want 400", rec.Code)
	}
}

func TestAddEvidence(t *testing.T) {
	f := newFixture(t)
	bad := f.do("POST", "/a/brackenfield/s/general.graduated/items", "reviewer1", url.Values{"url": {"javascript:alert(1)"}, "quote": {""}, "criterion": {"general.graduated.apdr"}})
	if bad.Code != http.StatusBadRequest || !strings.Contains(bad.Body.String(), "Enter a full web address") || !strings.Contains(bad.Body.String(), "Enter the passage") {
		t.Fatalf("bad add = %d", bad.Code)
	}
	u := "https://brackenfield.example/send/local-offer/graduated-approach"
	rec := f.do("POST", "/a/brackenfield/s/general.graduated/items", "reviewer1", url.Values{"url": {u}, "quote": {"follow a cycle of assess, plan, do and review"}, "criterion": {"general.graduated.apdr"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("add = %d: %s", rec.Code, rec.Body.String())
	}
	items, _ := f.db.Items("brackenfield", "general.graduated")
	var got *evidence.Item
	for i := range items {
		if items[i].Origin == evidence.Manual {
			got = &items[i]
		}
	}
	if got == nil || got.Status != evidence.Accepted || got.SnapshotID != f.snapGrad || got.Title != "The graduated approach | Brackenfield Local Offer" || got.CreatedBy != "reviewer1" {
		t.Errorf("added item = %+v", got)
	}
}

// TestXSS: a crawled page whose title and text carry script and onerror
// payloads stays inert on the authority page and in the snapshot viewer.
func TestXSS(t *testing.T) {
	f := newFixture(t)
	page := f.do("GET", "/a/brackenfield", "viewer1", nil)
	body := page.Body.String()
	if strings.Contains(body, `<script>alert`) || strings.Contains(body, "<img src=x") {
		t.Errorf("authority page carries a live payload")
	}
	if !strings.Contains(body, `&lt;script&gt;alert(&#34;item&#34;)&lt;/script&gt;`) {
		t.Errorf("authority page does not show the escaped title")
	}
	if csp := page.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") && strings.Contains(csp, "script-src 'unsafe-inline'") {
		t.Errorf("UI CSP = %q", csp)
	}

	outer := f.do("GET", "/snapshot/"+f.snapEHC+"?item="+f.itemEHC, "viewer1", nil)
	if outer.Code != http.StatusOK {
		t.Fatalf("snapshot page = %d", outer.Code)
	}
	ob := outer.Body.String()
	if strings.Contains(ob, "<script>alert") {
		t.Errorf("snapshot page carries a live payload")
	}
	for _, want := range []string{`sandbox="allow-top-navigation-by-user-activation"`, "/snapshot/" + f.snapEHC + "/raw?item=" + f.itemEHC + "#lo-passage", "SHA-256"} {
		if !strings.Contains(ob, want) {
			t.Errorf("snapshot page lacks %q", want)
		}
	}

	raw := f.do("GET", "/snapshot/"+f.snapEHC+"/raw?item="+f.itemEHC, "viewer1", nil)
	csp := raw.Header().Get("Content-Security-Policy")
	for _, want := range []string{"sandbox", "default-src 'none'", "img-src data:"} {
		if !strings.Contains(csp, want) {
			t.Errorf("raw CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "allow-scripts") || strings.Contains(csp, "allow-same-origin") {
		t.Errorf("raw CSP allows scripts or same origin: %q", csp)
	}
	rb := raw.Body.String()
	lower := strings.ToLower(rb)
	for _, bad := range []string{"<script", "javascript:", "<iframe", "http-equiv", "<base", "evil.example", "tracker.example", `<form action`} {
		if strings.Contains(lower, bad) {
			t.Errorf("inert page still contains %q", bad)
		}
	}
	z := html.NewTokenizer(strings.NewReader(rb))
	for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
		tok := z.Token()
		for _, a := range tok.Attr {
			if strings.HasPrefix(strings.ToLower(a.Key), "on") || a.Key == "src" && !strings.HasPrefix(a.Val, "data:") {
				t.Errorf("inert page keeps <%s %s=%q>", tok.Data, a.Key, a.Val)
			}
		}
	}
	for _, want := range []string{
		`id="lo-passage"`, // the passage is marked
		`href="/snapshot/` + f.snapGrad + `" target="_top"`, // captured links point to the viewer
		`class="lo-uncaptured"`,                             // others are disabled
		`&lt;img src=x onerror=alert(1)&gt;`,                // text payloads stay text
		"font-family: Georgia",                              // the captured stylesheet is inlined
	} {
		if !strings.Contains(rb, want) {
			t.Errorf("inert page lacks %q", want)
		}
	}
}

func TestPDFTextView(t *testing.T) {
	f := newFixture(t)
	items, _ := f.db.Items("brackenfield", "general.feedback")
	var id string
	for _, it := range items {
		if it.SnapshotID == f.snapPDF {
			id = it.ID
		}
	}
	if id == "" {
		t.Fatal("fixture has no PDF item")
	}
	rec := f.do("GET", "/snapshot/"+f.snapPDF+"?item="+id, "viewer1", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("PDF view = %d", rec.Code)
	}
	body := rec.Body.String()
	if !strings.Contains(body, `<mark id="passage" class="passage">`) || !strings.Contains(body, "/snapshot/"+f.snapPDF+"/file") {
		t.Errorf("PDF view lacks the marked passage or the file link:\n%s", body)
	}
	file := f.do("GET", "/snapshot/"+f.snapPDF+"/file", "viewer1", nil)
	if file.Header().Get("Content-Type") != "application/pdf" || !strings.HasPrefix(file.Body.String(), "%PDF") || !strings.Contains(file.Header().Get("Content-Disposition"), "attachment") {
		t.Errorf("file download: %v", file.Header())
	}
}

func TestDashboardFilters(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		query       string
		want, wantN []string
	}{
		{"", []string{"Brackenfield", "Fellside", "Merrow Bridge"}, nil},
		{"?region=North+East", []string{"Merrow Bridge"}, []string{"Fellside Council</a>"}},
		{"?show=stale", nil, []string{"Brackenfield Borough Council</a>", "Fellside Council</a>"}},
		{"?show=unreviewed", []string{"Brackenfield", "Fellside"}, nil},
	}
	for _, tt := range tests {
		body := f.do("GET", "/"+tt.query, "viewer1", nil).Body.String()
		for _, w := range tt.want {
			if !strings.Contains(body, w) {
				t.Errorf("dashboard%s lacks %q", tt.query, w)
			}
		}
		for _, w := range tt.wantN {
			if strings.Contains(body, w) {
				t.Errorf("dashboard%s shows %q", tt.query, w)
			}
		}
	}
	// Stale evidence and a decision needing re-review show up.
	if _, err := f.db.UpdateItem("system", "fellside", itemIDOf(t, f, "fellside"), func(it *evidence.Item) (string, error) {
		it.Stale, it.StaleReason = true, "page changed on re-crawl"
		return "mark stale", nil
	}); err != nil {
		t.Fatal(err)
	}
	body := f.do("GET", "/?show=stale", "viewer1", nil).Body.String()
	if !strings.Contains(body, "Fellside Council</a>") || strings.Contains(body, "Brackenfield Borough Council</a>") || !strings.Contains(body, "evidence stale") {
		t.Errorf("stale filter does not pick out fellside")
	}
}

func itemIDOf(t *testing.T, f *fixture, slug string) string {
	items, err := f.db.Items(slug, "")
	if err != nil || len(items) == 0 {
		t.Fatalf("no items for %s", slug)
	}
	return items[0].ID
}

func TestDoubleReview(t *testing.T) {
	f := newFixture(t)
	// reviewer1 reviews fellside's post-16 admission as Yes.
	sub := "post16.admission"
	if rec := f.do("POST", "/a/fellside/s/"+sub+"/score", "reviewer1", url.Values{"version": {"0"}, "score": {"Yes"}, "rationale": {"The section 41 list is linked with an explanation of how to request a place."}, "reviewed": {"on"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("score = %d", rec.Code)
	}
	if rec := f.do("POST", "/double/sample", "admin1", url.Values{"count": {"5"}, "reviewer": {"reviewer2"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("sample = %d: %s", rec.Code, rec.Body.String())
	}
	d, err := f.db.DoubleReviewOf("fellside", sub)
	if err != nil || d.State != store.DoublePending || d.FirstReviewer != "reviewer1" || d.SecondReviewer != "reviewer2" {
		t.Fatalf("double review = %+v, %v", d, err)
	}
	// reviewer2 is blind: no suggestion, no first decision, no audit.
	page := f.do("GET", "/a/fellside", "reviewer2", nil).Body.String()
	i := strings.Index(page, `id="sub-post16-admission"`)
	j := strings.Index(page, `id="sub-post16-identification"`)
	if i < 0 || j < i {
		t.Fatal("authority page lacks the sub-sections")
	}
	sec := page[i:j]
	if strings.Contains(sec, "section 41 list is linked") || strings.Contains(sec, "tag--suggested") || !strings.Contains(sec, "Score it blind") {
		t.Errorf("blind reviewer sees the first decision or the suggestion:\n%s", sec)
	}
	if rec := f.do("GET", "/a/fellside/s/"+sub+"/audit", "reviewer2", nil); rec.Code != http.StatusForbidden {
		t.Errorf("blind reviewer reads the sub-section audit: %d", rec.Code)
	}
	if rec := f.do("POST", "/a/fellside/s/"+sub+"/score", "reviewer2", url.Values{"version": {"1"}, "score": {"No"}, "rationale": {"x"}}); rec.Code != http.StatusForbidden {
		t.Errorf("blind reviewer saves the normal score form: %d", rec.Code)
	}
	blind := f.do("GET", "/double/fellside/"+sub, "reviewer2", nil)
	if blind.Code != http.StatusOK || strings.Contains(blind.Body.String(), "section 41 list is linked") {
		t.Fatalf("blind form = %d or shows the first rationale", blind.Code)
	}
	if rec := f.do("GET", "/double/fellside/"+sub, "reviewer1", nil); rec.Code != http.StatusForbidden {
		t.Errorf("the first reviewer opens the blind form: %d", rec.Code)
	}
	if rec := f.do("POST", "/double/fellside/"+sub, "reviewer2", url.Values{"score": {"Partial"}, "rationale": {"The list is linked but nothing says how to ask for a place."}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("blind save = %d", rec.Code)
	}
	if d, _ := f.db.DoubleReviewOf("fellside", sub); d.State != store.DoubleDisagreed {
		t.Fatalf("state = %s, want disagreed", d.State)
	}
	stats := f.do("GET", "/agreement", "adviser1", nil).Body.String()
	if !strings.Contains(stats, `action="/double/fellside/`+sub+`/adjudicate"`) {
		t.Errorf("the adviser is not offered adjudication")
	}
	if rec := f.do("POST", "/double/fellside/"+sub+"/adjudicate", "adviser1", url.Values{"score": {"Partial"}, "note": {"How to request a place is missing."}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("adjudicate = %d: %s", rec.Code, rec.Body.String())
	}
	dec, _ := f.db.Decision("fellside", sub)
	if dec.FinalScore != evidence.Partial || dec.ReviewedBy != "adviser1" {
		t.Errorf("decision after adjudication = %+v", dec)
	}
	if dash := f.do("GET", "/", "viewer1", nil).Body.String(); !strings.Contains(dash, "Blind double review: 1 sub-section scored twice, 0% agreement") {
		t.Errorf("dashboard does not sum up double review")
	}
	stats = f.do("GET", "/agreement", "viewer1", nil).Body.String()
	for _, want := range []string{"Post-16: Admission", "0%", "adjudicated"} {
		if !strings.Contains(stats, want) {
			t.Errorf("agreement page lacks %q", want)
		}
	}
}

func TestAgreementStats(t *testing.T) {
	pairs := func(spec ...any) [][2]evidence.Score {
		var out [][2]evidence.Score
		for i := 0; i < len(spec); i += 3 {
			for n := 0; n < spec[i+2].(int); n++ {
				out = append(out, [2]evidence.Score{spec[i].(evidence.Score), spec[i+1].(evidence.Score)})
			}
		}
		return out
	}
	Y, P, N := evidence.Yes, evidence.Partial, evidence.No
	tests := []struct {
		name            string
		pairs           [][2]evidence.Score
		pct, kappa, ac1 float64
		kappaOK, ac1OK  bool
	}{
		// po .8; pe .7*.6+.2*.2+.1*.2 = .48; pi .65,.2,.15 -> pe' .2575.
		{"mixed", pairs(Y, Y, 6, P, P, 1, N, N, 1, Y, P, 1, P, N, 1), 0.8, 0.32 / 0.52, 0.5425 / 0.7425, true, true},
		// The kappa paradox: 90% agreement, kappa 0, AC1 high.
		{"one score dominates", pairs(Y, Y, 9, Y, P, 1), 0.9, 0, 0.8525 / 0.9525, true, true},
		{"all the same", pairs(Y, Y, 5), 1, 0, 1, false, true},
		{"none", nil, 0, 0, 0, false, false},
	}
	for _, tt := range tests {
		a := agreement(tt.pairs)
		if math.Abs(a.Percent-tt.pct) > 1e-9 || a.KappaOK != tt.kappaOK || a.AC1OK != tt.ac1OK ||
			math.Abs(a.Kappa-tt.kappa) > 1e-9 || math.Abs(a.AC1-tt.ac1) > 1e-9 {
			t.Errorf("%s: agreement = %+v, want pct %v kappa %v (%v) ac1 %v (%v)", tt.name, a, tt.pct, tt.kappa, tt.kappaOK, tt.ac1, tt.ac1OK)
		}
	}
}

func TestAcceptanceRate(t *testing.T) {
	f := newFixture(t)
	items, _ := f.db.Items("merrow-bridge", "")
	for i, it := range items[:4] {
		action := "accept"
		if i == 3 {
			action = "reject"
		}
		if rec := f.do("POST", "/a/merrow-bridge/items/"+it.ID+"/"+action, "reviewer2", url.Values{}); rec.Code != http.StatusSeeOther {
			t.Fatalf("%s = %d", action, rec.Code)
		}
	}
	// An undone accept no longer counts.
	f.do("POST", "/a/merrow-bridge/items/"+items[0].ID+"/undo", "reviewer2", url.Values{})
	acc, rej := f.srv.acceptance()
	if acc["reviewer2"] != 2 || rej["reviewer2"] != 1 {
		t.Errorf("acceptance = %d accepted, %d rejected; want 2 and 1", acc["reviewer2"], rej["reviewer2"])
	}
	if page := f.do("GET", "/agreement", "viewer1", nil).Body.String(); !strings.Contains(page, "67% <span class=\"body-s\">(2 of 3)</span>") {
		t.Errorf("agreement page does not show reviewer2's 67%% acceptance")
	}
}

func TestBackupDownload(t *testing.T) {
	f := newFixture(t)
	rec := f.do("GET", "/admin/backup", "admin1", nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Content-Disposition"), "attachment") {
		t.Fatalf("backup = %d %v", rec.Code, rec.Header())
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(path, rec.Body.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	cp, err := store.OpenWith(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("the backup does not open: %v", err)
	}
	defer cp.Close()
	if it, err := cp.Item("brackenfield", f.itemEHC); err != nil || it.ID != f.itemEHC {
		t.Errorf("backup lacks an item: %v", err)
	}
	if log, _ := f.db.AuditLog("", "", 1); len(log) == 0 || log[0].Action != "download backup" || log[0].User != "admin1" {
		t.Errorf("the download is not audited: %+v", log)
	}
	if page := f.do("GET", "/admin", "admin1", nil).Body.String(); !strings.Contains(page, "reviewer2") || !strings.Contains(page, `href="/admin/backup"`) {
		t.Errorf("admin page lacks the accounts or the backup link")
	}
}

func TestClientIPBehindProxy(t *testing.T) {
	f := newFixture(t)
	req := httptest.NewRequest("POST", "/login", nil)
	req.RemoteAddr = "127.0.0.1:5555"
	req.Header.Add("X-Forwarded-For", "203.0.113.9, 198.51.100.7")
	if got := f.srv.clientIP(req); got != "127.0.0.1" {
		t.Errorf("without TrustProxy clientIP = %q, want the connection's address", got)
	}
	f.srv.cfg.TrustProxy = true
	if got := f.srv.clientIP(req); got != "198.51.100.7" {
		t.Errorf("with TrustProxy clientIP = %q, want the address the proxy saw", got)
	}
	req.Header.Set("X-Forwarded-For", "not an address")
	if got := f.srv.clientIP(req); got != "127.0.0.1" {
		t.Errorf("with a bad header clientIP = %q, want the connection's address", got)
	}
}

func TestReReview(t *testing.T) {
	f := newFixture(t)
	sub := "early_years.future"
	if rec := f.do("POST", "/a/fellside/s/"+sub+"/score", "reviewer1", url.Values{"version": {"0"}, "score": {"Yes"}, "rationale": {"The two-year check is explained."}, "reviewed": {"on"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("score = %d", rec.Code)
	}
	// A re-crawl found the page changed.
	d, err := f.db.SaveDecision("system", "fellside", sub, -1, "needs re-review", func(d *evidence.Decision) error {
		d.NeedsReReview, d.ReReviewWhy = true, "the progress check page changed"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	page := f.do("GET", "/a/fellside", "reviewer2", nil).Body.String()
	if !strings.Contains(page, "Keep Yes after re-review") || !strings.Contains(page, "the progress check page changed") {
		t.Errorf("the authority page does not offer the re-review")
	}
	if !strings.Contains(f.do("GET", "/?show=stale", "viewer1", nil).Body.String(), "needs re-review") {
		t.Errorf("the dashboard's stale filter does not show the re-review")
	}
	if rec := f.do("POST", "/a/fellside/s/"+sub+"/reviewed", "reviewer2", url.Values{"version": {fmt.Sprint(d.Version)}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("re-review = %d", rec.Code)
	}
	if d, _ := f.db.Decision("fellside", sub); d.NeedsReReview || d.ReviewedBy != "reviewer2" || d.FinalScore != evidence.Yes {
		t.Errorf("after re-review: %+v", d)
	}
}

func TestItemConflict(t *testing.T) {
	f := newFixture(t)
	// Both reviewers see the item proposed; reviewer1 accepts first.
	if rec := f.do("POST", "/a/brackenfield/items/"+f.itemEHC+"/accept", "reviewer1", url.Values{"seen": {"proposed"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("accept = %d", rec.Code)
	}
	rec := f.do("POST", "/a/brackenfield/items/"+f.itemEHC+"/reject", "reviewer2", url.Values{"seen": {"proposed"}})
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "reviewer1 changed this evidence to &#34;accepted&#34;") {
		t.Fatalf("second decision = %d, want 409 naming reviewer1:\n%s", rec.Code, rec.Body.String())
	}
	if it, _ := f.db.Item("brackenfield", f.itemEHC); it.Status != evidence.Accepted || it.UpdatedBy != "reviewer1" {
		t.Errorf("item = %s by %s, want reviewer1's accept kept", it.Status, it.UpdatedBy)
	}
	// Having seen it accepted, reviewer2 may reject it.
	if rec := f.do("POST", "/a/brackenfield/items/"+f.itemEHC+"/reject", "reviewer2", url.Values{"seen": {"accepted"}}); rec.Code != http.StatusSeeOther {
		t.Errorf("informed reject = %d", rec.Code)
	}
}
