package main

import (
	"bufio"
	"errors"
	"fmt"

	"github.com/localoffer/localoffer/store"
	"github.com/spf13/cobra"
)

func init() {
	register(func(g *globals) *cobra.Command {
		var out string
		cmd := &cobra.Command{
			Use:   "backup --out FILE",
			Short: "Write a consistent copy of the store",
			Long: `backup writes a consistent copy of the store to FILE (or to standard output
with --out -). The copy is written beside FILE, verified and only then renamed
into place, so a failed backup never replaces a good one.

The store is opened read-only. While "localoffer serve" keeps it open no
other process can read it: take the backup from the running server instead
(an admin can download it from the server's backup page), or stop the
server for a moment.`,
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				if out == "" {
					return usagef("backup needs --out FILE (or --out - for standard output)")
				}
				db, err := store.OpenWith(g.dbPath, store.Options{ReadOnly: true})
				if err != nil {
					if errors.Is(err, store.ErrInUse) {
						return fmt.Errorf("%w; while the server runs, download the backup from its admin backup page", err)
					}
					return err
				}
				defer db.Close()
				if out == "-" {
					w := bufio.NewWriterSize(g.stdout, 1<<20)
					if err := db.Backup(w); err != nil {
						return err
					}
					return w.Flush()
				}
				n, err := db.BackupFile(out)
				if err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "backup of %s written to %s (%d bytes, verified)\n", g.dbPath, out, n)
				return nil
			},
		}
		cmd.Flags().StringVar(&out, "out", "", "file to write the backup to (- for standard output)")
		return cmd
	})
}
