package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/localoffer/localoffer/report"
	"github.com/localoffer/localoffer/store"
	"github.com/spf13/cobra"
)

func init() {
	register(func(g *globals) *cobra.Command {
		var slugs []string
		var out, title, notes, snapshotURL, chromium string
		var noPDF bool
		cmd := &cobra.Command{
			Use:   "report",
			Short: "Write the regional report (HTML, PDF, CSV, XLSX)",
			Long: `report writes the regional report into --out:

  report.html   one self-contained file (styles, charts and the sortable
                heatmap inline; nothing is fetched when it is opened) that
                prints on A4: executive summary, scores by authority, trends
                by section, weaknesses, best practice, recommendations,
                summary by authority, future work and methodology
  report.pdf    the same, printed by headless Chromium when it is installed
  scores.csv    the score matrix: authorities by sub-sections
  scores.xlsx   the matrix and a detail sheet, for spreadsheets
  evidence/     the captured pages that best-practice quotes link to

Only scores reviewers fixed are counted; other sub-sections are shown as not
reviewed. Name authorities with --la for a pilot report on a subset.
Future work comes from --notes FILE (Markdown or plain text), or else from
the notes saved in the store.

Best-practice quotes link to a captured copy of their page: by default the
copies saved in DIR/evidence, or with --snapshot-url the review server's
snapshot viewer (http://127.0.0.1:8080/snapshot/{id} for a default serve).

  localoffer report --out report/
  localoffer report --la bolton --la bury --title "Pilot findings" --out pilot/`,
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				if out == "" {
					return usagef("--out DIR is required")
				}
				if snapshotURL != "" && !strings.Contains(snapshotURL, "{id}") {
					return usagef("--snapshot-url must contain {id}, where the snapshot id goes (for example http://127.0.0.1:8080/snapshot/{id}, the review server's snapshot viewer)")
				}
				cfg, rub, las, err := g.loadSelection(slugs)
				if err != nil {
					return err
				}
				var noteText string
				if notes != "" {
					b, err := os.ReadFile(notes)
					if err != nil {
						return usagef("--notes: %v", err)
					}
					if !utf8.Valid(b) {
						return usagef("--notes: %s is not UTF-8 text", notes)
					}
					noteText = string(b)
				}
				db, err := g.openDB()
				if err != nil {
					return err
				}
				defer db.Close()
				if notes == "" {
					n, err := db.Note(store.NoteFutureWork)
					switch {
					case err == nil:
						noteText = n.Text
					case !store.IsNotFound(err):
						return err
					}
				}
				r, err := report.Build(db, rub, report.Options{
					Title: title, Authorities: las, ListSize: len(cfg.Authorities),
					Notes: noteText, SnapshotURL: snapshotURL,
				})
				if err != nil {
					return err
				}
				wo := report.WriteOptions{Chromium: chromium}
				if noPDF {
					wo.Chromium = "-"
				}
				fs, err := r.Write(cmd.Context(), db, out, wo)
				if err != nil {
					return err
				}
				for _, f := range []string{fs.HTML, fs.PDF, fs.CSV, fs.XLSX} {
					if f != "" {
						fmt.Fprintln(g.stdout, filepath.Join(out, f))
					}
				}
				if len(fs.Evidence) > 0 {
					fmt.Fprintf(g.stdout, "%s (%d captured pages)\n", filepath.Join(out, "evidence"), len(fs.Evidence))
				}
				if fs.PDFSkipped != "" && !noPDF {
					g.log.Warn("no PDF written", "reason", fs.PDFSkipped)
				}
				t := r.Totals
				g.log.Info("report written", "authorities", len(r.Authorities), "fixed", t.Reviewed(), "not_reviewed", t.Unreviewed, "yes", t.Yes, "partial", t.Partial, "no", t.No)
				return nil
			},
		}
		f := cmd.Flags()
		f.StringArrayVar(&slugs, "la", nil, "authority slug to cover (repeatable; default: every authority in the list)")
		f.StringVar(&out, "out", "", "directory to write into")
		f.StringVar(&title, "title", "", "report title (default: "+report.DefaultTitle+")")
		f.StringVar(&notes, "notes", "", "future-work notes file, Markdown or plain text (default: the notes saved in the store)")
		f.StringVar(&snapshotURL, "snapshot-url", "", "link best-practice quotes to the review server's snapshot viewer, {id} standing for the snapshot id (default: copies saved in DIR/evidence)")
		f.StringVar(&chromium, "chromium", "", "Chromium binary for the PDF (default: chromium, chromium-browser or google-chrome on PATH)")
		f.BoolVar(&noPDF, "no-pdf", false, "do not print report.pdf")
		return cmd
	})
}
