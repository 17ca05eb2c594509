package review

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/evidence"
	"github.com/localoffer/localoffer/extract"
	"github.com/localoffer/localoffer/store"
	"golang.org/x/crypto/bcrypt"
)

const testPassword = "correct horse battery"

// testAuthorities is the fixture authority list: two North West councils
// and one from another region, for the region filter.
const testAuthorities = `authorities:
  - {slug: brackenfield, name: Brackenfield Borough Council, region: North West, start_urls: ["https://brackenfield.example/send/local-offer"], home_url: "https://brackenfield.example/"}
  - {slug: fellside, name: Fellside Council, region: North West, start_urls: ["https://fellside.example/localoffer"]}
  - {slug: merrow-bridge, name: Merrow Bridge City Council, region: North East, start_urls: ["https://merrow.example/send"]}
`

// criterionText is what a Local Offer page typically says for each
// criterion, used to build realistic suggested evidence.
var criterionText = map[string][2]string{
	"general.accessibility.signposting":             {"SEND Local Offer", "The SEND Local Offer is linked from the council home page under Children and families, and from the A to Z under L."},
	"general.accessibility.offline":                 {"Contact the SEND Information, Advice and Support Service", "If you cannot use the website, call the SENDIASS helpline on 01234 567890, Monday to Friday 9am to 5pm, or visit a drop-in at the Family Hub. Printed copies and easy read versions are available on request."},
	"general.feedback.forms":                        {"Tell us what you think", "Parents, carers, young people and practitioners can give feedback on the Local Offer using our online feedback form or by emailing localoffer@brackenfield.example."},
	"general.feedback.annual_review":                {"You said, we did 2025", "Each year we publish a Local Offer annual report. You said the page on short breaks was hard to find, so we moved it to the front page."},
	"general.funding.topup":                         {"High needs top-up funding", "Schools can apply for element 3 top-up funding for pupils with complex and high needs. Applications go to the panel, which meets monthly, with evidence of the graduated approach."},
	"general.graduated.ehc_request":                 {"Requesting an EHC needs assessment", "Parents, young people and schools can ask the council for an Education, Health and Care (EHC) needs assessment. Fill in the request form and send it to the SEND Assessment Team; we reply within 6 weeks."},
	"general.graduated.apdr":                        {"The graduated approach", "Early years settings, schools and colleges follow a cycle of assess, plan, do and review to meet a child's special educational needs."},
	"early_years.admission.free_places":             {"Free early education for 2, 3 and 4 year olds", "All 3 and 4 year olds can get 15 hours of free early education. Some 2 year olds are eligible too: check your eligibility online with your National Insurance number."},
	"early_years.identification.practitioner_senco": {"SEN support in early years settings", "Early years practitioners work with the setting's SENCO to identify a child's needs early, using observations and the progress check."},
	"early_years.identification.parents_services":   {"Working together with families", "Your health visitor, the setting and you will share what you know about your child's development, with your consent."},
	"early_years.identification.home_support":       {"Helping your child learn at home", "Portage home visitors support parents to help their child's play, communication and development at home."},
	"early_years.identification.senco_support":      {"Area SENCO team", "Area SENCOs support practitioners to assess how a child responds to interventions and plan the next steps."},
	"early_years.future.progress_review":            {"Progress check at age two", "Between the ages of 2 and 3 your child's key person will write a short summary of their progress, shared with you and your health visitor."},
	"schools.admission.disability":                  {"Starting school with a disability", "Schools must make reasonable adjustments for disabled pupils. Every school publishes an accessibility plan showing how it will improve access."},
	"schools.identification.sen_support":            {"SEN support in schools", "Schools identify special educational needs through assessment, plan support with parents and review progress each term."},
	"schools.future.post16_transition":              {"Moving on after year 11", "From year 9 the school and the Post-16 team help families find colleges, sixth forms and apprenticeships that meet their child's needs."},
	"post16.admission.approved_institutions":        {"Specialist post-16 institutions", "Young people with an EHC plan can ask for a college or specialist post-16 institution on the Secretary of State's approved list (section 41) to be named in their plan."},
	"post16.identification.data":                    {"Transition information", "Colleges use transition information from schools and assessments on entry to identify students who need SEN support."},
	"post16.identification.provision":               {"Support at college", "Support can include personal care, assistive technology, specialist tuition and learning support assistants."},
	"post16.identification.collaboration":           {"Colleges working together", "Local colleges share specialist services, such as a sensory support team, through the Brackenfield post-16 partnership."},
	"post16.identification.ehc_review":              {"Annual reviews at college", "Colleges cooperate with the local authority on the annual review of each student's EHC plan."},
	"post16.identification.funding_threshold":       {"Funding support at college", "Colleges provide support up to the national threshold of 6,000 pounds from their own budget before top-up funding applies."},
	"post16.future.custody":                         {"Support after custody", "The Youth Justice Service and the SEND team support young people released from custody back into education or training."},
}

