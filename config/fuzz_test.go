package config

import (
	"errors"
	"strings"
	"testing"
)

// The loaders read files people edit by hand. Whatever the bytes, they
// must return either a configuration that passes its own validation and
// yields sane crawl settings, or positioned Errors naming the file: never
// panic, never a half-valid result.

func FuzzParse(f *testing.F) {
	f.Add(defaultAuthorities)
	for _, s := range []string{
		"authorities:\n  - slug: a\n    name: A\n    start_urls: [\"http://127.0.0.1:1/\"]\n",
		"authorities:\n  - slug: a\n    name: A\n    start_urls: [\"http://a.test/\"]\n    crawl: {delay: -5s}\n",
		"crawl:\n  timeout: 0s\nauthorities:\n  - slug: a\n    name: A\n    start_urls: [\"https://a.test/\"]\n",
		"crawl: {max_page_bytes: 1PB}\nauthorities: []\n",
		"authorities:\n  - &x {slug: a, name: A, start_urls: [\"http://a/\"]}\n  - *x\n",
		"a: &a [*a]\n",
		"authorities:\n  - slug: a\n    name: A\n    start_urls: [\"http://[::1]:99999/\"]\n",
		"\xef\xbb\xbfauthorities: {}\n",
		"",
		"---\n---\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("f.yaml", data)
		if err != nil {
			checkErrors(t, err)
			return
		}
		if c == nil {
			t.Fatal("Parse returned neither a config nor an error")
		}
		if verr := c.Validate(); verr != nil {
			t.Fatalf("Parse accepted a config that fails Validate: %v", verr)
		}
		if len(c.Authorities) == 0 {
			t.Fatal("Parse accepted a config with no authorities")
		}
		for _, a := range c.Authorities {
			if !slugRE.MatchString(a.Slug) {
				t.Fatalf("accepted slug %q", a.Slug)
			}
			for _, u := range a.StartURLs {
				if checkURL(u) != nil {
					t.Fatalf("accepted start URL %q", u)
				}
			}
			s := c.Effective(a)
			if s.Delay < 0 {
				t.Fatalf("%s: accepted a negative delay %v: the crawler would not wait between requests", a.Slug, s.Delay)
			}
			if s.Timeout <= 0 {
				t.Fatalf("%s: accepted timeout %v: a slow site could hold the crawl for ever", a.Slug, s.Timeout)
			}
			if s.MaxPages <= 0 || s.MaxDepth <= 0 || s.MaxPageBytes <= 0 || s.PerHostConnections <= 0 {
				t.Fatalf("%s: effective limits not positive: %+v", a.Slug, s)
			}
		}
	})
}

func FuzzParseRubric(f *testing.F) {
	f.Add(defaultRubric)
	for _, s := range []string{
		"version: \"1\"\nsections:\n  - id: a\n    subsections:\n      - id: a.b\n        criteria:\n          - id: a.b.c\n            text: t\n            signals: {phrases: [\"x\"]}\n",
		"version: \"1\"\nsections:\n  - id: a\n    subsections:\n      - id: a.b\n        criteria:\n          - id: a.b.c\n            text: t\n            signals: {phrases: [\"x ~ y ~ z\"], requires: [[]]}\n",
		"version: 1\nsections: [{id: a, subsections: [{id: a.a, criteria: [{id: a.a.a, text: t, signals: {phrases: ['*']}}]}]}]\n",
		"version: \"1\"\nthresholds: {partial: 5, met: 1}\nsections: []\n",
		"sections:\n  - id: a\n    subsections:\n      - criteria:\n          -\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRubric("r.yaml", data)
		if err != nil {
			checkErrors(t, err)
			return
		}
		if r == nil {
			t.Fatal("ParseRubric returned neither a rubric nor an error")
		}
		if verr := r.Validate(); verr != nil {
			t.Fatalf("ParseRubric accepted a rubric that fails Validate: %v", verr)
		}
		subs := r.Subsections()
		if len(subs) == 0 {
			t.Fatal("accepted a rubric with no sub-sections")
		}
		for _, ss := range subs {
			if _, ok := r.Subsection(ss.ID); !ok {
				t.Fatalf("sub-section %q cannot be looked up", ss.ID)
			}
			if len(ss.Criteria) == 0 {
				t.Fatalf("sub-section %q has no criteria", ss.ID)
			}
			for _, c := range ss.Criteria {
				got, in, ok := r.Criterion(c.ID)
				if !ok || got.ID != c.ID || in.ID != ss.ID {
					t.Fatalf("criterion %q cannot be looked up", c.ID)
				}
				p, m := r.ThresholdsFor(c)
				if p <= 0 || m < p {
					t.Fatalf("criterion %q: thresholds partial %g met %g", c.ID, p, m)
				}
			}
		}
	})
}

// checkErrors requires a loader's error to be positioned Errors that name
// the file, each with a message and a line that is not negative.
func checkErrors(t *testing.T, err error) {
	t.Helper()
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("error %T %q is not config.Errors", err, err)
	}
	if len(es) == 0 {
		t.Fatal("empty Errors returned as an error")
	}
	for _, e := range es {
		if e.Line < 0 || strings.TrimSpace(e.Msg) == "" {
			t.Fatalf("bad error %+v", e)
		}
		if !strings.Contains(e.Error(), ".yaml") {
			t.Fatalf("error %q does not name the file", e.Error())
		}
	}
}
