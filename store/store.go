// Package store keeps everything localoffer knows in one bbolt file: crawls,
// page snapshots (bodies compressed and stored once per SHA-256), the tool's
// suggestions, reviewers' decisions, users, sessions and an append-only
// audit log. Bucket names, encodings and transactions never leave the
// package; callers use typed methods.
package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/localoffer/localoffer/evidence"
	bolt "go.etcd.io/bbolt"
)

// SchemaVersion is the layout this code reads and writes. A file with a
// newer version is refused rather than misread.
const SchemaVersion = 1

// DefaultPath is where the store lives unless --db says otherwise.
const DefaultPath = "localoffer.db"

// Buckets. Nested per-authority or per-crawl buckets hang under these.
var (
	bMeta        = []byte("meta")
	bCrawls      = []byte("crawls")      // crawl id -> Crawl
	bCrawlPages  = []byte("crawl_pages") // crawl id / normalised url -> snapshot id
	bSnapshots   = []byte("snapshots")   // snapshot id -> Snapshot
	bBlobs       = []byte("blobs")       // sha256 -> compressed body
	bLatest      = []byte("latest")      // authority / url -> snapshot id of the newest capture
	bSuggestions = []byte("suggestions") // authority / subsection -> evidence.Suggestion
	bItems       = []byte("items")       // authority / item id -> evidence.Item
	bDecisions   = []byte("decisions")   // authority / subsection -> evidence.Decision
	bUsers       = []byte("users")       // name -> evidence.User
	bSessions    = []byte("sessions")    // token hash -> session
	bAudit       = []byte("audit")       // seq -> evidence.AuditEntry
	bLocks       = []byte("locks")       // authority -> crawl lock
	bRuns        = []byte("runs")        // run id -> scheduled run record
	bReviews     = []byte("reviews")     // double-review assignments and blind scores
	bNotes       = []byte("notes")       // free-text notes (future work...)
	allBuckets   = [][]byte{bMeta, bCrawls, bCrawlPages, bSnapshots, bBlobs, bLatest, bSuggestions, bItems, bDecisions, bUsers, bSessions, bAudit, bLocks, bRuns, bReviews, bNotes}
	keySchema    = []byte("schema_version")
	keyCreated   = []byte("created")
	errStopIter  = errors.New("stop")
	lockWaitTime = 2 * time.Second
)

// ErrInUse is returned when another process holds the store open.
var ErrInUse = errors.New("store in use")

// DB is an open store.
type DB struct {
	bolt *bolt.DB
	path string
	// Now is the clock, replaceable in tests.
	Now func() time.Time
	// backups answers hot backup requests from other processes while
	// this one holds the store (see backup.go).
	backups *backupServer
}

// Options change how a store is opened.
type Options struct {
	// ReadOnly opens the file without taking the write lock, so that a
	// backup or check can run beside a server.
	ReadOnly bool
	// Timeout is how long to wait for another process to let go (default 2s).
	Timeout time.Duration
}

// Open opens or creates the store at path.
func Open(path string) (*DB, error) { return OpenWith(path, Options{}) }

// OpenWith opens the store with options.
func OpenWith(path string, o Options) (*DB, error) {
	if o.Timeout == 0 {
		o.Timeout = lockWaitTime
	}
	if o.ReadOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
	}
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: o.Timeout, ReadOnly: o.ReadOnly, FreelistType: bolt.FreelistMapType})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			who := "another process"
			if pid := readPID(path); pid != "" {
				who = "process " + pid
			}
			return nil, fmt.Errorf("%w: %s is in use by %s (stop it, or use --db for another file)", ErrInUse, path, who)
		}
		if errors.Is(err, bolt.ErrInvalid) || errors.Is(err, bolt.ErrChecksum) || errors.Is(err, bolt.ErrVersionMismatch) {
			return nil, fmt.Errorf("open store: %s is not a localoffer store or is damaged (%v); restore it from a backup", path, err)
		}
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db := &DB{bolt: bdb, path: path, Now: time.Now}
	if o.ReadOnly {
		if err := db.checkSchema(); err != nil {
			bdb.Close()
			return nil, err
		}
		return db, nil
	}
	if err := db.init(); err != nil {
		bdb.Close()
		return nil, err
	}
	_ = os.WriteFile(pidPath(path), []byte(strconv.Itoa(os.Getpid())), 0o600)
	db.backups = serveBackups(db)
	return db, nil
}

func pidPath(path string) string { return path + ".pid" }

func readPID(path string) string {
	b, err := os.ReadFile(pidPath(path))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func (db *DB) init() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("open store: %s is damaged: %v", db.path, r)
		}
	}()
	return db.bolt.Update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return fmt.Errorf("create bucket %s: %w", b, err)
			}
		}
		meta := tx.Bucket(bMeta)
		v := meta.Get(keySchema)
		if v == nil {
			meta.Put(keyCreated, []byte(db.Now().UTC().Format(time.RFC3339)))
			return meta.Put(keySchema, []byte(strconv.Itoa(SchemaVersion)))
		}
		return schemaOK(db.path, v)
	})
}

func (db *DB) checkSchema() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("open store: %s is damaged: %v", db.path, r)
		}
	}()
	return db.bolt.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bMeta)
		if meta == nil {
			return fmt.Errorf("open store: %s is not a localoffer store", db.path)
		}
		return schemaOK(db.path, meta.Get(keySchema))
	})
}

func schemaOK(path string, v []byte) error {
	n, err := strconv.Atoi(string(v))
	if err != nil {
		return fmt.Errorf("open store: %s has an unreadable schema version %q", path, v)
	}
	if n > SchemaVersion {
		return fmt.Errorf("open store: %s was written by a newer localoffer (schema %d, this build reads up to %d); upgrade localoffer", path, n, SchemaVersion)
	}
	return nil
}

// Path is the file the store lives in.
func (db *DB) Path() string { return db.path }

// Close closes the store.
func (db *DB) Close() error {
	if db == nil || db.bolt == nil {
		return nil
	}
	db.backups.stop()
	if !db.bolt.IsReadOnly() {
		if readPID(db.path) == strconv.Itoa(os.Getpid()) {
			os.Remove(pidPath(db.path))
		}
	}
	return db.bolt.Close()
}

// putJSON marshals v under key in bucket b.
func putJSON(b *bolt.Bucket, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put([]byte(key), data)
}

// getJSON unmarshals the value at key in b into v, or returns ErrNotFound.
func getJSON(b *bolt.Bucket, key string, v any) error {
	if b == nil {
		return evidence.ErrNotFound
	}
	data := b.Get([]byte(key))
	if data == nil {
		return evidence.ErrNotFound
	}
	return json.Unmarshal(data, v)
}

// sub returns the nested bucket name under parent, creating it when create.
func sub(tx *bolt.Tx, parent []byte, name string, create bool) (*bolt.Bucket, error) {
	p := tx.Bucket(parent)
	if p == nil {
		return nil, evidence.ErrNotFound
	}
	if create {
		return p.CreateBucketIfNotExists([]byte(name))
	}
	b := p.Bucket([]byte(name))
	if b == nil {
		return nil, evidence.ErrNotFound
	}
	return b, nil
}

// seqKey is a big-endian-sortable decimal key.
func seqKey(n uint64) string { return fmt.Sprintf("%012d", n) }
