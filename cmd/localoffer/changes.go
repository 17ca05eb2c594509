package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/localoffer/localoffer/changes"
	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/store"
	"github.com/spf13/cobra"
)

func init() {
	register(func(g *globals) *cobra.Command {
		var (
			la, since, to, format string
			diff                  bool
		)
		cmd := &cobra.Command{
			Use:   "changes --la SLUG [--since CRAWL_ID] [--to CRAWL_ID] [--diff]",
			Short: "Show what changed on a Local Offer between two crawls",
			Long: `changes compares two crawls of one authority on the main text of each page
(what a reader sees, without navigation, footers, dates or session ids) and
lists the pages added, removed, changed and moved (an old address that now
redirects), grouped by the rubric sub-sections whose evidence they carry.

By default it compares the newest finished crawl with the one before it.

  localoffer changes --la bolton                 # since the previous crawl
  localoffer changes --la bolton --since 000012  # since crawl 000012
  localoffer changes --la bolton --diff          # with a line diff of each changed page
  localoffer crawls --la bolton                  # to find crawl ids

Evidence on changed or vanished pages is marked stale by 'localoffer run' and
by scheduled runs in 'localoffer serve'; this command only reports.`,
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				if la == "" {
					return usagef("--la SLUG is required: changes compares crawls of one authority")
				}
				if format != "text" && format != "json" {
					return usagef("--format must be text or json, not %q", format)
				}
				r, err := g.loadRubric()
				if err != nil {
					return err
				}
				db, err := store.OpenWith(g.dbPath, store.Options{ReadOnly: true})
				if err != nil {
					return err
				}
				defer db.Close()
				from, cur, err := pickCrawls(db, la, since, to)
				if err != nil {
					return err
				}
				text, err := changes.SiteText(db, from.ID, cur.ID)
				if err != nil {
					return err
				}
				ev, err := evidenceOf(db, la, from.ID, cur.ID)
				if err != nil {
					return err
				}
				rep, err := changes.Compare(db, from.ID, cur.ID, changes.Options{Text: text, Evidence: ev})
				if err != nil {
					return err
				}
				if format == "json" {
					return writeChangesJSON(g.stdout, rep)
				}
				return printChanges(g.stdout, db, rep, r, text, diff)
			},
		}
		cmd.Flags().StringVar(&la, "la", "", "authority slug (required)")
		cmd.Flags().StringVar(&since, "since", "", "compare from this crawl id (default: the crawl before the newest)")
		cmd.Flags().StringVar(&to, "to", "", "compare up to this crawl id (default: the newest finished crawl)")
		cmd.Flags().BoolVar(&diff, "diff", false, "print a line diff of the main text of each changed page")
		cmd.Flags().StringVar(&format, "format", "text", "output: text or json")
		return cmd
	})
}

// pickCrawls resolves the two crawls to compare.
func pickCrawls(db *store.DB, la, since, to string) (from, cur *store.Crawl, err error) {
	all, err := db.Crawls(la)
	if err != nil {
		return nil, nil, err
	}
	var finished []*store.Crawl // newest first
	for _, c := range all {
		if c.Status == store.CrawlDone || (c.Status == store.CrawlFailed && c.Counts.Pages > 0) {
			finished = append(finished, c)
		}
	}
	if len(finished) == 0 {
		return nil, nil, fmt.Errorf("%s has no finished crawl in %s; run 'localoffer crawl --la %s' first", la, db.Path(), la)
	}
	find := func(id string) (*store.Crawl, error) {
		c, err := db.Crawl(id)
		if err != nil {
			return nil, usagef("no crawl %s (see 'localoffer crawls --la %s')", id, la)
		}
		if c.Authority != la {
			return nil, usagef("crawl %s is of %s, not %s", id, c.Authority, la)
		}
		return c, nil
	}
	if to != "" {
		if cur, err = find(to); err != nil {
			return nil, nil, err
		}
	} else {
		cur = finished[0]
	}
	if since != "" {
		if from, err = find(since); err != nil {
			return nil, nil, err
		}
		return from, cur, nil
	}
	for _, c := range finished {
		if c.ID < cur.ID {
			return c, cur, nil
		}
	}
	return nil, nil, fmt.Errorf("%s has only one finished crawl (%s); there is nothing to compare it with yet", la, cur.ID)
}

