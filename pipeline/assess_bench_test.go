package pipeline

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/store"
)

// benchSentences vary the generated pages so that no two bodies are alike.
var benchSentences = []string{
	"Opening times change over the school holidays.",
	"Ask at reception if you need help filling in a form.",
	"Parking is available behind the building.",
	"Our staff have training in autism awareness.",
	"The service is free for families living in the borough.",
	"You can bring a friend or advocate to any meeting.",
	"We publish our response times every quarter.",
	"Some sessions are run online as well as in person.",
}

// bigCrawl stores n pages made from the fixture council's pages, each with
// its own path, a varied paragraph and links to its neighbours, as one
// finished crawl.
func bigCrawl(b *testing.B, db *store.DB, n int) {
	b.Helper()
	var templates [][]byte
	err := filepath.WalkDir("../testdata/assess/site", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		templates = append(templates, data)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	c := &store.Crawl{Authority: fixtureAuthority.Slug}
	if err := db.CreateCrawl(c); err != nil {
		b.Fatal(err)
	}
	var caps []store.Capture
	for i := range n {
		body := string(templates[i%len(templates)])
		extra := fmt.Sprintf("<p>Service %d. %s %s</p><p><a href=\"/p/%d\">Next service</a></p></main>",
			i, benchSentences[i%len(benchSentences)], benchSentences[(i/len(benchSentences))%len(benchSentences)], (i+1)%n)
		body = strings.Replace(body, "</main>", extra, 1)
		path := fmt.Sprintf("/p/%d", i)
		if i == 0 {
			path = "/send/local-offer"
		}
		u := fixtureHost + path
		snap := &store.Snapshot{CrawlID: c.ID, Authority: c.Authority, URL: u, FinalURL: u, Status: 200,
			ContentType: "text/html; charset=utf-8", Kind: "html",
			Links: []store.Link{{URL: fmt.Sprintf("%s/p/%d", fixtureHost, (i+1)%n), Text: "Next service", InScope: true}, {URL: fixtureHost + "/send/local-offer", Text: "SEND Local Offer", InScope: true, Nav: true}}}
		caps = append(caps, store.Capture{Snapshot: snap, Body: []byte(body)})
		if len(caps) == 500 {
			if err := db.PutSnapshots(caps); err != nil {
				b.Fatal(err)
			}
			caps = caps[:0]
		}
	}
	if err := db.PutSnapshots(caps); err != nil {
		b.Fatal(err)
	}
	c.Status = store.CrawlDone
	c.Counts.Pages = n
	if err := db.UpdateCrawl(c); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkAssess20k assesses a crawl of 20,000 stored pages: reading and
// decompressing every body, learning the site's chrome, extracting main
// text, scoring every passage against the rubric and saving suggestions.
// It reports pages/s.
func BenchmarkAssess20k(b *testing.B) {
	const n = 20000
	db, err := store.Open(filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	bigCrawl(b, db, n)
	r := config.DefaultRubric()
	b.ResetTimer()
	for b.Loop() {
		res, err := Assess(context.Background(), db, nil, r, fixtureAuthority, AssessOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if res.Pages != n {
			b.Fatalf("assessed %d pages, want %d", res.Pages, n)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "pages/s")
}
