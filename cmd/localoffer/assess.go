package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/localoffer/localoffer/changes"
	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/evidence"
	"github.com/localoffer/localoffer/pipeline"
	"github.com/localoffer/localoffer/store"
	"github.com/spf13/cobra"
)

func init() {
	register(func(g *globals) *cobra.Command {
		var slugs []string
		var workers int
		cmd := &cobra.Command{
			Use:   "assess",
			Short: "Suggest evidence and scores from the latest crawl",
			Long: `assess reads each authority's latest finished crawl from the store, extracts
the main text of every captured page and document, scores its passages
against the rubric's signals, judges signposting from the links between the
council's home page and the Local Offer, and saves a suggested score per
sub-section with ranked evidence.

Re-running it never discards a reviewer's work: accepted and rejected items
stay (marked stale when their page no longer evidences them), items
reviewers added are untouched, and new suggestions are added. When the last
assessment was made on an earlier crawl, the two crawls are compared on main
text: evidence on changed or vanished pages is marked stale and the scores
it supported are flagged for re-review, as a scheduled run does.

Use --rubric FILE to assess with an amended rubric.`,
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				cfg, r, las, err := g.loadSelection(slugs)
				if err != nil {
					return err
				}
				db, err := g.openDB()
				if err != nil {
					return err
				}
				defer db.Close()
				return runAssess(cmd, g, db, cfg, r, las, len(slugs) > 0, workers)
			},
		}
		cmd.Flags().StringArrayVar(&slugs, "la", nil, "authority slug to assess (repeatable; default: every authority with a crawl)")
		cmd.Flags().IntVar(&workers, "workers", 0, "pages extracted at once (default: number of CPUs)")
		return cmd
	})
}

// runAssess assesses each authority and prints one line per authority.
// Authorities never crawled are skipped with a note unless they were named
// with --la, which makes their absence an error.
func runAssess(cmd *cobra.Command, g *globals, db *store.DB, cfg *config.Config, r *config.Rubric, las []config.Authority, named bool, workers int) error {
	var failed []string
	assessed := 0
	for _, a := range las {
		res, ch, err := pipeline.Refresh(cmd.Context(), db, cfg, r, a, pipeline.AssessOptions{Workers: workers, Log: g.log}, "")
		if err != nil {
			if store.IsNotFound(err) && !named {
				g.log.Info("not crawled yet; skipped", "authority", a.Slug)
				continue
			}
			if cmd.Context().Err() != nil {
				return err
			}
			g.log.Error("assess failed", "authority", a.Slug, "err", err)
			failed = append(failed, a.Slug)
			continue
		}
		assessed++
		counts := map[evidence.Score]int{}
		for _, s := range res.Suggestions {
			counts[s.Score]++
		}
		fmt.Fprintf(g.stdout, "%s: crawl %s, %d documents (%d unreadable); Yes %d, Partial %d, No %d; %d evidence items (%d new) in %s\n",
			a.Slug, res.CrawlID, res.Pages, res.Skipped, counts[evidence.Yes], counts[evidence.Partial], counts[evidence.No],
			res.Items, res.Added, res.Duration.Round(time.Millisecond))
		if rep := ch.Report; rep != nil {
			fmt.Fprintf(g.stdout, "%s: since crawl %s: %d pages added, %d removed, %d changed, %d moved; %d evidence items stale, %d scores to re-review (details: localoffer changes --la %s)\n",
				a.Slug, ch.Previous, rep.Count(changes.Added), rep.Count(changes.Removed), rep.Count(changes.Changed), rep.Count(changes.Moved), ch.Stale, ch.ReReview, a.Slug)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("assess failed for %s", strings.Join(failed, ", "))
	}
	if assessed == 0 {
		return errors.New("nothing to assess: no authority has a finished crawl (run localoffer crawl first)")
	}
	return nil
}
