package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/extract"
	"github.com/spf13/cobra"
)

func init() {
	register(func(g *globals) *cobra.Command {
		root := &cobra.Command{
			Use:   "rubric",
			Short: "Show or check an assessment rubric",
			Long: `The rubric is data: config/rubric.yaml holds the sections, sub-sections and
criteria of the assessment with the signals that find evidence for each. To
amend it, write the embedded rubric out with "rubric show --yaml", edit it,
bump its version, check it with "rubric check FILE", then pass it to any
command with --rubric FILE.`,
		}
		var asYAML bool
		show := &cobra.Command{
			Use:   "show",
			Short: "Print the rubric in use (--rubric FILE, or the embedded one)",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				if asYAML {
					if g.rubricPath == "" {
						_, err := g.stdout.Write(config.DefaultRubricYAML())
						return err
					}
					data, err := os.ReadFile(g.rubricPath)
					if err != nil {
						return err
					}
					_, err = g.stdout.Write(data)
					return err
				}
				r, err := g.loadRubric()
				if err != nil {
					return err
				}
				printRubric(g.stdout, r)
				return nil
			},
		}
		show.Flags().BoolVar(&asYAML, "yaml", false, "print the rubric file itself")
		check := &cobra.Command{
			Use:   "check FILE",
			Short: "Validate a rubric file and say how it differs from the embedded one",
			Long: `check reads FILE, reports every problem with its line number, compiles its
signals, and lists the criteria that were added, removed or reworded compared
with the embedded rubric: reviewers' decisions carry over only for criteria
whose id and text did not change. It exits with status 1 when FILE is invalid.`,
			Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				r, err := config.LoadRubric(args[0])
				if err != nil {
					return err
				}
				if _, err := extract.NewMatcher(r); err != nil {
					return fmt.Errorf("%s: %w", args[0], err)
				}
				subs, crits := 0, 0
				for _, s := range r.Sections {
					subs += len(s.Subsections)
					for _, ss := range s.Subsections {
						crits += len(ss.Criteria)
					}
				}
				fmt.Fprintf(g.stdout, "%s: rubric version %s: %d sections, %d sub-sections, %d criteria: OK\n", args[0], r.Version, len(r.Sections), subs, crits)
				for _, d := range rubricDiff(config.DefaultRubric(), r) {
					fmt.Fprintln(g.stdout, "  "+d)
				}
				return nil
			},
		}
		root.AddCommand(show, check)
		return root
	})
}

// printRubric writes a readable outline of r.
func printRubric(w io.Writer, r *config.Rubric) {
	src := r.Path
	if src == "" {
		src = "embedded"
	}
	partial, met := r.ThresholdsFor(config.Criterion{})
	fmt.Fprintf(w, "%s (version %s, %s); thresholds partial %g, met %g\n", r.Title, r.Version, src, partial, met)
	for _, s := range r.Sections {
		fmt.Fprintf(w, "\n%s  %s\n", s.ID, s.Title)
		for _, ss := range s.Subsections {
			code := ""
			if ss.Code != "" {
				code = " [" + ss.Code + "]"
			}
			fmt.Fprintf(w, "  %s%s  %s\n", ss.ID, code, ss.Title)
			for _, c := range ss.Criteria {
				fmt.Fprintf(w, "    %s\n      %s\n", c.ID, c.Text)
				if c.Structural != "" {
					fmt.Fprintf(w, "      judged from site structure (%s)\n", c.Structural)
					continue
				}
				p, m := r.ThresholdsFor(c)
				fmt.Fprintf(w, "      %d phrases, %d heading words, %d negative contexts, %d core and %d requires groups; partial %g, met %g\n",
					len(c.Signals.Phrases), len(c.Signals.Headings), len(c.Signals.Not), len(c.Signals.Core), len(c.Signals.Requires), p, m)
			}
		}
	}
}

// rubricDiff lists criteria added, removed or reworded in b compared with a.
func rubricDiff(a, b *config.Rubric) []string {
	old := map[string]string{}
	for _, ss := range a.Subsections() {
		for _, c := range ss.Criteria {
			old[c.ID] = c.Text
		}
	}
	var out []string
	seen := map[string]bool{}
	for _, ss := range b.Subsections() {
		for _, c := range ss.Criteria {
			seen[c.ID] = true
			t, ok := old[c.ID]
			switch {
			case !ok:
				out = append(out, "added "+c.ID)
			case strings.TrimSpace(t) != strings.TrimSpace(c.Text):
				out = append(out, "reworded "+c.ID+" (decisions on it will not carry over)")
			}
		}
	}
	for _, ss := range a.Subsections() {
		for _, c := range ss.Criteria {
			if !seen[c.ID] {
				out = append(out, "removed "+c.ID)
			}
		}
	}
	if len(out) == 0 && a.Version != b.Version {
		out = append(out, "same criteria as the embedded rubric version "+a.Version)
	}
	return out
}
