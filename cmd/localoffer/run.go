package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/crawler"
	"github.com/localoffer/localoffer/pipeline"
	"github.com/localoffer/localoffer/store"
	"github.com/spf13/cobra"
)

func init() {
	register(func(g *globals) *cobra.Command {
		var (
			las      []string
			parallel int
		)
		cmd := &cobra.Command{
			Use:   "run [--la SLUG]...",
			Short: "Crawl, assess and check for changes in one go",
			Long: `run does the whole job for each authority, as a scheduled run in
'localoffer serve --schedule' does: a crawl (conditional requests after the
first, so an unchanged site costs little), an assessment, then a comparison
with the previous crawl. Evidence on pages that changed, moved or vanished is
marked stale, and scores a reviewer had fixed on that evidence are flagged for
re-review; nothing a reviewer decided is deleted. The run is recorded in the
history that 'localoffer crawls' prints.

An authority that another run is crawling at the same moment is skipped.

  localoffer run                  # every authority in the list
  localoffer run --la bolton      # only Bolton
  localoffer changes --la bolton  # then see what changed

Exit status: 0 when every authority ran, 1 when any failed or was skipped.`,
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				cfg, rub, as, err := g.loadSelection(las)
				if err != nil {
					return err
				}
				if parallel < 1 {
					return usagef("--parallel must be at least 1")
				}
				db, err := g.openDB()
				if err != nil {
					return err
				}
				defer db.Close()
				r, err := runPipeline(cmd.Context(), g, db, cfg, rub, as, store.TriggerManual, parallel, crawler.Options{})
				if r != nil {
					printRun(g.stdout, r)
				}
				if err != nil {
					return err
				}
				if r.Status != store.RunDone {
					return fmt.Errorf("run %s: %s (see 'localoffer crawls')", r.ID, r.Status)
				}
				return nil
			},
		}
		cmd.Flags().StringArrayVar(&las, "la", nil, "authority slug to run (repeatable; default: all)")
		cmd.Flags().IntVar(&parallel, "parallel", 4, "authorities crawled at once (each host still gets one request at a time)")
		return cmd
	})
}

// runPipeline runs the pipeline with progress lines on stderr.
func runPipeline(ctx context.Context, g *globals, db *store.DB, cfg *config.Config, rub *config.Rubric, as []config.Authority, trigger string, parallel int, co crawler.Options) (*store.Run, error) {
	return pipeline.Run(ctx, db, cfg, rub, as, pipeline.Options{
		Trigger:  trigger,
		Parallel: parallel,
		Crawler:  co,
		Log:      g.log,
	})
}

// printRun writes one line per authority of a finished run.
func printRun(w io.Writer, r *store.Run) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "AUTHORITY\tCRAWL\tPAGES\tUNCHANGED\tNEW EVIDENCE\tADDED\tREMOVED\tCHANGED\tMOVED\tSTALE\tRE-REVIEW\tNOTE")
	for _, ra := range r.Authorities {
		note := ra.Error
		if ra.Skipped != "" {
			note = "skipped: " + ra.Skipped
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", ra.Slug, dash(ra.CrawlID), ra.Pages, ra.NotModified, ra.NewItems,
			ra.Added, ra.Removed, ra.Changed, ra.Moved, ra.Stale, ra.ReReview, oneLine(note))
	}
	tw.Flush()
	fmt.Fprintf(w, "run %s %s in %s\n", r.ID, r.Status, r.Ended.Sub(r.Started).Round(1e8))
}
