package extract

import (
	"reflect"
	"strings"
	"testing"

	"github.com/localoffer/localoffer/config"
)

func TestTokenize(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Top-up funding", []string{"top", "up", "fund"}},
		{"the first £6,000 of support", []string{"the", "first", "6000", "of", "support"}},
		{"a child's needs", []string{"a", "child", "need"}},
		{"parents’ views", []string{"parent", "view"}},
		{"Reviews were reviewed, reviewing", []string{"review", "were", "review", "review"}},
		{"Planning, planned, plans", []string{"plan", "plan", "plan"}},
		{"assess, assessed, assessing", []string{"assess", "assess", "assess"}},
		{"Version 2.5 (EHC)", []string{"version", "2.5", "ehc"}},
		{"Crèche für Kinder", []string{"crèche", "für", "kinder"}},
		{"", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, tok := range tokenize(tt.in) {
			got = append(got, tok.norm)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("tokenize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTokenizeOffsets(t *testing.T) {
	text := "Ask for an “EHC needs assessment” today."
	for _, tok := range tokenize(text) {
		if got := stem(strings.ToLower(text[tok.start:tok.end])); got != tok.norm {
			t.Errorf("token %q at [%d:%d] reads %q", tok.norm, tok.start, tok.end, got)
		}
	}
}

func TestIDF(t *testing.T) {
	if got := idf(1, 100); got != 1 {
		t.Errorf("idf(1, 100) = %v, want 1", got)
	}
	if got := idf(100, 100); got != 0.3 {
		t.Errorf("idf(100, 100) = %v, want 0.3", got)
	}
	if a, b := idf(5, 100), idf(50, 100); a <= b {
		t.Errorf("idf(5) = %v is not above idf(50) = %v", a, b)
	}
}

// testRubric builds a one-criterion rubric around the given signals YAML
// (indented for the signals mapping).
func testRubric(t *testing.T, signals string) *config.Rubric {
	t.Helper()
	y := `version: "t"
sections:
  - id: s
    title: S
    subsections:
      - id: s.sub
        title: Sub
        criteria:
          - id: s.sub.c
            text: a criterion
            signals:
` + signals
	r, err := config.ParseRubric("test.yaml", []byte(y))
	if err != nil {
		t.Fatalf("rubric: %v", err)
	}
	return r
}

// score matches docs against r and returns the matches by URL.
func score(t *testing.T, r *config.Rubric, docs ...*Document) map[string]Match {
	t.Helper()
	m, err := NewMatcher(r)
	if err != nil {
		t.Fatal(err)
	}
	var sc []*Scanned
	for _, d := range docs {
		sc = append(sc, m.Scan(d))
	}
	out := map[string]Match{}
	for _, mt := range m.Score(sc) {
		out[mt.URL] = mt
	}
	return out
}

func doc(url, title string, sections ...Section) *Document {
	return &Document{URL: url, Title: title, Kind: "html", Sections: sections, PathWords: PathWords(url)}
}

func sec(heading, text string) Section { return Section{Heading: heading, Level: 2, Text: text} }

// filler makes the corpus big enough for document frequencies to mean
// something, with passages that match nothing.
func filler(n int) []*Document {
	var out []*Document
	for i := range n {
		out = append(out, doc("http://x/f"+string(rune('a'+i)), "Bins", sec("", "Collections are on Tuesdays. Put the bin out by seven in the morning.")))
	}
	return out
}

func TestSignalKinds(t *testing.T) {
	r := testRubric(t, `              phrases: ["top-up funding: 3", "element 3: 2", "eligib*: 1", "request ~ assessment: 2"]
              headings: ["funding: 2"]
`)
	tests := []struct {
		name    string
		d       *Document
		matched bool
		signal  string
	}{
		{"phrase", doc("http://x/a", "A", sec("", "Schools can ask for top-up funding for a pupil.")), true, `"top-up funding"`},
		{"phrase across punctuation and case", doc("http://x/b", "B", sec("", "TOP UP Funding is paid termly.")), true, `"top-up funding"`},
		{"words apart are no phrase", doc("http://x/c", "C", sec("", "Top marks. Up next: funding for roads.")), false, ""},
		{"prefix", doc("http://x/d", "D", sec("", "Check whether your child is eligible.")), true, `"eligib*"`},
		{"prefix other ending", doc("http://x/e", "E", sec("", "The eligibility rules are simple.")), true, `"eligib*"`},
		{"proximity", doc("http://x/f", "F", sec("", "You can request that we carry out an assessment.")), true, `"request ~ assessment"`},
		{"proximity too far", doc("http://x/g", "G", sec("", "You can request a leaflet from reception at the town hall on any weekday morning or afternoon between nine and five, and separately we may arrange an assessment.")), false, ""},
		{"title alone is a signpost", doc("http://x/h", "Funding", sec("", "Nothing else here.")), false, ""},
		{"heading word over a section", doc("http://x/h2", "H2", sec("Funding", "Schools get money for every pupil on roll, paid each term by the council.")), true, `"funding" in heading`},
		{"heading word in title with text", doc("http://x/h3", "Funding", sec("", "Schools can ask for top-up funding.")), true, `"funding" in title`},
		{"heading word in text does not count", doc("http://x/i", "I", sec("", "Funding is available.")), false, ""},
		{"number with comma", doc("http://x/j", "J", sec("", "Element 3 is paid above the first £6,000.")), true, `"element 3"`},
	}
	var docs []*Document
	for _, tt := range tests {
		docs = append(docs, tt.d)
	}
	got := score(t, r, append(docs, filler(10)...)...)
	for _, tt := range tests {
		mt, ok := got[tt.d.URL]
		if ok != tt.matched {
			t.Errorf("%s: matched = %v, want %v (%+v)", tt.name, ok, tt.matched, mt)
			continue
		}
		if ok && !strings.Contains(strings.Join(mt.Signals, "\n"), tt.signal) {
			t.Errorf("%s: signals %q do not mention %s", tt.name, mt.Signals, tt.signal)
		}
	}
}

func TestWeightsAndSaturation(t *testing.T) {
	r := testRubric(t, `              phrases: ["portage: 4", "play: 1"]
`)
	once := doc("http://x/once", "A", sec("", "Portage visits families at home."))
	twice := doc("http://x/twice", "B", sec("", "Portage visits families at home. Portage lends toys."))
	many := doc("http://x/many", "C", sec("", strings.Repeat("Portage visits families at home. ", 8)))
	weak := doc("http://x/weak", "D", sec("", "Children play at home with families."))
	got := score(t, r, append([]*Document{once, twice, many, weak}, filler(10)...)...)
	s1, s2, s8, sw := got[once.URL].Score, got[twice.URL].Score, got[many.URL].Score, got[weak.URL].Score
	if !(s2 > s1) {
		t.Errorf("two occurrences %.3f should beat one %.3f", s2, s1)
	}
	if s8 >= 4*s1 {
		t.Errorf("eight occurrences %.3f should saturate, not grow linearly from %.3f", s8, s1)
	}
	if !(s1 > 2*sw) {
		t.Errorf("a weight-4 phrase %.3f should outscore a weight-1 word %.3f by far", s1, sw)
	}
}

func TestLengthNormalisation(t *testing.T) {
	r := testRubric(t, `              phrases: ["resettlement: 4"]
`)
	short := doc("http://x/short", "A", sec("", "Resettlement planning starts before release."))
	long := doc("http://x/long", "B", sec("", "Resettlement planning starts before release. "+strings.Repeat("The council publishes many other things about parks and roads. ", 40)))
	got := score(t, r, append([]*Document{short, long}, filler(10)...)...)
	if !(got[short.URL].Score > got[long.URL].Score) {
		t.Errorf("short passage %.3f should outscore the same match in a long one %.3f", got[short.URL].Score, got[long.URL].Score)
	}
}

func TestNegativeContexts(t *testing.T) {
	r := testRubric(t, `              phrases: ["assessment: 2", "needs assessment: 3", "education, health and care needs assessment: 4"]
              not: ["care needs assessment", "appeal*"]
`)
	good := doc("http://x/ehc", "EHC", sec("", "Ask for a needs assessment for your child. The needs assessment takes 20 weeks."))
	titled := doc("http://x/adults", "Adult care needs assessment", sec("", "Ask for a needs assessment for your relative. The needs assessment takes 20 weeks."))
	headed := doc("http://x/h", "Help", sec("Appeals", "Ask for a needs assessment for your child. The needs assessment takes 20 weeks."))
	inText := doc("http://x/t", "T", sec("", "Ask for a needs assessment for your child. The needs assessment takes 20 weeks. You may appeal."))
	inside := doc("http://x/inside", "I", sec("", "Ask for an education, health and care needs assessment for your child."))
	got := score(t, r, append([]*Document{good, titled, headed, inText, inside}, filler(10)...)...)
	g := got[good.URL].Score
	if s := got[titled.URL].Score; s > g*0.1 {
		t.Errorf("negative in title: %.3f, want at most a tenth of %.3f", s, g)
	}
	if s := got[headed.URL].Score; s > g*0.1 {
		t.Errorf("negative in heading: %.3f, want at most a tenth of %.3f", s, g)
	}
	if s := got[inText.URL].Score; s > g*0.3 || s < g*0.1 {
		t.Errorf("negative in text: %.3f, want cut to about a fifth of %.3f, less than in a title", s, g)
	}
	if mt := got[inside.URL]; len(mt.Negative) > 0 {
		t.Errorf("a negative inside the criterion's own phrase fired: %q", mt.Negative)
	}
	if !strings.Contains(strings.Join(got[titled.URL].Signals, "\n"), "not:") {
		t.Errorf("signals %q do not say a negative context fired", got[titled.URL].Signals)
	}
}

// A proximity pair of the criterion spans whatever words lie between its
// halves, so it must not hide a negative context among them.
func TestProximityPairDoesNotCoverNegative(t *testing.T) {
	r := testRubric(t, `              phrases: ["admission: 3", "refuse ~ admission: 2"]
              not: ["appeal hearing"]
`)
	plain := doc("http://x/plain", "A", sec("", "If a school refuses, ask about the admission of your child."))
	appeal := doc("http://x/appeal", "B", sec("", "If a school refuses, appeal hearings consider the admission of your child."))
	got := score(t, r, append([]*Document{plain, appeal}, filler(10)...)...)
	if len(got[appeal.URL].Negative) == 0 {
		t.Errorf("a negative between the halves of a proximity pair did not fire: %q", got[appeal.URL].Signals)
	}
	if got[appeal.URL].Score > got[plain.URL].Score*0.3 {
		t.Errorf("appeal page %.3f not weakened against %.3f", got[appeal.URL].Score, got[plain.URL].Score)
	}
}

// Rubric-wide not_in_text contexts weaken a passage of every criterion
// wherever they occur.
func TestRubricNegativesInText(t *testing.T) {
	y := `version: "t"
not_in_text: ["closing date ~ salary"]
sections:
  - id: s
    title: S
    subsections:
      - id: s.sub
        title: Sub
        criteria:
          - id: s.sub.a
            text: one criterion
            signals:
              phrases: ["annual review: 3"]
          - id: s.sub.b
            text: another criterion
            signals:
              phrases: ["caseload: 3"]
`
	r, err := config.ParseRubric("t.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMatcher(r)
	if err != nil {
		t.Fatal(err)
	}
	info := doc("http://x/info", "Reviews", sec("", "Your annual review looks at the caseload of support your child gets."))
	advert := doc("http://x/job", "Caseworker", sec("", "Your annual review looks at the caseload of support your child gets. Salary 30,000, closing date 1 May."))
	var sc []*Scanned
	for _, d := range append([]*Document{info, advert}, filler(10)...) {
		sc = append(sc, m.Scan(d))
	}
	got := map[string]float64{}
	for _, mt := range m.Score(sc) {
		got[mt.URL+" "+mt.Criterion] = mt.Score
		if mt.URL == advert.URL && len(mt.Negative) == 0 {
			t.Errorf("%s: the advert's context did not fire", mt.Criterion)
		}
	}
	for _, c := range []string{"s.sub.a", "s.sub.b"} {
		i, a := got[info.URL+" "+c], got[advert.URL+" "+c]
		if i == 0 || a > i*0.3 {
			t.Errorf("%s: advert %.3f not weakened against %.3f", c, a, i)
		}
	}
}

func TestRubricNegativesCountInTitlesOnly(t *testing.T) {
	y := `version: "t"
not: ["adult social care"]
sections:
  - id: s
    title: S
    subsections:
      - id: s.sub
        title: Sub
        criteria:
          - id: s.sub.c
            text: a criterion
            signals:
              phrases: ["transition: 3"]
`
	r, err := config.ParseRubric("t.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	body := doc("http://x/body", "Growing up", sec("", "Transition planning includes moving to adult social care at 18."))
	title := doc("http://x/title", "Adult social care", sec("", "Transition planning includes moving to adult social care at 18."))
	got := score(t, r, append([]*Document{body, title}, filler(10)...)...)
	if len(got[body.URL].Negative) != 0 {
		t.Errorf("a rubric-wide negative in body text fired: %q", got[body.URL].Negative)
	}
	if got[title.URL].Score > got[body.URL].Score*0.1 {
		t.Errorf("a rubric-wide negative in the title did not sink the page: %.3f vs %.3f", got[title.URL].Score, got[body.URL].Score)
	}
}

func TestCoreAndRequires(t *testing.T) {
	r := testRubric(t, `              phrases: ["custody: 4", "release: 2", "youth justice: 2", "education: 1"]
              core: [[custody, detention]]
              requires: [[release, released], [education, training]]
`)
	full := doc("http://x/full", "A", sec("Leaving custody", "Before release from custody we plan education or training."))
	part := doc("http://x/part", "B", sec("", "Young people in custody keep their plan."))
	noCore := doc("http://x/nocore", "C", sec("", "The youth justice service helps with education after release."))
	split := doc("http://x/split", "D", sec("In custody", "Young people in custody keep their plan and their custody officer visits."), sec("After release", "On release from custody, education starts in the first week."))
	got := score(t, r, append([]*Document{full, part, noCore, split}, filler(10)...)...)
	tests := []struct {
		d             *Document
		core, require bool
		missing       string
	}{
		{full, true, true, ""},
		{part, true, false, "release"},
		{noCore, false, true, "custody"},
		{split, true, true, ""},
	}
	for _, tt := range tests {
		mt := got[tt.d.URL]
		if mt.CoreMet != tt.core || mt.RequiresMet != tt.require {
			t.Errorf("%s: core %v requires %v, want %v %v (missing %q)", tt.d.URL, mt.CoreMet, mt.RequiresMet, tt.core, tt.require, mt.Missing)
		}
		if tt.missing != "" && !strings.Contains(strings.Join(mt.Missing, ","), tt.missing) {
			t.Errorf("%s: missing %q, want it to name %q", tt.d.URL, mt.Missing, tt.missing)
		}
	}
}

func TestFieldsAndAnchors(t *testing.T) {
	r := testRubric(t, `              phrases: ["short breaks: 3"]
`)
	plain := doc("http://x/plain", "Leisure", sec("", "We run short breaks for disabled children."))
	titled := doc("http://x/short-breaks", "Short breaks", sec("", "We run short breaks for disabled children."))
	anchored := doc("http://x/plain2", "Leisure", sec("", "We run short breaks for disabled children."))
	anchored.Anchors = []string{"Short breaks for disabled children"}
	got := score(t, r, append([]*Document{plain, titled, anchored}, filler(10)...)...)
	if !(got[titled.URL].Score > got[plain.URL].Score) {
		t.Errorf("title and URL words should add: %.3f vs %.3f", got[titled.URL].Score, got[plain.URL].Score)
	}
	if !(got[anchored.URL].Score > got[plain.URL].Score) {
		t.Errorf("anchor text should add: %.3f vs %.3f", got[anchored.URL].Score, got[plain.URL].Score)
	}
}

func TestSnippetAndTerms(t *testing.T) {
	r := testRubric(t, `              phrases: ["helpline: 3", "drop-in: 3"]
`)
	text := strings.Repeat("The council runs many services across the borough for residents. ", 10) +
		"Call the Local Offer helpline on weekdays, or come to a drop-in at the library. " +
		strings.Repeat("Parking is free on Sundays in the town centre car parks. ", 10)
	d := doc("http://x/contact", "Contact", sec("Contact", text))
	mt := score(t, r, append([]*Document{d}, filler(10)...)...)[d.URL]
	if !strings.Contains(mt.Snippet, "helpline") || !strings.Contains(mt.Snippet, "drop-in") {
		t.Errorf("snippet %q misses the matches", mt.Snippet)
	}
	if len(mt.Snippet) > 400 {
		t.Errorf("snippet is %d bytes, want it trimmed", len(mt.Snippet))
	}
	if !strings.HasPrefix(mt.Snippet, "…") {
		t.Errorf("snippet %q does not show it was cut", mt.Snippet)
	}
	if !reflect.DeepEqual(mt.Terms, []string{"helpline", "drop-in"}) {
		t.Errorf("terms = %q, want helpline and drop-in as written", mt.Terms)
	}
	if mt.Heading != "Contact" {
		t.Errorf("heading = %q", mt.Heading)
	}
}

func TestBestSectionOfLongPage(t *testing.T) {
	r := testRubric(t, `              phrases: ["personal care: 3", "assistive technology: 3"]
`)
	d := doc("http://x/guide", "Guide",
		sec("Introduction", "This guide explains the Local Offer."),
		sec("Support at college", "Colleges provide personal care and assistive technology."),
		sec("Travel", "Travel assistance is available."))
	mt := score(t, r, append([]*Document{d}, filler(10)...)...)[d.URL]
	if mt.Heading != "Support at college" {
		t.Errorf("best passage = %q, want the college section", mt.Heading)
	}
}

func TestStructuralCriteriaAreNotTextMatched(t *testing.T) {
	y := `version: "t"
sections:
  - id: s
    title: S
    subsections:
      - id: s.sub
        title: Sub
        criteria:
          - id: s.sub.c
            text: a criterion
            structural: signposting
            signals:
              phrases: ["local offer"]
`
	r, err := config.ParseRubric("t.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	got := score(t, r, doc("http://x/lo", "Local Offer", sec("", "The Local Offer.")))
	if len(got) != 0 {
		t.Errorf("structural criterion matched by text: %+v", got)
	}
}

func TestNewMatcherRejectsBadPhrase(t *testing.T) {
	r := testRubric(t, `              phrases: ["good"]
`)
	r.Sections[0].Subsections[0].Criteria[0].Signals.Phrases = []string{"* *"}
	if _, err := NewMatcher(r); err == nil {
		t.Error("NewMatcher accepted a phrase without words")
	}
}

func TestDefaultRubricCompiles(t *testing.T) {
	m, err := NewMatcher(config.DefaultRubric())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(m.Criteria()); n != 23 {
		t.Errorf("criteria = %d, want 23", n)
	}
}

// TestDefaultRubricWordings checks the default rubric on the wordings
// councils use for the same evidence, and on the contexts that only look
// like it: each passage is scored on its own page among filler pages.
func TestDefaultRubricWordings(t *testing.T) {
	cases := []struct {
		name, criterion, title, heading, text string
		// want is "met" (core and requires found), "core" (core found,
		// requires not), "absent" (no match, or core not found) or
		// "negative" (a negative context fired).
		want string
	}{
		{
			name: "who may request, timeline in a table", criterion: "general.graduated.ehc_request",
			title: "Statutory assessment", heading: "Who may request an EHC needs assessment",
			text: "Parents, young people over 16 and schools may ask for an EHC needs assessment. Complete the request form. " +
				"Week | What happens Week: 6 | What happens: We decide whether to assess Week: 20 | What happens: The final plan is issued",
			want: "met",
		},
		{
			name: "school decides on SEN Support", criterion: "schools.identification.sen_support",
			title: "SEN Support in school", heading: "How does a school decide my child needs SEN Support?",
			text: "Teachers check every pupil's progress. If a pupil is making less progress than expected, the teacher talks to the SENCO. " +
				"They may use screening tests and ask an educational psychologist to assess. The school writes the extra provision on a support plan.",
			want: "met",
		},
		{
			name: "college support in plain English", criterion: "post16.identification.provision",
			title: "Getting help at college", heading: "What help can I get?",
			text: "Colleges can give you lots of different help: someone to help you take notes in class, a laptop with software that reads text out loud, extra time in exams and a quiet room.",
			want: "core",
		},
		{
			name: "specialist college named in the plan", criterion: "post16.admission.approved_institutions",
			title: "Choosing a college", heading: "If you have an EHC plan",
			text: "You can ask for a specialist college to be named in your EHC plan if you need one.",
			want: "core",
		},
		{
			name: "topping up a card", criterion: "general.funding.topup",
			title: "Swimming lessons", heading: "Paying",
			text: "Top up your swim card at reception or online. Additional funding for lessons is not available.",
			want: "negative",
		},
		{
			name: "website accessibility statement", criterion: "general.accessibility.offline",
			title: "Accessibility", heading: "Using this website",
			text: "This website is run by the council. You should be able to navigate with a keyboard. If you need information in large print, call us on 01234 567890.",
			want: "negative",
		},
		{
			name: "council switchboard", criterion: "general.accessibility.offline",
			title: "Contact", heading: "Contact",
			text: "Phone 01777 400 400, Monday to Friday 9am to 5pm.",
			want: "absent",
		},
		{
			name: "library survey", criterion: "general.feedback.forms",
			title: "Have your say on library opening hours", heading: "Have your say",
			text: "We are reviewing library opening hours and want your feedback. The survey takes five minutes. Paper copies are available at every library.",
			want: "absent",
		},
		{
			name: "school records passed to college", criterion: "schools.identification.sen_support",
			title: "Moving on to college", heading: "Post-16 transition",
			text: "Each spring the school passes the pupil's SEN Support plan and recent assessment results to the further education college.",
			want: "negative",
		},
		{
			name: "adult care needs assessment", criterion: "general.graduated.ehc_request",
			title: "Adult care and support", heading: "Getting a needs assessment",
			text: "Adults who need help at home can request a needs assessment from the council.",
			want: "negative",
		},
		{
			name: "local offer looked at every year", criterion: "general.feedback.annual_review",
			title: "Working with parents", heading: "Co-production",
			text: "Every year we look at the Local Offer with the parent forum and the SEND team and agree what to change.",
			want: "core",
		},
		{
			name: "nationally set threshold", criterion: "post16.identification.funding_threshold",
			title: "Paying for support at college", heading: "Who pays",
			text: "Sixth forms pay for extra support for each student up to the nationally set threshold out of their core funding; the council tops up the rest.",
			want: "met",
		},
		{
			name: "special needs lead in a nursery", criterion: "early_years.identification.practitioner_senco",
			title: "Nursery support", heading: "Spotting needs early",
			text: "Nursery staff and the setting's special needs lead watch how each child plays and decide together whether they need extra support.",
			want: "met",
		},
		{
			name: "youth justice phone number", criterion: "post16.future.custody",
			title: "Leaving custody", heading: "Leaving custody",
			text: "If you are leaving custody and have an EHC plan, call the Youth Offending Service on 01632 960555.",
			want: "core",
		},
	}
	r := config.DefaultRubric()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := doc("http://x/page", c.title, sec(c.heading, c.text))
			var mt *Match
			m, err := NewMatcher(r)
			if err != nil {
				t.Fatal(err)
			}
			var sc []*Scanned
			for _, x := range append([]*Document{d}, filler(10)...) {
				sc = append(sc, m.Scan(x))
			}
			for _, x := range m.Score(sc) {
				if x.URL == d.URL && x.Criterion == c.criterion {
					mt = &x
				}
			}
			status := "absent"
			switch {
			case mt == nil || !mt.CoreMet && len(mt.Negative) == 0:
			case len(mt.Negative) > 0:
				status = "negative"
			case mt.RequiresMet:
				status = "met"
			default:
				status = "core"
			}
			if status != c.want {
				t.Errorf("status %s, want %s; match: %+v", status, c.want, mt)
			}
		})
	}
}

// A passage that only gives a phone number or an email address points the
// reader elsewhere: it cannot meet a criterion, unless the criterion is
// about ways of getting in touch.
func TestContactOnlyPassagesAreAtMostPartial(t *testing.T) {
	tests := []struct {
		name    string
		signals string
		text    string
		require bool
	}{
		{"phone only", `              phrases: ["custody: 4", "youth justice: 2"]
              requires: [[custody]]
`, "If you are coming out of custody, contact the Youth Justice Service on 01632 961400.", false},
		{"email only", `              phrases: ["custody: 4", "youth justice: 2"]
              requires: [[custody]]
`, "Coming out of custody? Email yjs@example.gov.uk and we will help.", false},
		{"phone with information", `              phrases: ["custody: 4", "youth justice: 2"]
              requires: [[custody]]
`, "If you are coming out of custody, the Youth Justice Service plans your education with your college before you leave, keeps your EHC plan up to date, arranges a school or training place for the day you come home, and meets you in the first week. Call 01632 961400.", true},
		{"no contact route", `              phrases: ["custody: 4", "youth justice: 2"]
              requires: [[custody]]
`, "If you are coming out of custody, the Youth Justice Service helps you.", true},
		{"contact-route criterion", `              phrases: ["helpline: 3", "telephone: 1.5", "custody: 1"]
              requires: [[helpline]]
`, "Our custody helpline for families is on 01632 961400.", true},
	}
	for _, tt := range tests {
		r := testRubric(t, tt.signals)
		d := doc("http://x/c", "Leaving custody", sec("Leaving custody", tt.text))
		mt, ok := score(t, r, append([]*Document{d}, filler(10)...)...)[d.URL]
		if !ok {
			t.Errorf("%s: no match", tt.name)
			continue
		}
		if mt.RequiresMet != tt.require {
			t.Errorf("%s: requires met %v, want %v (missing %q)", tt.name, mt.RequiresMet, tt.require, mt.Missing)
		}
	}
}

// The labels of a directory record's contact block ("Telephone:") are
// furniture: they do not count as the page speaking of a phone line.
func TestContactLabelsAreNotText(t *testing.T) {
	r := testRubric(t, `              phrases: ["telephone: 2", "helpline: 3"]
`)
	record := doc("http://x/record", "Toy library", sec("Toy library", "Toys to borrow for children under five. Telephone: 01632 960000 Email: toys@example.org"))
	line := doc("http://x/line", "Helpline", sec("Helpline", "Our helpline is open every weekday; telephone us on 01632 960001 and an adviser will talk it through."))
	got := score(t, r, append([]*Document{record, line}, filler(10)...)...)
	if mt, ok := got[record.URL]; ok {
		t.Errorf("record matched from its contact labels: %+v", mt.Signals)
	}
	if _, ok := got[line.URL]; !ok {
		t.Errorf("a page that offers a telephone line did not match")
	}
}
