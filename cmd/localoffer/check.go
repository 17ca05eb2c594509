package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/localoffer/localoffer/store"
	"github.com/spf13/cobra"
)

func init() {
	register(func(g *globals) *cobra.Command {
		var quick bool
		cmd := &cobra.Command{
			Use:   "check",
			Short: "Verify the store's structure, bodies and references",
			Long: `check opens the store read-only and verifies it: bbolt's page structure, the
schema version, that every snapshot's body exists and hashes to its SHA-256,
and that every crawl index, evidence item, decision and audit entry is
readable and points at something that exists. It prints a summary and exits
with status 1 when it finds a problem.

Run it against a backup to verify the backup, or against the live store.
While another localoffer process holds the store (serve, a crawl), check
verifies a consistent copy that process takes for it.`,
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				path := g.dbPath
				db, err := store.OpenWith(path, store.Options{ReadOnly: true})
				if errors.Is(err, store.ErrInUse) {
					// Check a hot copy taken by the process holding it.
					dir, terr := os.MkdirTemp("", "localoffer-check")
					if terr != nil {
						return terr
					}
					defer os.RemoveAll(dir)
					path = filepath.Join(dir, "copy.db")
					f, ferr := os.Create(path)
					if ferr != nil {
						return ferr
					}
					_, ferr = store.FetchBackupTo(g.dbPath, f)
					if cerr := f.Close(); ferr == nil {
						ferr = cerr
					}
					if ferr != nil {
						if errors.Is(ferr, store.ErrNoHotBackup) {
							return fmt.Errorf("%w; check a backup instead (localoffer backup), or stop it", err)
						}
						return ferr
					}
					fmt.Fprintf(g.stdout, "%s is in use: checking a consistent copy taken by the process holding it\n", g.dbPath)
					db, err = store.OpenWith(path, store.Options{ReadOnly: true})
				}
				if err != nil {
					return err
				}
				defer db.Close()
				rep, err := db.Check(store.CheckOptions{SkipBodies: quick})
				if err != nil {
					return err
				}
				w := g.stdout
				fmt.Fprintf(w, "store     %s (schema %d, created %s)\n", g.dbPath, rep.Schema, rep.Created)
				fmt.Fprintf(w, "crawls    %d\n", rep.Crawls)
				fmt.Fprintf(w, "snapshots %d\n", rep.Snapshots)
				fmt.Fprintf(w, "bodies    %d (%d bytes compressed, %d not referenced)", rep.Blobs, rep.BlobBytes, rep.OrphanBlobs)
				if quick {
					fmt.Fprint(w, ", hashes not verified (--quick)")
				}
				fmt.Fprintln(w)
				fmt.Fprintf(w, "items     %d\n", rep.Items)
				fmt.Fprintf(w, "decisions %d\n", rep.Decisions)
				fmt.Fprintf(w, "audit     %d entries\n", rep.AuditEntries)
				fmt.Fprintf(w, "users     %d\n", rep.Users)
				fmt.Fprintf(w, "took      %s\n", rep.Took.Round(time.Millisecond))
				if rep.OK() {
					fmt.Fprintln(w, "OK: no problems found")
					return nil
				}
				for _, p := range rep.Problems {
					fmt.Fprintln(w, "problem:", p)
				}
				total := len(rep.Problems) + rep.MoreProblems
				if rep.MoreProblems > 0 {
					fmt.Fprintf(w, "... and %d more problems\n", rep.MoreProblems)
				}
				return fmt.Errorf("store %s has %d problem(s)", g.dbPath, total)
			},
		}
		cmd.Flags().BoolVar(&quick, "quick", false, "do not decompress and hash every stored body")
		return cmd
	})
}
