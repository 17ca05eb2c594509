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
			Short: "Write a consistent copy of the store, even while serve runs",
			Long: `backup writes a consistent copy of the store to FILE (or to standard output
with --out -). The copy is written beside FILE, verified and only then renamed
into place, so a failed backup never replaces a good one.

When no other process has the store open, backup opens it read-only and
copies it. While another localoffer process holds it (serve, a crawl), that
process writes the copy from one read transaction and hands it over on a
socket beside the store (FILE.backup.sock, readable by the store's owner
only): reviewers and crawls carry on, and the copy holds exactly what had
been committed when it began.`,
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				if out == "" {
					return usagef("backup needs --out FILE (or --out - for standard output)")
				}
				db, err := store.OpenWith(g.dbPath, store.Options{ReadOnly: true})
				if errors.Is(err, store.ErrInUse) {
					return hotBackup(g, out, err)
				}
				if err != nil {
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

// hotBackup asks the process holding the store for the copy; inUse is the
// error that said the store is held, returned when nobody answers.
func hotBackup(g *globals, out string, inUse error) error {
	if out == "-" {
		w := bufio.NewWriterSize(g.stdout, 1<<20)
		if _, err := store.FetchBackupTo(g.dbPath, w); err != nil {
			return hotBackupFailed(err, inUse)
		}
		return w.Flush()
	}
	n, err := store.FetchBackup(g.dbPath, out)
	if err != nil {
		return hotBackupFailed(err, inUse)
	}
	fmt.Fprintf(g.stdout, "backup of %s written to %s by the process holding it (%d bytes, verified)\n", g.dbPath, out, n)
	return nil
}

func hotBackupFailed(err, inUse error) error {
	if errors.Is(err, store.ErrNoHotBackup) {
		return fmt.Errorf("%w; it offers no hot backup (stop it, then run backup again)", inUse)
	}
	return err
}
