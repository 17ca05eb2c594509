package review

import (
	"net/url"
	"strings"
	"testing"

	"github.com/localoffer/localoffer/evidence"
	"github.com/localoffer/localoffer/store"
	"golang.org/x/net/html"
)

// TestPagesAreWellFormedForAssistiveTech checks, on every kind of page,
// what a screen reader relies on: ids are unique, every label points at a
// field, every visible field has a label, every in-page link (the error
// summary's, the contents') has a target, the page has one h1 and a lang.
func TestPagesAreWellFormedForAssistiveTech(t *testing.T) {
	f := newFixture(t)
	if _, err := f.db.AssignDoubleReview("admin1", store.DoubleReview{Authority: "brackenfield", Subsection: "post16.future", FirstReviewer: "reviewer2", FirstScore: evidence.Yes}); err != nil {
		t.Fatal(err)
	}
	pages := []struct{ user, method, path string }{
		{"", "GET", "/login"},
		{"viewer1", "GET", "/"},
		{"reviewer1", "GET", "/a/brackenfield"},
		{"adviser1", "GET", "/a/merrow-bridge"},
		{"admin1", "GET", "/agreement"},
		{"admin1", "GET", "/admin"},
		{"reviewer1", "GET", "/double/brackenfield/post16.future"},
		{"viewer1", "GET", "/a/brackenfield/audit"},
		{"viewer1", "GET", "/keys"},
		{"viewer1", "GET", "/snapshot/" + f.snapEHC + "?item=" + f.itemEHC},
		{"viewer1", "GET", "/snapshot/" + f.snapPDF},
		{"viewer1", "GET", "/runs"},
		{"viewer1", "GET", "/a/brackenfield/changes"},
		// An error page with an error summary.
		{"reviewer1", "POST", "/a/brackenfield/s/general.funding/score"},
	}
	for _, p := range pages {
		var form url.Values
		if p.method == "POST" {
			form = url.Values{"version": {"0"}}
		}
		rec := f.do(p.method, p.path, p.user, form)
		doc, err := html.Parse(strings.NewReader(rec.Body.String()))
		if err != nil {
			t.Fatalf("%s: %v", p.path, err)
		}
		ids := map[string]int{}
		labelFor := map[string]bool{}
		var fields []*html.Node
		var hrefs []string
		h1 := 0
		lang := ""
		var walk func(n *html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode {
				if id := attr(n, "id"); id != "" {
					ids[id]++
				}
				switch n.Data {
				case "html":
					lang = attr(n, "lang")
				case "h1":
					h1++
				case "label":
					labelFor[attr(n, "for")] = true
				case "input", "select", "textarea":
					if typ := attr(n, "type"); typ != "hidden" && typ != "submit" {
						fields = append(fields, n)
					}
				case "a":
					if h := attr(n, "href"); strings.HasPrefix(h, "#") {
						hrefs = append(hrefs, h[1:])
					}
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(doc)
		where := p.method + " " + p.path
		if lang == "" || h1 != 1 {
			t.Errorf("%s: lang %q and %d h1, want a lang and one h1", where, lang, h1)
		}
		for id, n := range ids {
			if n > 1 {
				t.Errorf("%s: id %q used %d times", where, id, n)
			}
		}
		for l := range labelFor {
			if ids[l] == 0 {
				t.Errorf("%s: label for %q has no field", where, l)
			}
		}
		for _, fl := range fields {
			id := attr(fl, "id")
			if !labelFor[id] && attr(fl, "aria-label") == "" {
				t.Errorf("%s: <%s name=%q id=%q> has no label", where, fl.Data, attr(fl, "name"), id)
			}
		}
		for _, h := range hrefs {
			if h != "" && ids[h] == 0 && h != "main" && h != "lo-passage" {
				t.Errorf("%s: link to #%s goes nowhere", where, h)
			}
		}
	}
}
