package pipeline

import (
	"fmt"

	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/evidence"
	"github.com/localoffer/localoffer/store"
)

// LoadAssessment assembles authority a's assessment from the store: the
// suggestions of the last assess run, every evidence item with its review
// state and the reviewers' decisions. It returns an error wrapping
// evidence.ErrNotFound when a has never been assessed.
func LoadAssessment(db *store.DB, r *config.Rubric, a config.Authority) (evidence.Assessment, error) {
	sugs, err := db.Suggestions(a.Slug)
	if err != nil {
		return evidence.Assessment{}, fmt.Errorf("load assessment %s: %w", a.Slug, err)
	}
	if len(sugs) == 0 {
		return evidence.Assessment{}, fmt.Errorf("load assessment %s: not assessed yet: %w", a.Slug, evidence.ErrNotFound)
	}
	items, err := db.Items(a.Slug, "")
	if err != nil {
		return evidence.Assessment{}, fmt.Errorf("load assessment %s: %w", a.Slug, err)
	}
	decs, err := db.Decisions(a.Slug)
	if err != nil {
		return evidence.Assessment{}, fmt.Errorf("load assessment %s: %w", a.Slug, err)
	}
	var ref evidence.CrawlRef
	for _, s := range sugs {
		if s.CrawlID != "" {
			ref.ID = s.CrawlID
			break
		}
	}
	if ref.ID != "" {
		if c, err := db.Crawl(ref.ID); err == nil {
			ref.Started = c.Started
			ref.Pages = c.Counts.Pages + c.Counts.Documents
		}
	}
	return evidence.BuildAssessment(r, a.Slug, a.Name, ref, sugs, items, decs), nil
}
