package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultRubricMatchesTheBrief(t *testing.T) {
	r := DefaultRubric()
	if r.Version != "1" {
		t.Errorf("version = %q", r.Version)
	}
	if len(r.Sections) != 4 {
		t.Errorf("sections = %d, want 4", len(r.Sections))
	}
	codes := map[string]string{}
	n := 0
	for _, ss := range r.Subsections() {
		if ss.Code != "" {
			codes[ss.ID] = ss.Code
		}
		if strings.TrimSpace(ss.Recommendation) == "" {
			t.Errorf("%s has no recommendation for the report", ss.ID)
		}
		n += len(ss.Criteria)
	}
	if n != 23 {
		t.Errorf("criteria = %d, want 23", n)
	}
	want := map[string]string{"early_years.identification": "5.36", "schools.identification": "6.44", "post16.identification": "7.13"}
	for id, code := range want {
		if codes[id] != code {
			t.Errorf("%s code = %q, want %q", id, codes[id], code)
		}
	}
	c, _, ok := r.Criterion("general.accessibility.signposting")
	if !ok || c.Structural != StructuralSignposting {
		t.Errorf("signposting criterion = %+v, want structural", c)
	}
	if !strings.Contains(string(DefaultRubricYAML()), "version: \"1\"") {
		t.Error("DefaultRubricYAML does not return the file")
	}
}

const goodRubric = `version: "2"
thresholds: {partial: 1, met: 3}
sections:
  - id: general
    title: General
    subsections:
      - id: general.funding
        title: Funding
        criteria:
          - id: general.funding.topup
            text: top-up funding
            signals:
              phrases: ["top-up: 3", "element 3", "eligib*", "request ~ assessment"]
              headings: [funding]
              not: [council budget]
              core: [[top-up, element 3]]
              requires: [[panel], [apply, application]]
              met: 5
`

func TestRubricErrorsNameTheLine(t *testing.T) {
	tests := []struct {
		name string
		edit func(string) string
		line string
		msg  string
	}{
		{"bad yaml", func(s string) string { return s + "  - [unclosed\n" }, ":18:", ""},
		{"unknown key", func(s string) string {
			return strings.Replace(s, "              met: 5", "              mett: 5", 1)
		}, ":18:", "mett"},
		{"bad weight", func(s string) string { return strings.Replace(s, `"top-up: 3"`, `"top-up: 300"`, 1) }, ":10:", "weight"},
		{"misplaced star", func(s string) string { return strings.Replace(s, `"eligib*"`, `"el*igib"`, 1) }, ":10:", "* may only end a word"},
		{"empty proximity side", func(s string) string {
			return strings.Replace(s, `"request ~ assessment"`, `"request ~ ~ assessment"`, 1)
		}, ":10:", "~"},
		{"empty requires group", func(s string) string { return strings.Replace(s, "[[panel],", "[[],", 1) }, ":10:", "empty requires group"},
		{"empty core group", func(s string) string { return strings.Replace(s, "core: [[top-up, element 3]]", "core: [[]]", 1) }, ":10:", "empty core group"},
		{"criterion outside its sub-section", func(s string) string {
			return strings.Replace(s, "id: general.funding.topup", "id: schools.topup", 1)
		}, ":10:", "must start with its sub-section id"},
		{"met below threshold", func(s string) string {
			return strings.Replace(s, "              met: 5", "              met: 1\n              threshold: 2", 1)
		}, ":10:", "below threshold"},
		{"unknown structural", func(s string) string {
			return strings.Replace(s, "            text: top-up funding", "            text: top-up funding\n            structural: clicks", 1)
		}, ":10:", "structural"},
		{"no phrases", func(s string) string {
			return strings.Replace(s, `phrases: ["top-up: 3", "element 3", "eligib*", "request ~ assessment"]`, "phrases: []", 1)
		}, ":10:", "no signals.phrases"},
		{"bad rubric-wide text negative", func(s string) string { return s + "not_in_text: [\"salary ~ ~ grade\"]\n" }, "", "not_in_text"},
		{"no version", func(s string) string { return strings.Replace(s, `version: "2"`, `title: x`, 1) }, ":1:", "version"},
		{"duplicate sub-section", func(s string) string {
			return s + `      - id: general.funding
        title: Again
        criteria:
          - id: general.funding.other
            text: other
            signals: {phrases: [x]}
`
		}, ":19:", "duplicate id"},
	}
	if _, err := ParseRubric("good.yaml", []byte(goodRubric)); err != nil {
		t.Fatalf("the base rubric is invalid: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRubric("amended.yaml", []byte(tt.edit(goodRubric)))
			if err == nil {
				t.Fatal("no error")
			}
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("error %T %v is not config.Errors", err, err)
			}
			msg := err.Error()
			if !strings.Contains(msg, "amended.yaml"+tt.line) {
				t.Errorf("error %q does not name amended.yaml%s", msg, tt.line)
			}
			if !strings.Contains(msg, tt.msg) {
				t.Errorf("error %q does not say %q", msg, tt.msg)
			}
		})
	}
}

func TestAmendedRubricFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rubric-v2.yaml")
	if err := os.WriteFile(path, []byte(goodRubric), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := LoadRubric(path)
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != "2" || r.Path != path {
		t.Errorf("version %q path %q", r.Version, r.Path)
	}
	c, ss, ok := r.Criterion("general.funding.topup")
	if !ok || ss.ID != "general.funding" {
		t.Fatal("criterion not found")
	}
	p, m := r.ThresholdsFor(c)
	if p != 1 || m != 5 {
		t.Errorf("thresholds = %v, %v; want the file's partial 1 and the criterion's met 5", p, m)
	}
	if len(c.Signals.Core) != 1 || len(c.Signals.Requires) != 2 {
		t.Errorf("signals = %+v", c.Signals)
	}
	if _, err := LoadRubric(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("a missing rubric file loaded")
	}
}

func TestThresholdDefaults(t *testing.T) {
	r := &Rubric{}
	p, m := r.ThresholdsFor(Criterion{})
	if p != DefaultPartialThreshold || m != DefaultMetThreshold {
		t.Errorf("defaults = %v, %v", p, m)
	}
	p, m = r.ThresholdsFor(Criterion{Signals: Signals{Threshold: 6}})
	if p != 6 || m != 6 {
		t.Errorf("a partial threshold above the default met = %v, %v; want met raised to 6", p, m)
	}
}

func TestCheckPhrase(t *testing.T) {
	for _, ok := range []string{"helpline", "top-up funding", "eligib*", "request ~ assessment", "£6,000", "you said, we did"} {
		if err := CheckPhrase(ok); err != nil {
			t.Errorf("CheckPhrase(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "  ", "*", "a ~ b ~ c", "a ~", "el*ig", "a ~  ", "!!"} {
		if err := CheckPhrase(bad); err == nil {
			t.Errorf("CheckPhrase(%q) accepted", bad)
		}
	}
}