// evidenceOf maps pages to the sub-sections their evidence supports, from
// what each crawl's assessment recorded and the evidence held now.
func evidenceOf(db *store.DB, la string, crawlIDs ...string) (map[string][]string, error) {
	var refs []changes.ItemRef
	for _, id := range crawlIDs {
		m, err := db.CrawlEvidence(id)
		if err != nil {
			return nil, err
		}
		for u, subs := range m {
			for _, s := range subs {
				refs = append(refs, changes.ItemRef{URL: u, Subsection: s})
			}
		}
	}
	items, err := db.Items(la, "")
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		refs = append(refs, changes.ItemRef{URL: it.URL, Subsection: it.Subsection})
	}
	return changes.EvidencePages(refs), nil
}

func printChanges(w io.Writer, db *store.DB, rep *changes.Report, r *config.Rubric, text changes.TextFunc, withDiff bool) error {
	fmt.Fprintf(w, "%s: crawl %s (%s) -> crawl %s (%s)\n", rep.Authority,
		rep.From.ID, rep.From.Started.Format("2006-01-02 15:04"), rep.To.ID, rep.To.Started.Format("2006-01-02 15:04"))
	fmt.Fprintf(w, "%d added, %d removed, %d changed, %d moved, %d unchanged\n",
		rep.Count(changes.Added), rep.Count(changes.Removed), rep.Count(changes.Changed), rep.Count(changes.Moved), rep.Unchanged)
	if rep.Calendar > 0 {
		fmt.Fprintf(w, "%d calendar pages changed with the date; they are not listed\n", rep.Calendar)
	}
	if len(rep.Unseen) > 0 {
		fmt.Fprintf(w, "%d pages of the old crawl were not reached by the new one, which did not finish; they are not counted as removed\n", len(rep.Unseen))
	}
	for _, gr := range rep.Grouped(r) {
		fmt.Fprintln(w)
		if gr.Subsection != "" {
			fmt.Fprintf(w, "%s (%s)\n", gr.Title, gr.Subsection)
		} else {
			fmt.Fprintln(w, gr.Title)
		}
		for _, p := range gr.Pages {
			line := fmt.Sprintf("  %-8s %s", p.Kind, p.URL)
			switch {
			case p.Kind == changes.Moved:
				line += " -> " + p.NewURL
			case p.Kind == changes.Removed && p.Status != 0:
				line += fmt.Sprintf(" (now %d)", p.Status)
			case p.Kind == changes.Changed:
				line += fmt.Sprintf(" (+%d -%d lines)", p.Inserted, p.Deleted)
			}
			if p.Title != "" {
				line += "  " + p.Title
			}
			fmt.Fprintln(w, line)
		}
	}
	if !withDiff {
		return nil
	}
	for _, p := range rep.Pages {
		if p.Kind != changes.Changed && !(p.Kind == changes.Moved && p.NewSnapshot != "") {
			continue
		}
		d, err := changes.SnapshotDiff(db, p.OldSnapshot, p.NewSnapshot, text)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "\n--- %s (crawl %s)\n+++ %s (crawl %s)\n%s", p.URL, rep.From.ID, firstNonEmpty(p.NewURL, p.URL), rep.To.ID, changes.Unified(d, 2))
	}
	return nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func writeChangesJSON(w io.Writer, rep *changes.Report) error {
	type page struct {
		Kind        string   `json:"kind"`
		URL         string   `json:"url"`
		NewURL      string   `json:"new_url,omitempty"`
		Title       string   `json:"title,omitempty"`
		Status      int      `json:"status,omitempty"`
		Inserted    int      `json:"lines_inserted,omitempty"`
		Deleted     int      `json:"lines_deleted,omitempty"`
		Subsections []string `json:"subsections"`
	}
	out := struct {
		Authority string   `json:"la"`
		From      string   `json:"from_crawl"`
		To        string   `json:"to_crawl"`
		Unchanged int      `json:"unchanged"`
		Calendar  int      `json:"calendar_pages_changed"`
		Unseen    []string `json:"unseen,omitempty"`
		Pages     []page   `json:"pages"`
	}{Authority: rep.Authority, From: rep.From.ID, To: rep.To.ID, Unchanged: rep.Unchanged, Calendar: rep.Calendar, Unseen: rep.Unseen, Pages: []page{}}
	for _, p := range rep.Pages {
		subs := p.Subsections
		if subs == nil {
			subs = []string{}
		}
		out.Pages = append(out.Pages, page{string(p.Kind), p.URL, p.NewURL, p.Title, p.Status, p.Inserted, p.Deleted, subs})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
