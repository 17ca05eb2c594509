package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/evidence"
	"github.com/localoffer/localoffer/pipeline"
	"github.com/spf13/cobra"
)

func init() {
	register(func(g *globals) *cobra.Command {
		var slugs []string
		var format, out string
		var all bool
		cmd := &cobra.Command{
			Use:   "export",
			Short: "Write assessments as JSON files or CSV tables",
			Long: `export writes what the store knows about each assessed authority to --out:

  --format json   one file per authority, <slug>.json: every sub-section with
                  its suggested score, the reviewers' final score (null until
                  fixed), criterion statuses and the evidence best first
  --format csv    scores.csv (authorities by sub-sections, the final score
                  where reviewers fixed one, else the suggestion),
                  subsections.csv (one row per authority and sub-section) and
                  evidence.csv (one row per evidence item), for spreadsheets
  --format bundle one evidence bundle per authority (--la SLUG or --all),
                  <slug>-<date>.zip: a scorecard, the JSON assessment, the
                  evidence as CSV and the cited pages as a WARC/WACZ archive,
                  with SHA-256 hashes and a README on how to check them`,
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				if out == "" {
					return usagef("--out DIR is required")
				}
				switch format {
				case "json", "csv":
				case "bundle":
					if all == (len(slugs) > 0) {
						return usagef("--format bundle needs either --la SLUG (repeatable) or --all")
					}
				default:
					return usagef("--format must be json, csv or bundle, not %q", format)
				}
				_, r, las, err := g.loadSelection(slugs)
				if err != nil {
					return err
				}
				db, err := g.openDB()
				if err != nil {
					return err
				}
				defer db.Close()
				if format == "bundle" {
					return exportBundles(g, db, r, las, len(slugs) > 0, out)
				}
				var as []evidence.Assessment
				for _, a := range las {
					as1, err := pipeline.LoadAssessment(db, r, a)
					if err != nil {
						if errors.Is(err, evidence.ErrNotFound) && len(slugs) == 0 {
							continue
						}
						return err
					}
					as = append(as, as1)
				}
				if len(as) == 0 {
					return errors.New("nothing to export: no authority has been assessed (run localoffer assess first)")
				}
				if err := os.MkdirAll(out, 0o755); err != nil {
					return err
				}
				var files []string
				switch format {
				case "json":
					files, err = exportJSON(out, as)
				case "csv":
					files, err = exportCSV(out, r, as)
				}
				if err != nil {
					return err
				}
				for _, f := range files {
					fmt.Fprintln(g.stdout, f)
				}
				return nil
			},
		}
		cmd.Flags().StringArrayVar(&slugs, "la", nil, "authority slug to export (repeatable; default: every assessed authority)")
		cmd.Flags().StringVar(&format, "format", "json", "json, csv or bundle")
		cmd.Flags().BoolVar(&all, "all", false, "with --format bundle: a bundle for every authority in the list")
		cmd.Flags().StringVar(&out, "out", "", "directory to write into")
		return cmd
	})
}

// writeFileAtomic writes data to path through a temporary file, so that a
// reader never sees half a file.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func exportJSON(dir string, as []evidence.Assessment) ([]string, error) {
	var files []string
	for _, a := range as {
		data, err := json.MarshalIndent(a, "", "  ")
		if err != nil {
			return files, err
		}
		path := filepath.Join(dir, a.LA+".json")
		if err := writeFileAtomic(path, append(data, '\n')); err != nil {
			return files, fmt.Errorf("export %s: %w", a.LA, err)
		}
		files = append(files, path)
	}
	return files, nil
}

func scoreText(s *evidence.Score) string {
	if s == nil {
		return ""
	}
	return string(*s)
}

func exportCSV(dir string, r *config.Rubric, as []evidence.Assessment) ([]string, error) {
	subs := r.Subsections()
	// scores.csv: the matrix.
	head := []string{"la", "name"}
	for _, ss := range subs {
		head = append(head, ss.ID)
	}
	matrix := [][]string{head}
	for _, a := range as {
		row := []string{a.LA, a.Name}
		for _, s := range a.Subsections {
			v := string(s.SuggestedScore)
			if s.FinalScore != nil {
				v = string(*s.FinalScore)
			}
			row = append(row, v)
		}
		matrix = append(matrix, row)
	}
	long := [][]string{{"la", "name", "subsection", "code", "title", "suggested_score", "final_score", "reviewed", "criteria", "evidence_items"}}
	ev := [][]string{{"la", "subsection", "position", "url", "title", "heading", "criteria", "confidence", "status", "stale", "snippet"}}
	for _, a := range as {
		for _, s := range a.Subsections {
			var crit []string
			for _, c := range s.Criteria {
				crit = append(crit, c.ID+"="+string(c.SuggestedStatus))
			}
			long = append(long, []string{a.LA, a.Name, s.ID, s.Code, s.Title, string(s.SuggestedScore), scoreText(s.FinalScore),
				strconv.FormatBool(s.Reviewed), strings.Join(crit, "; "), strconv.Itoa(len(s.Evidence))})
			for i, e := range s.Evidence {
				ev = append(ev, []string{a.LA, s.ID, strconv.Itoa(i + 1), e.URL, e.Title, e.Heading, strings.Join(e.Criteria, " "),
					strconv.FormatFloat(e.Confidence, 'f', 3, 64), string(e.Status), strconv.FormatBool(e.Stale), e.Snippet})
			}
		}
	}
	var files []string
	for _, f := range []struct {
		name string
		rows [][]string
	}{{"scores.csv", matrix}, {"subsections.csv", long}, {"evidence.csv", ev}} {
		var b strings.Builder
		w := csv.NewWriter(&b)
		if err := w.WriteAll(f.rows); err != nil {
			return files, err
		}
		path := filepath.Join(dir, f.name)
		if err := writeFileAtomic(path, []byte(b.String())); err != nil {
			return files, err
		}
		files = append(files, path)
	}
	return files, nil
}
