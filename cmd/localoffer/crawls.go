package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/localoffer/localoffer/store"
	"github.com/spf13/cobra"
)

func init() {
	register(func(g *globals) *cobra.Command {
		var (
			las   []string
			limit int
		)
		cmd := &cobra.Command{
			Use:   "crawls [--la SLUG]... [--limit N]",
			Short: "List past crawls and runs, and any crawl in progress",
			Long: `crawls prints the history kept in the store: every crawl (its id, start, end,
status and page counts, with how many pages were unchanged since the crawl
before), then the runs ('localoffer run', scheduled runs in 'localoffer serve'
and the demo) with what each found changed, then the crawl locks held.

Use a crawl id with 'localoffer changes --la SLUG --since ID'.`,
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				if limit < 0 {
					return usagef("--limit cannot be negative")
				}
				db, err := store.OpenWith(g.dbPath, store.Options{ReadOnly: true})
				if err != nil {
					return err
				}
				defer db.Close()
				return printHistory(g.stdout, db, las, limit)
			},
		}
		cmd.Flags().StringArrayVar(&las, "la", nil, "only this authority (repeatable)")
		cmd.Flags().IntVar(&limit, "limit", 20, "show at most N crawls and N runs (0 for all)")
		return cmd
	})
}

func printHistory(w io.Writer, db *store.DB, las []string, limit int) error {
	want := map[string]bool{}
	for _, l := range las {
		want[l] = true
	}
	all, err := db.Crawls("")
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CRAWL\tAUTHORITY\tSTARTED\tTOOK\tSTATUS\tPAGES\tUNCHANGED\tERRORS\tRUN")
	n := 0
	for _, c := range all {
		if len(want) > 0 && !want[c.Authority] {
			continue
		}
		if limit > 0 && n >= limit {
			break
		}
		n++
		took := "-"
		if !c.Ended.IsZero() {
			took = c.Ended.Sub(c.Started).Round(time.Second).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\n", c.ID, c.Authority, c.Started.Local().Format("2006-01-02 15:04"), took, c.Status,
			c.Counts.Pages, c.Counts.NotModified, c.Counts.ErrorTotal(), dash(c.RunID))
	}
	tw.Flush()
	if n == 0 {
		fmt.Fprintln(w, "(no crawls yet: run 'localoffer crawl' or 'localoffer run')")
	}

	runs, err := db.Runs(0)
	if err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tTRIGGER\tSTARTED\tTOOK\tSTATUS\tAUTHORITY\tCRAWL\tPAGES\tADDED\tREMOVED\tCHANGED\tMOVED\tSTALE\tNOTE")
	n = 0
	for _, r := range runs {
		if limit > 0 && n >= limit {
			break
		}
		shown := false
		for _, ra := range r.Authorities {
			if len(want) > 0 && !want[ra.Slug] {
				continue
			}
			took := "-"
			if !r.Ended.IsZero() {
				took = r.Ended.Sub(r.Started).Round(time.Second).String()
			}
			note := ra.Error
			if ra.Skipped != "" {
				note = "skipped: " + ra.Skipped
			} else if ra.ReReview > 0 {
				note = fmt.Sprintf("%d scores need re-review", ra.ReReview)
			}
			id, trig, start := r.ID, r.Trigger, r.Started.Local().Format("2006-01-02 15:04")
			if shown {
				id, trig, start, took = "", "", "", ""
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", id, trig, start, took, r.Status, ra.Slug, dash(ra.CrawlID),
				ra.Pages, ra.Added, ra.Removed, ra.Changed, ra.Moved, ra.Stale, oneLine(note))
			shown = true
		}
		if !shown && len(want) == 0 {
			fmt.Fprintf(tw, "%s\t%s\t%s\t-\t%s\t-\t-\t0\t0\t0\t0\t0\t0\t%s\n", r.ID, r.Trigger, r.Started.Local().Format("2006-01-02 15:04"), r.Status, oneLine(r.Error))
			shown = true
		}
		if shown {
			n++
		}
	}
	tw.Flush()
	if n == 0 {
		fmt.Fprintln(w, "(no runs yet: 'localoffer run' or a schedule in 'localoffer serve --schedule' records them)")
	}
	if st, err := db.ScheduleState(); err == nil {
		fmt.Fprintf(w, "\nschedule %q: last due %s", st.Spec, st.LastDue.Local().Format("2006-01-02 15:04"))
		if st.LastRunID != "" {
			fmt.Fprintf(w, " (run %s)", st.LastRunID)
		}
		fmt.Fprintln(w)
	}

	locks, err := db.Locks()
	if err != nil {
		return err
	}
	for _, l := range locks {
		if len(want) > 0 && !want[l.Authority] {
			continue
		}
		state := "held"
		if l.Stale {
			state = "left behind (the next crawl takes it over)"
		}
		fmt.Fprintf(w, "lock: %s by process %d (%s) since %s, %s\n", l.Authority, l.PID, l.Owner, l.Started.Local().Format("2006-01-02 15:04"), state)
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}
