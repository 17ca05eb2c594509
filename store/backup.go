package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// Backup writes a consistent copy of the whole store to w. The copy is taken
// inside one read transaction, so crawls and reviewers may keep writing
// while it runs: the copy holds exactly what had been committed when it
// began. A server that keeps the store open offers this to its admins,
// since no second process can open the file while it runs.
func (db *DB) Backup(w io.Writer) error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		if _, err := tx.WriteTo(w); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		return nil
	})
}

// BackupSize is the size in bytes a backup taken now would have, for a
// Content-Length header or a progress bar.
func (db *DB) BackupSize() int64 {
	var n int64
	db.bolt.View(func(tx *bolt.Tx) error {
		n = tx.Size()
		return nil
	})
	return n
}

// BackupFile writes a backup to path and returns its size. It writes to a
// temporary file beside path, syncs it, opens the copy to verify its page
// structure and schema, and only then renames it over path: a failure (a
// full disk, say) leaves any earlier backup at path untouched.
func (db *DB) BackupFile(path string) (n int64, err error) {
	if abs, aerr := filepath.Abs(path); aerr == nil {
		if self, serr := filepath.Abs(db.path); serr == nil && abs == self {
			return 0, fmt.Errorf("backup: %s is the store itself; choose another file", path)
		}
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	err = db.bolt.View(func(tx *bolt.Tx) error {
		var werr error
		n, werr = tx.WriteTo(f)
		return werr
	})
	if err != nil {
		return 0, fmt.Errorf("backup to %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return 0, fmt.Errorf("backup to %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return 0, fmt.Errorf("backup to %s: %w", path, err)
	}
	if err = verifyCopy(tmp); err != nil {
		return 0, fmt.Errorf("backup to %s: the copy does not verify: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	if d, derr := os.Open(filepath.Dir(path)); derr == nil {
		d.Sync()
		d.Close()
	}
	return n, nil
}

// verifyCopy opens a freshly written copy read-only and runs bbolt's page
// consistency check and the schema check on it.
func verifyCopy(path string) error {
	c, err := OpenWith(path, Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer c.Close()
	return c.bolt.View(func(tx *bolt.Tx) error {
		var errs []error
		for e := range tx.Check() {
			if len(errs) < 5 {
				errs = append(errs, e)
			}
		}
		return errors.Join(errs...)
	})
}
