package config

import (
	_ "embed"
	"fmt"
	"os"
	"regexp"
	"strings"
	"unicode"
)

//go:embed rubric.yaml
var defaultRubric []byte

// Rubric is a versioned assessment rubric: sections, sub-sections and
// criteria, with the signals that find evidence for each criterion and the
// recommendation text the report uses when a sub-section falls short.
// Amending the rubric is editing the file and bumping Version.
type Rubric struct {
	Path     string    `yaml:"-"`
	Version  string    `yaml:"version"`
	Title    string    `yaml:"title"`
	Sections []Section `yaml:"sections"`
	// Negative are contexts that mean something else everywhere (the council
	// budget, the accessibility statement, adult social care...).
	Negative []string `yaml:"not"`
	// NegativeText are contexts that mean something else wherever a page
	// names them, its text included (a job advert's closing date, an
	// appeal hearing): every criterion treats them as its own not phrases.
	NegativeText []string `yaml:"not_in_text"`
	// Thresholds turn relevance scores into criterion statuses; a
	// criterion's own signals may override them.
	Thresholds Thresholds `yaml:"thresholds"`
}

// Thresholds are the relevance scores a page needs for a criterion to be
// partly met (Partial) and met (Met, which also needs every requires group).
type Thresholds struct {
	Partial float64 `yaml:"partial"`
	Met     float64 `yaml:"met"`
}

// Default thresholds, used when the rubric file sets none.
const (
	DefaultPartialThreshold = 2
	DefaultMetThreshold     = 4
)

// Structural signals: criteria judged from the site's link structure
// rather than from text.
const StructuralSignposting = "signposting"

// ThresholdsFor returns the partial and met thresholds of criterion c: its
// own when set, else the rubric's, else the defaults.
func (r *Rubric) ThresholdsFor(c Criterion) (partial, met float64) {
	partial, met = r.Thresholds.Partial, r.Thresholds.Met
	if partial <= 0 {
		partial = DefaultPartialThreshold
	}
	if met <= 0 {
		met = DefaultMetThreshold
	}
	if c.Signals.Threshold > 0 {
		partial = c.Signals.Threshold
	}
	if c.Signals.Met > 0 {
		met = c.Signals.Met
	}
	if met < partial {
		met = partial
	}
	return partial, met
}

// Section is one of the rubric's top-level parts (General, Early Years...).
type Section struct {
	ID          string       `yaml:"id"`
	Title       string       `yaml:"title"`
	Subsections []Subsection `yaml:"subsections"`
}

// Subsection is what gets a Yes / Partial / No score.
type Subsection struct {
	ID             string      `yaml:"id"`
	Code           string      `yaml:"code"`
	Title          string      `yaml:"title"`
	Criteria       []Criterion `yaml:"criteria"`
	Recommendation string      `yaml:"recommendation"`
	Line           int         `yaml:"-"`
}

// Criterion is one statutory expectation within a sub-section.
type Criterion struct {
	ID      string  `yaml:"id"`
	Text    string  `yaml:"text"`
	Signals Signals `yaml:"signals"`
	// Structural names a signal computed from site structure rather than
	// text ("signposting": clicks from the council home page).
	Structural string `yaml:"structural"`
	Line       int    `yaml:"-"`
}

// Signals say how to recognise a passage that evidences a criterion.
type Signals struct {
	// Phrases are words and phrases with weights, written "phrase" or
	// "phrase: weight" (weight 1 by default).
	Phrases []string `yaml:"phrases"`
	// Headings are words that count more in titles, headings, URL words and
	// anchor texts.
	Headings []string `yaml:"headings"`
	// Not are contexts that mean the passage is about something else.
	Not []string `yaml:"not"`
	// Core are groups of alternatives that must all be present for a page
	// to count as evidence at all: the words without which a passage is
	// about something else ("custody" for support on release from custody).
	Core [][]string `yaml:"core"`
	// Requires are groups of alternatives; every group must be present in a
	// passage (or its page) for the criterion to count as met, not partial.
	Requires [][]string `yaml:"requires"`
	// Threshold overrides the score a page needs to be evidence at all
	// (the criterion partly met).
	Threshold float64 `yaml:"threshold"`
	// Met overrides the score a page needs for the criterion to be met.
	Met float64 `yaml:"met"`
}

// DefaultRubric returns the embedded rubric, version 1.
func DefaultRubric() *Rubric {
	r, err := ParseRubric("", defaultRubric)
	if err != nil {
		panic("embedded rubric is invalid: " + err.Error())
	}
	return r
}

