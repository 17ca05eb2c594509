package report_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/evidence"
	"github.com/localoffer/localoffer/store"
)

// The fixture region: five pilot authorities with a pattern of scores per
// sub-section in rubric order. Y, P, N are reviewer-fixed scores; "?" is a
// sub-section nobody has decided; "s" has a final score saved but not
// marked reviewed (a draft), which must not count either.
type fixtureLA struct {
	slug, name, pattern string
}

var fixtureScores = []fixtureLA{
	{"bolton", "Bolton Council", "YYPYYPYYYPYPN"},
	{"bury", "Bury Council", "PNPYYPNYPNPPN"},
	{"sefton", "Sefton Council", "YPNPYYPPYNP?N"},
	{"wigan", "Wigan Council", "PPNYNPNsYPN?N"},
	{"wirral", "Wirral Council", "?????????????"},
}

// fixtureAuthorities are the fixture region as config authorities.
func fixtureAuthorities() []config.Authority {
	var out []config.Authority
	for _, f := range fixtureScores {
		out = append(out, config.Authority{Slug: f.slug, Name: f.name, StartURLs: []string{"https://www." + f.slug + ".gov.uk/localoffer"}})
	}
	return out
}

// want is what the fixture's pattern says a cell should be: "" for not
// counted.
func want(slug string, i int) evidence.Score {
	for _, f := range fixtureScores {
		if f.slug == slug {
			return scoreOf(f.pattern[i])
		}
	}
	return ""
}

func scoreOf(c byte) evidence.Score {
	switch c {
	case 'Y':
		return evidence.Yes
	case 'P':
		return evidence.Partial
	case 'N':
		return evidence.No
	}
	return ""
}

var fixtureTime = time.Date(2026, 10, 14, 9, 30, 0, 0, time.UTC)

// seed opens a store in a temporary folder and fills it with the fixture
// region: a finished crawl per authority, captured pages, suggestions,
// evidence items (some best practice) and decisions, through the store's
// own methods.
func seed(t testing.TB) (*store.DB, *config.Rubric) {
	t.Helper()
	return seedWith(t, fixtureScores)
}

// seedWith seeds the given authorities (see seed).
func seedWith(t testing.TB, las []fixtureLA) (*store.DB, *config.Rubric) {
	t.Helper()
	rub := config.DefaultRubric()
	db, err := store.Open(filepath.Join(t.TempDir(), "localoffer.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.Now = func() time.Time { return fixtureTime }
	page, err := os.ReadFile(filepath.Join("..", "testdata", "report", "page.html"))
	if err != nil {
		t.Fatal(err)
	}
	subs := rub.Subsections()
	for ai, f := range las {
		crawl := &store.Crawl{Authority: f.slug, Started: fixtureTime.Add(time.Duration(ai) * time.Hour)}
		if err := db.CreateCrawl(crawl); err != nil {
			t.Fatal(err)
		}
		crawl.Status = store.CrawlDone
		crawl.Ended = crawl.Started.Add(40 * time.Minute)
		crawl.Counts.Pages = 80 + ai
		crawl.Counts.Documents = 3
		if err := db.UpdateCrawl(crawl); err != nil {
			t.Fatal(err)
		}
		var sugs []evidence.Suggestion
		var items []evidence.Item
		// Capture every page in one transaction, then make the items.
		snaps := make([]*store.Snapshot, len(subs))
		var caps []store.Capture
		for si, sub := range subs {
			url := pageURL(f.slug, sub.ID)
			title := fmt.Sprintf("%s: %s", f.name, sub.Title)
			body := strings.NewReplacer("{{title}}", title, "{{heading}}", "What we offer", "{{snippet}}", snippetOf(f.name, sub)).Replace(string(page))
			snaps[si] = &store.Snapshot{CrawlID: crawl.ID, Authority: f.slug, URL: url, FinalURL: url, Status: 200,
				Header:     map[string][]string{"Content-Type": {"text/html; charset=utf-8"}, "Content-Encoding": {"gzip"}, "Etag": {`"abc"`}},
				CapturedAt: crawl.Started.Add(time.Duration(si) * time.Minute), ContentType: "text/html", Charset: "utf-8", Kind: "html"}
			caps = append(caps, store.Capture{Snapshot: snaps[si], Body: []byte(body)})
		}
		if err := db.PutSnapshots(caps); err != nil {
			t.Fatal(err)
		}
		for si, sub := range subs {
			url := pageURL(f.slug, sub.ID)
			title := fmt.Sprintf("%s: %s", f.name, sub.Title)
			heading := "What we offer"
			snippet := snippetOf(f.name, sub)
			snap := snaps[si]
			var crit []evidence.CriterionResult
			for _, c := range sub.Criteria {
				crit = append(crit, evidence.CriterionResult{ID: c.ID, Status: evidence.PartMet, Score: 0.5})
			}
			sugs = append(sugs, evidence.Suggestion{Authority: f.slug, Subsection: sub.ID, Score: evidence.Partial, Criteria: crit, RubricVersion: rub.Version, CrawlID: crawl.ID, AssessedAt: fixtureTime})
			it := evidence.Item{
				ID: evidence.ItemID(f.slug, sub.ID, url, heading), Authority: f.slug, Subsection: sub.ID,
				URL: url, Title: title, Heading: heading, Snippet: snippet, Confidence: 0.8,
				SnapshotID: snap.ID, SHA256: snap.SHA256, CrawlID: crawl.ID, Origin: evidence.Suggested, Status: evidence.Proposed,
			}
			switch scoreOf(f.pattern[si]) {
			case evidence.Yes:
				for _, c := range sub.Criteria {
					it.Criteria = append(it.Criteria, c.ID)
				}
				it.Status = evidence.Accepted
				// Bolton's and Sefton's Yes items on the first four
				// sub-sections are the region's exemplars.
				it.BestPractice = (f.slug == "bolton" || f.slug == "sefton") && si < 4
			case evidence.Partial:
				it.Criteria = []string{sub.Criteria[0].ID}
				it.Status = evidence.Accepted
				it.Note = "Mentions it only in passing."
			default:
				it.Criteria = []string{sub.Criteria[0].ID}
				if f.pattern[si] == 'N' {
					it.Status = evidence.Rejected
				}
			}
			items = append(items, it)
		}
		if _, err := db.SaveAssessment(f.slug, sugs, items, "re-assessed"); err != nil {
			t.Fatal(err)
		}
		for si, sub := range subs {
			c := f.pattern[si]
			if c == '?' {
				continue
			}
			_, err := db.SaveDecision("ana", f.slug, sub.ID, 0, "fix score", func(d *evidence.Decision) error {
				switch c {
				case 's':
					d.FinalScore = evidence.Yes // draft: not reviewed
				default:
					d.FinalScore, _ = evidence.ParseScore(string(c))
					d.Reviewed = true
					d.ReviewedBy = "ana"
					d.RubricVersion = rub.Version
				}
				if c == 'N' {
					d.Rationale = "Nothing on the Local Offer covers this."
				}
				if c == 'P' {
					d.AdviserJudgement = "Close to Yes; the statutory detail is missing."
					d.AdviserBy = "sam"
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	return db, rub
}

func pageURL(slug, sub string) string {
	return fmt.Sprintf("https://www.%s.gov.uk/localoffer/%s", slug, strings.ReplaceAll(sub, ".", "/"))
}

func snippetOf(name string, sub config.Subsection) string {
	return fmt.Sprintf("%s sets out %s for families across the borough.", name, strings.ToLower(sub.Criteria[0].Text))
}
