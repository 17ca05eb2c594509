package config

import (
	_ "embed"
	"fmt"
	"os"
	"regexp"
	"strings"
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
	// Requires are groups of alternatives; every group must be present in a
	// passage (or its page) for the criterion to count as met, not partial.
	Requires [][]string `yaml:"requires"`
	// Threshold overrides the default score a passage needs to be evidence.
	Threshold float64 `yaml:"threshold"`
}

// DefaultRubric returns the embedded rubric, version 1.
func DefaultRubric() *Rubric {
	r, err := ParseRubric("", defaultRubric)
	if err != nil {
		panic("embedded rubric is invalid: " + err.Error())
	}
	return r
}

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
				for _, p := range c.Signals.Phrases {
					if _, _, err := ParseWeighted(p); err != nil {
						add(c.Line, "criterion %q: %v", c.ID, err)
					}
				}
				for _, g := range c.Signals.Requires {
					if len(g) == 0 {
						add(c.Line, "criterion %q: an empty requires group", c.ID)
					}
				}
			}
		}
	}
	if len(errs) > 0 {
		return errs
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