// DefaultRubricYAML returns the embedded rubric file as written, comments
// included, as a starting point for an amended rubric.
func DefaultRubricYAML() []byte { return append([]byte(nil), defaultRubric...) }

// LoadRubric reads a rubric file, or the embedded default when path is "".
func LoadRubric(path string) (*Rubric, error) {
	if path == "" {
		return DefaultRubric(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read rubric: %w", err)
	}
	return ParseRubric(path, data)
}

var idRE = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)*$`)

// ParseRubric reads and validates a rubric; file names it in errors.
func ParseRubric(file string, data []byte) (*Rubric, error) {
	var r Rubric
	doc, err := decodeStrict(file, data, &r)
	if err != nil {
		return nil, err
	}
	r.Path = file
	// Record lines of sub-sections and criteria for later messages.
	if secs := childNode(doc.Content[0], "sections"); secs != nil {
		for i, sn := range secs.Content {
			if i >= len(r.Sections) {
				break
			}
			subs := childNode(sn, "subsections")
			if subs == nil {
				continue
			}
			for j, ssn := range subs.Content {
				if j >= len(r.Sections[i].Subsections) {
					break
				}
				ss := &r.Sections[i].Subsections[j]
				ss.Line = ssn.Line
				if crit := childNode(ssn, "criteria"); crit != nil {
					for k, cn := range crit.Content {
						if k < len(ss.Criteria) {
							ss.Criteria[k].Line = cn.Line
						}
					}
				}
			}
		}
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

// Validate checks ids, nesting and signal syntax.
func (r *Rubric) Validate() error {
	var errs Errors
	add := func(line int, format string, args ...any) {
		errs = append(errs, &Error{File: r.Path, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	if strings.TrimSpace(r.Version) == "" {
		add(1, "version is required (a string such as \"1\")")
	}
	if len(r.Sections) == 0 {
		add(1, "no sections")
	}
	ids := map[string]bool{}
	for _, s := range r.Sections {
		if !idRE.MatchString(s.ID) {
			add(0, "section id %q must be lower-case words joined by dots", s.ID)
		}
		if len(s.Subsections) == 0 {
			add(0, "section %q has no sub-sections", s.ID)
		}
		for _, ss := range s.Subsections {
			if !idRE.MatchString(ss.ID) || !strings.HasPrefix(ss.ID, s.ID+".") {
				add(ss.Line, "sub-section id %q must start with its section id %q and a dot", ss.ID, s.ID)
			}
			if ids[ss.ID] {
				add(ss.Line, "duplicate id %q", ss.ID)
			}
			ids[ss.ID] = true
			if len(ss.Criteria) == 0 {
				add(ss.Line, "sub-section %q has no criteria", ss.ID)
			}
			for _, c := range ss.Criteria {
				if !idRE.MatchString(c.ID) || !strings.HasPrefix(c.ID, ss.ID+".") {
					add(c.Line, "criterion id %q must start with its sub-section id %q and a dot", c.ID, ss.ID)
				}
				if ids[c.ID] {
					add(c.Line, "duplicate id %q", c.ID)
				}
				ids[c.ID] = true
				if strings.TrimSpace(c.Text) == "" {
					add(c.Line, "criterion %q has no text", c.ID)
				}
				if c.Structural == "" && len(c.Signals.Phrases) == 0 {
					add(c.Line, "criterion %q has no signals.phrases", c.ID)
				}
				if c.Structural != "" && c.Structural != StructuralSignposting {
					add(c.Line, "criterion %q: structural %q is unknown (the one known is %q)", c.ID, c.Structural, StructuralSignposting)
				}
				for _, p := range append(append([]string(nil), c.Signals.Phrases...), c.Signals.Headings...) {
					phrase, _, err := ParseWeighted(p)
					if err == nil {
						err = CheckPhrase(phrase)
					}
					if err != nil {
						add(c.Line, "criterion %q: %v", c.ID, err)
					}
				}
				for _, p := range c.Signals.Not {
					if err := CheckPhrase(p); err != nil {
						add(c.Line, "criterion %q: not: %v", c.ID, err)
					}
				}
				for key, groups := range map[string][][]string{"core": c.Signals.Core, "requires": c.Signals.Requires} {
					for _, g := range groups {
						if len(g) == 0 {
							add(c.Line, "criterion %q: an empty %s group", c.ID, key)
						}
						for _, p := range g {
							if err := CheckPhrase(p); err != nil {
								add(c.Line, "criterion %q: %s: %v", c.ID, key, err)
							}
						}
					}
				}
				if c.Signals.Threshold < 0 || c.Signals.Met < 0 {
					add(c.Line, "criterion %q: thresholds must not be negative", c.ID)
				}
				if c.Signals.Threshold > 0 && c.Signals.Met > 0 && c.Signals.Met < c.Signals.Threshold {
					add(c.Line, "criterion %q: met (%g) is below threshold (%g)", c.ID, c.Signals.Met, c.Signals.Threshold)
				}
			}
		}
	}
	for _, p := range r.Negative {
		if err := CheckPhrase(p); err != nil {
			add(0, "not: %v", err)
		}
	}
	for _, p := range r.NegativeText {
		if err := CheckPhrase(p); err != nil {
			add(0, "not_in_text: %v", err)
		}
	}
	if r.Thresholds.Partial < 0 || r.Thresholds.Met < 0 {
		add(0, "thresholds must not be negative")
	}
	if r.Thresholds.Partial > 0 && r.Thresholds.Met > 0 && r.Thresholds.Met < r.Thresholds.Partial {
		add(0, "thresholds: met (%g) is below partial (%g)", r.Thresholds.Met, r.Thresholds.Partial)
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// CheckPhrase checks the syntax of a signal phrase: words, a word ending in
// "*" for a prefix ("eligib*"), or two phrases joined by " ~ " that must
// occur near each other ("request ~ assessment").
func CheckPhrase(p string) error {
	if strings.TrimSpace(p) == "" {
		return fmt.Errorf("empty phrase")
	}
	parts := []string{p}
	if a, b, ok := strings.Cut(p, " ~ "); ok {
		if strings.Contains(b, " ~ ") {
			return fmt.Errorf("phrase %q: only two parts may be joined with ~", p)
		}
		parts = []string{a, b}
	}
	for _, part := range parts {
		words := strings.Fields(part)
		if !strings.ContainsFunc(part, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
			return fmt.Errorf("phrase %q: no letters or digits in %q", p, strings.TrimSpace(part))
		}
		for _, w := range words {
			if w == "~" {
				return fmt.Errorf("phrase %q: write ~ with a space on both sides between two phrases", p)
			}
			if i := strings.Index(w, "*"); i >= 0 && (i != len(w)-1 || i == 0) {
				return fmt.Errorf("phrase %q: * may only end a word, as in eligib*", p)
			}
		}
	}
	return nil
}

// ParseWeighted splits "phrase: 2.5" into the phrase and its weight.
func ParseWeighted(s string) (string, float64, error) {
	phrase, weight := s, 1.0
	if i := strings.LastIndex(s, ":"); i > 0 {
		var w float64
		if _, err := fmt.Sscanf(strings.TrimSpace(s[i+1:]), "%g", &w); err == nil {
			phrase, weight = strings.TrimSpace(s[:i]), w
		}
	}
	phrase = strings.TrimSpace(phrase)
	if phrase == "" {
		return "", 0, fmt.Errorf("empty phrase in %q", s)
	}
	if weight <= 0 || weight > 100 {
		return "", 0, fmt.Errorf("phrase %q: weight must be in (0, 100]", s)
	}
	return phrase, weight, nil
}

// Subsection returns the sub-section with id.
func (r *Rubric) Subsection(id string) (Subsection, bool) {
	for _, s := range r.Sections {
		for _, ss := range s.Subsections {
			if ss.ID == id {
				return ss, true
			}
		}
	}
	return Subsection{}, false
}

// Subsections returns every sub-section in rubric order.
func (r *Rubric) Subsections() []Subsection {
	var out []Subsection
	for _, s := range r.Sections {
		out = append(out, s.Subsections...)
	}
	return out
}

// SectionOf returns the section that holds sub-section id.
func (r *Rubric) SectionOf(id string) (Section, bool) {
	for _, s := range r.Sections {
		for _, ss := range s.Subsections {
			if ss.ID == id {
				return s, true
			}
		}
	}
	return Section{}, false
}

// Criterion returns the criterion with id and its sub-section.
func (r *Rubric) Criterion(id string) (Criterion, Subsection, bool) {
	for _, s := range r.Sections {
		for _, ss := range s.Subsections {
			for _, c := range ss.Criteria {
				if c.ID == id {
					return c, ss, true
				}
			}
		}
	}
	return Criterion{}, Subsection{}, false
}
