package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/store"
	"github.com/spf13/cobra"
)

// globals are the root command's persistent flags, shared by every command.
type globals struct {
	configPath string
	dbPath     string
	rubricPath string
	logFormat  string
	stdout     io.Writer
	stderr     io.Writer
	log        *slog.Logger
}

// commands lists constructors of the subcommands; each command's file adds
// itself in an init function so that the root needs no edit per command.
var commands []func(*globals) *cobra.Command

func register(f func(*globals) *cobra.Command) { commands = append(commands, f) }

// usageError marks errors that should exit with status 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

func isCobraUsage(err error) bool {
	s := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "flag needs an argument", "invalid argument", "accepts ", "requires at least", "required flag"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

func newRoot() *cobra.Command {
	g := &globals{stdout: os.Stdout, stderr: os.Stderr}
	root := &cobra.Command{
		Use:   "localoffer",
		Short: "Assess SEND Local Offers against the brief's rubric",
		Long: `localoffer crawls the SEND Local Offers of English local authorities politely,
keeps every page it saw, suggests evidence for each criterion of the assessment
rubric, and gives reviewers a web UI to confirm it, fix scores and produce the
regional report.

First time? See it work offline on three built-in fictional Local Offers:
  localoffer demo

Typical day:
  localoffer crawl                 # fetch every authority in the list
  localoffer assess                # suggest evidence and scores
  localoffer serve                 # review in the browser
  localoffer report --out report/  # the regional report

Later:
  localoffer run                   # re-crawl, re-assess, mark stale evidence
  localoffer changes --la SLUG     # what changed since the last crawl`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			var h slog.Handler
			switch g.logFormat {
			case "text":
				h = slog.NewTextHandler(g.stderr, nil)
			case "json":
				h = slog.NewJSONHandler(g.stderr, nil)
			default:
				return usagef("--log-format must be text or json, not %q", g.logFormat)
			}
			g.log = slog.New(h)
			return nil
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.configPath, "config", "", "authority list (YAML); default: the embedded North West list")
	pf.StringVar(&g.dbPath, "db", store.DefaultPath, "store file")
	pf.StringVar(&g.rubricPath, "rubric", "", "rubric file (YAML); default: the embedded rubric version 1")
	pf.StringVar(&g.logFormat, "log-format", "text", "log format: text or json")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &usageError{err} })
	for _, f := range commands {
		root.AddCommand(f(g))
	}
	return root
}

// loadConfig reads the authority list named by --config.
func (g *globals) loadConfig() (*config.Config, error) {
	c, err := config.Load(g.configPath)
	if err != nil {
		var ce config.Errors
		if errors.As(err, &ce) || errors.Is(err, fs.ErrNotExist) {
			return nil, &usageError{err}
		}
		return nil, err
	}
	return c, nil
}

// loadRubric reads the rubric named by --rubric.
func (g *globals) loadRubric() (*config.Rubric, error) {
	r, err := config.LoadRubric(g.rubricPath)
	if err != nil {
		var ce config.Errors
		if errors.As(err, &ce) || errors.Is(err, fs.ErrNotExist) {
			return nil, &usageError{err}
		}
		return nil, err
	}
	return r, nil
}

// openDB opens the store named by --db.
func (g *globals) openDB() (*store.DB, error) { return store.Open(g.dbPath) }

// loadSelection reads the authority list and the rubric and picks the
// authorities named with --la (all when none): the set-up shared by every
// command that works on assessments. An unknown slug is a usage error.
func (g *globals) loadSelection(slugs []string) (*config.Config, *config.Rubric, []config.Authority, error) {
	cfg, err := g.loadConfig()
	if err != nil {
		return nil, nil, nil, err
	}
	r, err := g.loadRubric()
	if err != nil {
		return nil, nil, nil, err
	}
	las, err := cfg.Select(slugs)
	if err != nil {
		return nil, nil, nil, &usageError{err}
	}
	return cfg, r, las, nil
}