// fixture is a store seeded with three authorities, users of every role,
// suggestions and evidence, and a server over it.
type fixture struct {
	t      testing.TB
	db     *store.DB
	srv    *Server
	rubric *config.Rubric
	cfg    *config.Config
	// snapEHC is the capture whose title and text carry XSS payloads;
	// snapGrad the page it links to.
	snapEHC, snapGrad, snapPDF string
	// itemEHC is brackenfield's evidence item on the EHC page.
	itemEHC string
	now     time.Time
}

var roles = []evidence.Role{evidence.Viewer, evidence.Reviewer, evidence.Adviser, evidence.Admin}

func userOf(r evidence.Role) string { return string(r) + "1" }

func newFixture(t testing.TB) *fixture {
	return newFixtureWith(t, testAuthorities)
}

// newFixtureWith seeds the authorities of the YAML list authorities.
func newFixtureWith(t testing.TB, authorities string) *fixture {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "review.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cfg, err := config.Parse("authorities.yaml", []byte(authorities))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, db: db, rubric: config.DefaultRubric(), cfg: cfg, now: time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)}
	hash, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range roles {
		if err := db.CreateUser("test", evidence.User{Name: userOf(r), Role: r, PasswordHash: hash}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.CreateUser("test", evidence.User{Name: "reviewer2", Role: evidence.Reviewer, PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	for i, a := range cfg.Authorities {
		f.seed(a.Slug, i)
	}
	f.srv, err = NewServer(Config{DB: db, Rubric: f.rubric, Authorities: cfg, Extract: extract.Any, Log: slog.New(slog.NewTextHandler(testLog{t}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// seed stores one authority's crawl, captures and assessment. Variant n
// changes which criteria are met, so that the three authorities score
// differently.
func (f *fixture) seed(slug string, n int) {
	t := f.t
	base := "https://" + slug + ".example"
	cr := &store.Crawl{Authority: slug, Started: f.now.Add(-2 * time.Hour)}
	if err := f.db.CreateCrawl(cr); err != nil {
		t.Fatal(err)
	}
	var snapIDs = map[string]*store.Snapshot{}
	put := func(path, kind, ctype string, body []byte) *store.Snapshot {
		sn := &store.Snapshot{CrawlID: cr.ID, Authority: slug, URL: base + path, FinalURL: base + path, Status: 200, ContentType: ctype, Kind: kind, CapturedAt: f.now.Add(-90 * time.Minute)}
		if err := f.db.PutSnapshot(sn, body); err != nil {
			t.Fatal(err)
		}
		snapIDs[path] = sn
		return sn
	}
	ehc := put("/send/local-offer/ehc-needs-assessment", "html", "text/html; charset=utf-8", readTestdata(t, "brackenfield-ehc.html"))
	grad := put("/send/local-offer/graduated-approach", "html", "text/html; charset=utf-8", readTestdata(t, "brackenfield-graduated.html"))
	put("/css/site.css", "other", "text/css", readTestdata(t, "site.css"))
	pdf := put("/docs/local-offer-annual-report.pdf", "pdf", "application/pdf", testPDF("Local Offer annual report 2025", "You said the page on short breaks was hard to find, so we moved it to the front page."))
	cr.Status, cr.Ended = store.CrawlDone, f.now.Add(-80*time.Minute)
	cr.Counts.Pages, cr.Counts.Documents = 3, 1
	if err := f.db.UpdateCrawl(cr); err != nil {
		t.Fatal(err)
	}
	if slug == "brackenfield" {
		f.snapEHC, f.snapGrad, f.snapPDF = ehc.ID, grad.ID, pdf.ID
	}
	var sugs []evidence.Suggestion
	var items []evidence.Item
	k := 0
	for _, sec := range f.rubric.Sections {
		for _, ss := range sec.Subsections {
			sg := evidence.Suggestion{Authority: slug, Subsection: ss.ID, RubricVersion: f.rubric.Version, CrawlID: cr.ID, AssessedAt: f.now.Add(-time.Hour)}
			var statuses []evidence.Status
			for ci, c := range ss.Criteria {
				k++
				st := evidence.Met
				switch (k + n*5 + ci) % 7 {
				case 2, 5:
					st = evidence.PartMet
				case 4:
					st = evidence.Absent
				}
				statuses = append(statuses, st)
				sg.Criteria = append(sg.Criteria, evidence.CriterionResult{ID: c.ID, Status: st, Score: 0.4 + float64((k*13)%50)/100})
				if st == evidence.Absent {
					continue
				}
				txt := criterionText[c.ID]
				path := fmt.Sprintf("/send/local-offer/%s", strings.ReplaceAll(c.ID, ".", "/"))
				it := evidence.Item{
					Authority: slug, Subsection: ss.ID, Criteria: []string{c.ID},
					URL: base + path, Title: txt[0] + " | " + f.authorityName(slug), Heading: txt[0], Snippet: txt[1],
					Terms:   termsOf(txt[0]),
					Signals: []string{"phrase \"" + strings.ToLower(txt[0]) + "\" in heading", "URL words"}, Confidence: 0.45 + float64((k*17)%50)/100,
					Rank: ci, Origin: evidence.Suggested, Status: evidence.Proposed,
				}
				if c.ID == "general.graduated.ehc_request" {
					it.URL, it.SnapshotID, it.SHA256 = ehc.URL, ehc.ID, ehc.SHA256
					it.Title = `<script>alert("item")</script> Requesting an EHC needs assessment`
					it.Terms = []string{"EHC needs assessment", "request"}
				}
				if c.ID == "general.graduated.apdr" {
					it.URL, it.SnapshotID, it.SHA256 = grad.URL, grad.ID, grad.SHA256
					it.Terms = []string{"assess", "plan", "do", "review"}
				}
				if c.ID == "general.feedback.annual_review" {
					it.URL, it.SnapshotID, it.SHA256 = pdf.URL, pdf.ID, pdf.SHA256
					it.Title = "Local Offer annual report 2025 (PDF)"
				}
				if it.SnapshotID == "" {
					it.SnapshotID = grad.ID
				}
				it.ID = evidence.ItemID(slug, ss.ID, it.URL, it.Heading)
				if c.ID == "general.graduated.ehc_request" && slug == "brackenfield" {
					f.itemEHC = it.ID
				}
				items = append(items, it)
			}
			sg.Score = evidence.ScoreOf(statuses)
			sugs = append(sugs, sg)
		}
	}
	// A distractor the tool also suggested: reviewers should reject it.
	items = append(items, evidence.Item{
		ID: evidence.ItemID(slug, "general.accessibility", base+"/accessibility", "Accessibility statement"), Authority: slug, Subsection: "general.accessibility",
		Criteria: []string{"general.accessibility.signposting"}, URL: base + "/accessibility", Title: "Accessibility statement | " + f.authorityName(slug),
		Heading: "Accessibility statement", Snippet: "This accessibility statement applies to the council website. We want as many people as possible to be able to use it.",
		Terms: []string{"accessibility"}, Signals: []string{"phrase \"accessibility\""}, Confidence: 0.31, Rank: 5, Origin: evidence.Suggested, Status: evidence.Proposed,
	})
	if _, err := f.db.SaveAssessment(slug, sugs, items, "page changed"); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) authorityName(slug string) string {
	a, _ := f.cfg.Authority(slug)
	return a.Name
}

// testPDF builds a minimal one-page PDF whose text is title and body.
func testPDF(title, body string) []byte {
	esc := func(s string) string {
		return strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`).Replace(s)
	}
	content := fmt.Sprintf("BT /F1 16 Tf 50 760 Td (%s) Tj ET\nBT /F1 11 Tf 50 730 Td (%s) Tj ET\n", esc(title), esc(body))
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", len(content), content),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var b strings.Builder
	b.WriteString("%PDF-1.4\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	x := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, x)
	return []byte(b.String())
}

// session creates a session for user directly in the store and returns
// its cookie and CSRF token.
func (f *fixture) session(user string) (*http.Cookie, string) {
	f.t.Helper()
	tok := randomToken()
	csrf := randomToken()
	now := time.Now().UTC()
	if err := f.db.CreateSession(store.Session{ID: tokenID(tok), User: user, CSRF: csrf, Created: now, LastSeen: now, Expires: now.Add(time.Hour)}); err != nil {
		f.t.Fatal(err)
	}
	return &http.Cookie{Name: sessionCookie, Value: tok}, csrf
}

// do sends a request to the server as user ("" for nobody); form values
// are posted with the user's CSRF token unless form already has one.
func (f *fixture) do(method, target, user string, form url.Values) *httptest.ResponseRecorder {
	f.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader("")
	}
	var ck *http.Cookie
	if user != "" {
		var csrf string
		ck, csrf = f.session(user)
		if method == http.MethodPost {
			if form == nil {
				form = url.Values{}
			}
			if _, ok := form["csrf"]; !ok {
				form.Set("csrf", csrf)
			}
		}
	}
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, target, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if ck != nil {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(rec, req)
	return rec
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// termsOf picks the longer words of a heading as matched terms.
func termsOf(h string) []string {
	var out []string
	for _, w := range strings.Fields(h) {
		w = strings.Trim(w, ",.:()")
		if len(w) > 4 {
			out = append(out, strings.ToLower(w))
		}
	}
	return out
}

// testLog sends the server's log to the test's output.
type testLog struct{ t testing.TB }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Helper()
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
