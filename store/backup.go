package store

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

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

// BackupWithSize is Backup for a download: it calls size with the exact
// length of the copy before writing its first byte, from the same read
// transaction. A Content-Length set from BackupSize in a transaction of its
// own can be short by the pages another writer adds in between, which cuts
// the download; this cannot.
func (db *DB) BackupWithSize(w io.Writer, size func(int64)) error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		size(tx.Size())
		if _, err := tx.WriteTo(w); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		return nil
	})
}

// BackupSize is the size in bytes a backup taken now would have, for a
// progress bar. For a Content-Length use BackupWithSize.
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
func (db *DB) BackupFile(path string) (int64, error) {
	return writeVerified(db.path, path, func(w io.Writer) (n int64, err error) {
		err = db.bolt.View(func(tx *bolt.Tx) error {
			n, err = tx.WriteTo(w)
			return err
		})
		return n, err
	})
}

// writeVerified writes a store copy to out through write: into a temporary
// file beside out, synced, opened to verify its pages and schema, then
// renamed over out and the directory synced. A failure leaves any earlier
// file at out untouched. store is the live store's path, which out must
// not be.
func writeVerified(store, out string, write func(io.Writer) (int64, error)) (n int64, err error) {
	if abs, aerr := filepath.Abs(out); aerr == nil {
		if self, serr := filepath.Abs(store); serr == nil && abs == self {
			return 0, fmt.Errorf("backup: %s is the store itself; choose another file", out)
		}
	}
	f, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".tmp*")
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
	if n, err = write(f); err != nil {
		return 0, fmt.Errorf("backup to %s: %w", out, err)
	}
	if err = f.Sync(); err != nil {
		return 0, fmt.Errorf("backup to %s: %w", out, err)
	}
	if err = f.Close(); err != nil {
		return 0, fmt.Errorf("backup to %s: %w", out, err)
	}
	if err = verifyCopy(tmp); err != nil {
		return 0, fmt.Errorf("backup to %s: the copy does not verify: %w", out, err)
	}
	if err = os.Rename(tmp, out); err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	if d, derr := os.Open(filepath.Dir(out)); derr == nil {
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

// A process that holds the store open for writing (serve, a long crawl)
// keeps every other process out of the file: bbolt allows one writer per
// file and takes the lock even for readers. So that `localoffer backup`
// still works while such a process runs, the holder answers backup
// requests on a Unix socket beside the file ("localoffer.db.backup.sock",
// mode 0600, so only the store's owner may connect): it streams a copy
// from one read transaction, exactly as Backup does.

// backupHeader starts every answer on the backup socket; the copy's size
// follows it, then a newline and the copy.
const backupHeader = "localoffer-backup 1 "

// maxSocketPath is the longest socket path the platforms we run on accept
// (sun_path is 108 bytes on Linux, 104 on macOS).
const maxSocketPath = 100

// BackupSocket returns where the process holding the store at path offers
// hot backups.
func BackupSocket(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return path + ".backup.sock"
}

// backupServer answers backup requests on the store's socket.
type backupServer struct {
	ln   net.Listener
	path string
	wg   sync.WaitGroup
}

// serveBackups starts answering backup requests for db. It gives up
// quietly where a socket cannot be made (a read-only directory, a path too
// long): backups then need the store to be free, as before.
func serveBackups(db *DB) *backupServer {
	p := BackupSocket(db.path)
	if len(p) > maxSocketPath {
		return nil
	}
	// A socket left by a process that was killed: this process holds the
	// store's lock, so nobody else is answering on it.
	os.Remove(p)
	ln, err := net.Listen("unix", p)
	if err != nil {
		return nil
	}
	os.Chmod(p, 0o600)
	s := &backupServer{ln: ln, path: p}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer conn.Close()
				db.sendBackup(conn)
			}()
		}
	}()
	return s
}

// stop closes the socket and waits for backups in progress to finish.
func (s *backupServer) stop() {
	if s == nil {
		return
	}
	s.ln.Close()
	s.wg.Wait()
	os.Remove(s.path)
}

// sendBackup writes the header and a consistent copy to w. A failure
// closes the connection early, which the receiver sees as a short copy.
func (db *DB) sendBackup(w io.Writer) {
	bw := bufio.NewWriterSize(w, 1<<20)
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if _, err := fmt.Fprintf(bw, "%s%d\n", backupHeader, tx.Size()); err != nil {
			return err
		}
		_, err := tx.WriteTo(bw)
		return err
	})
	if err == nil {
		bw.Flush()
	}
}

// ErrNoHotBackup means no process answered on the store's backup socket.
var ErrNoHotBackup = errors.New("no process offers a hot backup of this store")

// FetchBackup asks the process holding the store at path for a hot backup
// and writes it to out as BackupFile does: beside out, synced, verified,
// then renamed into place. It returns ErrNoHotBackup when no process
// answers.
func FetchBackup(path, out string) (int64, error) {
	return writeVerified(path, out, func(w io.Writer) (int64, error) { return FetchBackupTo(path, w) })
}

// FetchBackupTo asks the process holding the store at path for a hot
// backup and copies it to w, checking that all of it arrived.
func FetchBackupTo(path string, w io.Writer) (int64, error) {
	conn, err := net.DialTimeout("unix", BackupSocket(path), 2*time.Second)
	if err != nil {
		return 0, fmt.Errorf("%w (%v)", ErrNoHotBackup, err)
	}
	defer conn.Close()
	r := bufio.NewReaderSize(conn, 1<<20)
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	line, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, backupHeader) {
		return 0, fmt.Errorf("hot backup of %s: the holding process sent no copy (%q, %v)", path, line, err)
	}
	size, err := strconv.ParseInt(strings.TrimSpace(strings.TrimPrefix(line, backupHeader)), 10, 64)
	if err != nil || size <= 0 {
		return 0, fmt.Errorf("hot backup of %s: bad size in %q", path, line)
	}
	// The copy streams as fast as the holder reads its file; a stall of a
	// minute means it is gone.
	var n int64
	buf := make([]byte, 1<<20)
	for n < size {
		conn.SetReadDeadline(time.Now().Add(time.Minute))
		want := int64(len(buf))
		if size-n < want {
			want = size - n
		}
		k, rerr := io.ReadFull(r, buf[:want])
		if k > 0 {
			if _, werr := w.Write(buf[:k]); werr != nil {
				return n, fmt.Errorf("hot backup of %s: %w", path, werr)
			}
			n += int64(k)
		}
		if rerr != nil {
			return n, fmt.Errorf("hot backup of %s: the copy stopped after %d of %d bytes: %v", path, n, size, rerr)
		}
	}
	return n, nil
}
