package evidence_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/evidence"
)

func TestScoreOf(t *testing.T) {
	M, P, A := evidence.Met, evidence.PartMet, evidence.Absent
	tests := []struct {
		in   []evidence.Status
		want evidence.Score
	}{
		{[]evidence.Status{M}, evidence.Yes},
		{[]evidence.Status{M, M, M}, evidence.Yes},
		{[]evidence.Status{A}, evidence.No},
		{[]evidence.Status{A, A, A}, evidence.No},
		{[]evidence.Status{P}, evidence.Partial},
		{[]evidence.Status{M, A}, evidence.Partial},
		{[]evidence.Status{M, P}, evidence.Partial},
		{[]evidence.Status{A, P, A}, evidence.Partial},
		{nil, evidence.No},
	}
	for _, tt := range tests {
		if got := evidence.ScoreOf(tt.in); got != tt.want {
			t.Errorf("ScoreOf(%v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestStatusOf(t *testing.T) {
	tests := []struct {
		name string
		c    evidence.Candidate
		want evidence.Status
	}{
		{"met", evidence.Candidate{Score: 5, CoreMet: true, RequiresMet: true}, evidence.Met},
		{"high score, requires missing", evidence.Candidate{Score: 9, CoreMet: true}, evidence.PartMet},
		{"partial score", evidence.Candidate{Score: 2.5, CoreMet: true, RequiresMet: true}, evidence.PartMet},
		{"below partial", evidence.Candidate{Score: 1.9, CoreMet: true, RequiresMet: true}, evidence.Absent},
		{"core missing", evidence.Candidate{Score: 9, RequiresMet: true}, evidence.Absent},
		{"structural", evidence.Candidate{Score: 0.1, Status: evidence.Met}, evidence.Met},
	}
	for _, tt := range tests {
		if got := evidence.StatusOf(tt.c, 2, 4); got != tt.want {
			t.Errorf("%s: StatusOf = %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestConfidence(t *testing.T) {
	// The same relative score gives the same confidence whatever the
	// criterion's threshold.
	if a, b := evidence.Confidence(4, 4), evidence.Confidence(8, 8); a != b || a < 0.4 || a > 0.5 {
		t.Errorf("Confidence(met) = %v and %v, want equal, near one half", a, b)
	}
	if c := evidence.Confidence(40, 4); c < 0.99 {
		t.Errorf("Confidence(10 x met) = %v, want near certain", c)
	}
	prev := 0.0
	for s := 0.5; s < 40; s *= 1.5 {
		c := evidence.Confidence(s, 4)
		if c < prev || c > 0.999 || c <= 0 {
			t.Fatalf("Confidence(%v) = %v after %v: not increasing in (0, 0.999]", s, c, prev)
		}
		prev = c
	}
}

const twoCriteria = `version: "7"
thresholds: {partial: 2, met: 4}
sections:
  - id: g
    title: G
    subsections:
      - id: g.a
        title: A
        criteria:
          - id: g.a.one
            text: one
            signals: {phrases: [one]}
          - id: g.a.two
            text: two
            signals: {phrases: [two], met: 8}
      - id: g.b
        title: B
        criteria:
          - id: g.b.only
            text: only
            signals: {phrases: [only]}
`

func rubric(t *testing.T, y string) *config.Rubric {
	t.Helper()
	r, err := config.ParseRubric("t.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func cand(crit, url string, score float64, req bool) evidence.Candidate {
	return evidence.Candidate{Criterion: crit, URL: url, Title: url, Snippet: "about " + crit + " on " + url, Score: score, CoreMet: true, RequiresMet: req, Signals: []string{"phrase fired"}}
}

func TestSuggest(t *testing.T) {
	r := rubric(t, twoCriteria)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cands := []evidence.Candidate{
		cand("g.a.one", "http://x/p1", 10, true),   // met
		cand("g.a.one", "http://x/p2", 9, true),    // met, second page
		cand("g.a.one", "http://x/p3", 3, false),   // partial, weaker than best: dropped
		cand("g.a.two", "http://x/p1", 5, true),    // partial: below its own met threshold 8
		cand("g.a.two", "http://x/p4", 1, true),    // absent
		cand("g.b.only", "http://x/p4", 1.5, true), // absent
		cand("g.x.unknown", "http://x/p9", 99, true),
	}
	sugs, items := evidence.Suggest(r, cands, evidence.SuggestOptions{Authority: "la", CrawlID: "c1", Now: now})
	if len(sugs) != 2 {
		t.Fatalf("suggestions = %d, want 2", len(sugs))
	}
	a, b := sugs[0], sugs[1]
	if a.Subsection != "g.a" || a.Score != evidence.Partial || b.Score != evidence.No {
		t.Errorf("scores = %s %s, %s %s; want g.a Partial, g.b No", a.Subsection, a.Score, b.Subsection, b.Score)
	}
	wantCrit := []evidence.CriterionResult{{ID: "g.a.one", Status: evidence.Met, Score: 10}, {ID: "g.a.two", Status: evidence.PartMet, Score: 5}}
	if !reflect.DeepEqual(a.Criteria, wantCrit) {
		t.Errorf("criteria = %+v, want %+v", a.Criteria, wantCrit)
	}
	if a.RubricVersion != "7" || a.CrawlID != "c1" || !a.AssessedAt.Equal(now) {
		t.Errorf("suggestion metadata = %+v", a)
	}
	var urls []string
	for _, it := range items {
		if it.Subsection != "g.a" {
			t.Errorf("item for %s, want only g.a", it.Subsection)
		}
		urls = append(urls, it.URL)
	}
	// One item a page: p1 carries both criteria; p3 (weaker status) and p4
	// (absent) are not suggested.
	if want := []string{"http://x/p1", "http://x/p2"}; !reflect.DeepEqual(urls, want) {
		t.Fatalf("item URLs = %q, want %q", urls, want)
	}
	p1 := items[0]
	if !reflect.DeepEqual(p1.Criteria, []string{"g.a.one", "g.a.two"}) {
		t.Errorf("p1 criteria = %q", p1.Criteria)
	}
	if p1.Rank != 0 || items[1].Rank != 1 {
		t.Errorf("ranks = %d, %d", p1.Rank, items[1].Rank)
	}
	if p1.Status != evidence.Proposed || p1.Origin != evidence.Suggested || p1.Confidence <= 0 || p1.Confidence >= 1 {
		t.Errorf("p1 = %+v", p1)
	}
	if p1.ID != evidence.ItemID("la", "g.a", "http://x/p1", "") {
		t.Errorf("p1 id %s is not the page's stable id", p1.ID)
	}
	if !strings.Contains(strings.Join(p1.Signals, "\n"), "g.a.two: partial") {
		t.Errorf("p1 signals %q do not explain the partial criterion", p1.Signals)
	}
}

func TestSuggestRanksEachCriterionsBestFirst(t *testing.T) {
	r := rubric(t, twoCriteria)
	var cands []evidence.Candidate
	// Criterion one has many strong pages; criterion two one weaker page.
	for _, u := range []string{"a", "b", "c", "d", "e"} {
		cands = append(cands, cand("g.a.one", "http://x/"+u, 20, true))
	}
	cands = append(cands, cand("g.a.two", "http://x/z", 9, true))
	_, items := evidence.Suggest(r, cands, evidence.SuggestOptions{Authority: "la", PerCriterion: 5})
	if len(items) < 2 || items[0].URL != "http://x/a" || items[1].URL != "http://x/z" {
		var got []string
		for _, it := range items {
			got = append(got, it.URL)
		}
		t.Errorf("order = %q, want the best page of each criterion first (a, z, ...)", got)
	}
	_, capped := evidence.Suggest(r, cands, evidence.SuggestOptions{Authority: "la", PerCriterion: 2, MaxItems: 10})
	if len(capped) != 3 {
		t.Errorf("with 2 a criterion: %d items, want 3", len(capped))
	}
	_, short := evidence.Suggest(r, cands, evidence.SuggestOptions{Authority: "la", PerCriterion: 5, MaxItems: 2})
	if len(short) != 2 {
		t.Errorf("MaxItems 2: %d items", len(short))
	}
}

func TestSuggestShowsARepeatedPassageOnce(t *testing.T) {
	r := rubric(t, twoCriteria)
	var cands []evidence.Candidate
	for i, u := range []string{"/calendar?m=1", "/calendar?m=2", "/calendar?m=3", "/contact"} {
		c := cand("g.a.one", "http://x"+u, 10-float64(i), true)
		if i < 3 {
			c.Snippet = "Drop-in  at the library\nevery Tuesday."
		}
		cands = append(cands, c)
	}
	_, items := evidence.Suggest(r, cands, evidence.SuggestOptions{Authority: "la"})
	var got []string
	for _, it := range items {
		got = append(got, it.URL)
	}
	if want := []string{"http://x/calendar?m=1", "http://x/contact"}; !reflect.DeepEqual(got, want) {
		t.Errorf("items = %q, want the repeated passage once, on its best page, then the other page %q", got, want)
	}
}

func TestSuggestInterleavesCriteria(t *testing.T) {
	r := rubric(t, twoCriteria)
	cands := []evidence.Candidate{
		cand("g.a.one", "http://x/a1", 30, true), cand("g.a.one", "http://x/a2", 29, true), cand("g.a.one", "http://x/a3", 28, true),
		cand("g.a.two", "http://x/b1", 9, true), cand("g.a.two", "http://x/b2", 8.5, true),
	}
	_, items := evidence.Suggest(r, cands, evidence.SuggestOptions{Authority: "la"})
	var got []string
	for _, it := range items {
		got = append(got, strings.TrimPrefix(it.URL, "http://x/"))
	}
	if want := []string{"a1", "b1", "a2", "b2", "a3"}; !reflect.DeepEqual(got, want) {
		t.Errorf("order = %q, want the criteria interleaved %q", got, want)
	}
}

func TestBuildAssessment(t *testing.T) {
	r := rubric(t, twoCriteria)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	sugs := map[string]evidence.Suggestion{
		"g.a": {Subsection: "g.a", Score: evidence.Partial, RubricVersion: "7", AssessedAt: now,
			Criteria: []evidence.CriterionResult{{ID: "g.a.one", Status: evidence.Met}, {ID: "g.a.two", Status: evidence.PartMet}}},
	}
	items := []evidence.Item{
		{ID: "1", Subsection: "g.a", URL: "http://x/rejected", Status: evidence.Rejected, Rank: 0, Criteria: []string{"g.a.one"}},
		{ID: "2", Subsection: "g.a", URL: "http://x/proposed", Status: evidence.Proposed, Rank: 1, Criteria: []string{"g.a.one"}},
		{ID: "3", Subsection: "g.a", URL: "http://x/accepted", Status: evidence.Accepted, Rank: 2, Criteria: []string{"g.a.two"}},
		{ID: "4", Subsection: "g.a", URL: "http://x/stale", Status: evidence.Accepted, Rank: 0, Stale: true, Criteria: []string{"g.a.two"}},
		// A suggestion whose page vanished: kept in the store, not exported.
		{ID: "5", Subsection: "g.a", URL: "http://x/vanished", Status: evidence.Proposed, Rank: 0, Stale: true, Criteria: []string{"g.a.one"}},
	}
	decs := map[string]evidence.Decision{"g.b": {FinalScore: evidence.Partial, Reviewed: true, Rationale: "seen on paper"}}
	a := evidence.BuildAssessment(r, "la", "LA Council", evidence.CrawlRef{ID: "c1", Pages: 12}, sugs, items, decs)
	if len(a.Subsections) != 2 {
		t.Fatalf("sub-sections = %d", len(a.Subsections))
	}
	ga, gb := a.Subsections[0], a.Subsections[1]
	var order []string
	for _, e := range ga.Evidence {
		order = append(order, e.URL)
	}
	want := []string{"http://x/accepted", "http://x/stale", "http://x/proposed", "http://x/rejected"}
	if !reflect.DeepEqual(order, want) {
		t.Errorf("evidence order = %q, want %q", order, want)
	}
	if ga.FinalScore != nil || ga.SuggestedScore != evidence.Partial {
		t.Errorf("g.a scores = %v %v", ga.SuggestedScore, ga.FinalScore)
	}
	if gb.SuggestedScore != evidence.No || gb.FinalScore == nil || *gb.FinalScore != evidence.Partial || !gb.Reviewed {
		t.Errorf("g.b = %+v", gb)
	}
	if gb.Criteria[0].SuggestedStatus != evidence.Absent {
		t.Errorf("an unassessed criterion is %q, want absent", gb.Criteria[0].SuggestedStatus)
	}
	data, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		LA            string `json:"la"`
		RubricVersion string `json:"rubric_version"`
		Crawl         struct {
			ID    string `json:"id"`
			Pages int    `json:"pages"`
		} `json:"crawl"`
		Subsections []map[string]json.RawMessage `json:"subsections"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	if raw.LA != "la" || raw.RubricVersion != "7" || raw.Crawl.ID != "c1" || raw.Crawl.Pages != 12 {
		t.Errorf("header = %+v", raw)
	}
	if string(raw.Subsections[0]["final_score"]) != "null" {
		t.Errorf("final_score of an unreviewed sub-section = %s, want null", raw.Subsections[0]["final_score"])
	}
	for _, key := range []string{"id", "suggested_score", "final_score", "criteria", "evidence"} {
		if _, ok := raw.Subsections[0][key]; !ok {
			t.Errorf("sub-section JSON lacks %q", key)
		}
	}
	if !strings.Contains(string(raw.Subsections[0]["criteria"]), `"suggested_status":"met"`) {
		t.Errorf("criteria JSON %s", raw.Subsections[0]["criteria"])
	}
	ev := string(raw.Subsections[0]["evidence"])
	for _, key := range []string{`"url"`, `"title"`, `"snippet"`, `"criteria"`, `"confidence"`, `"status":"accepted"`} {
		if !strings.Contains(ev, key) {
			t.Errorf("evidence JSON lacks %s: %s", key, ev)
		}
	}
}
