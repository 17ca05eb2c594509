package store

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/localoffer/localoffer/evidence"
	bolt "go.etcd.io/bbolt"
)

// maxListedProblems caps the problems a CheckReport lists one by one; a
// badly damaged store would otherwise print millions of lines.
const maxListedProblems = 200

// CheckOptions tune Check.
type CheckOptions struct {
	// SkipBodies skips decompressing and hashing every stored body, the
	// slow part of a check on a large store. Blobs are still checked to
	// exist.
	SkipBodies bool
}

// CheckReport is what Check found: counts of what the store holds and
// every problem, one line each.
type CheckReport struct {
	Schema       int
	Created      string
	Crawls       int
	Snapshots    int
	Blobs        int
	BlobBytes    int64 // compressed, as stored
	Items        int
	Decisions    int
	AuditEntries int
	Users        int
	// OrphanBlobs are bodies no snapshot refers to: harmless, only space.
	OrphanBlobs int
	// Problems lists the first problems found; MoreProblems counts the
	// ones left out.
	Problems     []string
	MoreProblems int
	Took         time.Duration
}

// OK reports whether the check found no problem.
func (r *CheckReport) OK() bool { return len(r.Problems) == 0 }

func (r *CheckReport) problem(format string, args ...any) {
	if len(r.Problems) >= maxListedProblems {
		r.MoreProblems++
		return
	}
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

// Check verifies the store: bbolt's page structure, the schema version,
// that every snapshot's body exists and hashes to its SHA-256, that every
// crawl page index, latest-capture index and evidence item points at a
// snapshot that exists, and that decisions and the audit log decode. It
// returns an error only when it could not run; what it found wrong is in
// the report.
//
// On a store opened read-only the check runs in a read transaction; on a
// writable one it holds the write lock for its duration, because bbolt's
// page check must not race a writer's commit.
func (db *DB) Check(o CheckOptions) (rep *CheckReport, err error) {
	rep = &CheckReport{}
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			rep.problem("store is damaged: reading it panicked: %v", r)
			err = nil
		}
		rep.Took = time.Since(start)
	}()
	run := db.bolt.View
	if !db.bolt.IsReadOnly() {
		run = db.bolt.Update
	}
	err = run(func(tx *bolt.Tx) error {
		for e := range tx.Check() {
			rep.problem("page structure: %v", e)
		}
		if !rep.OK() {
			// Walking a store whose pages are inconsistent can crash;
			// the page errors are the finding.
			return nil
		}
		checkContents(tx, rep, o)
		// Roll a writable transaction back: it only held the lock.
		return errStopIter
	})
	if errors.Is(err, errStopIter) {
		err = nil
	}
	if err != nil {
		return rep, fmt.Errorf("check %s: %w", db.path, err)
	}
	return rep, nil
}

func checkContents(tx *bolt.Tx, rep *CheckReport, o CheckOptions) {
	for _, name := range allBuckets {
		if tx.Bucket(name) == nil {
			rep.problem("bucket %s is missing", name)
		}
	}
	if meta := tx.Bucket(bMeta); meta != nil {
		v := meta.Get(keySchema)
		n, err := strconv.Atoi(string(v))
		switch {
		case v == nil:
			rep.problem("schema version is missing")
		case err != nil:
			rep.problem("schema version %q is not a number", v)
		case n > SchemaVersion:
			rep.problem("schema version %d is newer than this build reads (%d)", n, SchemaVersion)
		case n < 1:
			rep.problem("schema version %d is not valid", n)
		}
		rep.Schema = n
		rep.Created = string(meta.Get(keyCreated))
	}

	// Blobs: each key must be the SHA-256 of its decompressed value.
	blobLen := map[string]int64{}
	used := map[string]bool{}
	if b := tx.Bucket(bBlobs); b != nil {
		b.ForEach(func(k, v []byte) error {
			rep.Blobs++
			rep.BlobBytes += int64(len(v))
			if v == nil {
				rep.problem("blob %s is a bucket, not a body", k)
				return nil
			}
			if o.SkipBodies {
				blobLen[string(k)] = -1
				return nil
			}
			sum, n, err := hashGzip(v)
			if err != nil {
				rep.problem("blob %s cannot be read: %v", k, err)
				blobLen[string(k)] = -1
				return nil
			}
			if sum != string(k) {
				rep.problem("blob %s holds a body whose SHA-256 is %s", k, sum)
			}
			blobLen[string(k)] = n
			return nil
		})
	}

	// Snapshots: decode, and their bodies must exist and match in size.
	snaps := tx.Bucket(bSnapshots)
	if snaps != nil {
		snaps.ForEach(func(k, v []byte) error {
			rep.Snapshots++
			if v == nil {
				rep.problem("snapshot %s is a bucket, not a record", k)
				return nil
			}
			var s Snapshot
			if err := json.Unmarshal(v, &s); err != nil {
				rep.problem("snapshot %s does not decode: %v", k, err)
				return nil
			}
			if s.ID != string(k) {
				rep.problem("snapshot %s records id %q", k, s.ID)
			}
			if s.SHA256 == "" {
				return nil
			}
			used[s.SHA256] = true
			n, ok := blobLen[s.SHA256]
			switch {
			case !ok:
				rep.problem("snapshot %s (%s): body %s is missing", k, s.URL, s.SHA256)
			case n >= 0 && s.Size != 0 && n != s.Size:
				rep.problem("snapshot %s (%s): body is %d bytes, snapshot says %d", k, s.URL, n, s.Size)
			}
			return nil
		})
	}
	for sha := range blobLen {
		if !used[sha] {
			rep.OrphanBlobs++
		}
	}
	snapshotExists := func(id []byte) bool { return snaps != nil && snaps.Get(id) != nil }

	// Crawls and their page indexes.
	crawls := tx.Bucket(bCrawls)
	if crawls != nil {
		crawls.ForEach(func(k, v []byte) error {
			rep.Crawls++
			var c Crawl
			if v == nil {
				rep.problem("crawl %s is a bucket, not a record", k)
			} else if err := json.Unmarshal(v, &c); err != nil {
				rep.problem("crawl %s does not decode: %v", k, err)
			} else if c.ID != string(k) {
				rep.problem("crawl %s records id %q", k, c.ID)
			}
			return nil
		})
	}
	forEachNested(tx, bCrawlPages, rep, func(crawl []byte, b *bolt.Bucket) {
		if crawls != nil && crawls.Get(crawl) == nil {
			rep.problem("pages are indexed under crawl %s, which does not exist", crawl)
		}
		b.ForEach(func(u, id []byte) error {
			if id == nil || !snapshotExists(id) {
				rep.problem("crawl %s: %s points at snapshot %q, which does not exist", crawl, u, id)
			}
			return nil
		})
	})
	forEachNested(tx, bLatest, rep, func(auth []byte, b *bolt.Bucket) {
		b.ForEach(func(u, id []byte) error {
			if id == nil || !snapshotExists(id) {
				rep.problem("latest capture of %s %s points at snapshot %q, which does not exist", auth, u, id)
			}
			return nil
		})
	})

	// Evidence items must point at captures that exist.
	forEachNested(tx, bItems, rep, func(auth []byte, b *bolt.Bucket) {
		b.ForEach(func(k, v []byte) error {
			rep.Items++
			var it evidence.Item
			if v == nil {
				rep.problem("item %s/%s is a bucket, not a record", auth, k)
				return nil
			}
			if err := json.Unmarshal(v, &it); err != nil {
				rep.problem("item %s/%s does not decode: %v", auth, k, err)
				return nil
			}
			if it.ID != string(k) {
				rep.problem("item %s/%s records id %q", auth, k, it.ID)
			}
			if it.SnapshotID != "" && !snapshotExists([]byte(it.SnapshotID)) {
				rep.problem("item %s/%s (%s): snapshot %s does not exist", auth, k, it.URL, it.SnapshotID)
			}
			if it.SHA256 != "" {
				if _, ok := blobLen[it.SHA256]; !ok {
					rep.problem("item %s/%s (%s): body %s is missing", auth, k, it.URL, it.SHA256)
				}
			}
			return nil
		})
	})

	forEachNested(tx, bDecisions, rep, func(auth []byte, b *bolt.Bucket) {
		b.ForEach(func(k, v []byte) error {
			rep.Decisions++
			var d evidence.Decision
			if v == nil {
				rep.problem("decision %s/%s is a bucket, not a record", auth, k)
				return nil
			}
			if err := json.Unmarshal(v, &d); err != nil {
				rep.problem("decision %s/%s does not decode: %v", auth, k, err)
				return nil
			}
			if d.Authority != string(auth) || d.Subsection != string(k) {
				rep.problem("decision %s/%s records %s/%s", auth, k, d.Authority, d.Subsection)
			}
			if d.FinalScore != "" && !d.FinalScore.Valid() {
				rep.problem("decision %s/%s has score %q", auth, k, d.FinalScore)
			}
			return nil
		})
	})

	if b := tx.Bucket(bAudit); b != nil {
		var last uint64
		b.ForEach(func(k, v []byte) error {
			rep.AuditEntries++
			var e evidence.AuditEntry
			if v == nil {
				rep.problem("audit entry %s is a bucket, not a record", k)
				return nil
			}
			if err := json.Unmarshal(v, &e); err != nil {
				rep.problem("audit entry %s does not decode: %v", k, err)
				return nil
			}
			if seqKey(e.Seq) != string(k) {
				rep.problem("audit entry %s records sequence %d", k, e.Seq)
			}
			if e.Seq <= last {
				rep.problem("audit entry %s is out of order", k)
			}
			last = e.Seq
			return nil
		})
	}

	if b := tx.Bucket(bUsers); b != nil {
		b.ForEach(func(k, v []byte) error {
			rep.Users++
			var u evidence.User
			if v == nil || json.Unmarshal(v, &u) != nil {
				rep.problem("user %s does not decode", k)
			}
			return nil
		})
	}
}

// forEachNested calls fn for every nested bucket under parent and reports
// plain values found where only buckets belong.
func forEachNested(tx *bolt.Tx, parent []byte, rep *CheckReport, fn func(name []byte, b *bolt.Bucket)) {
	p := tx.Bucket(parent)
	if p == nil {
		return
	}
	p.ForEach(func(k, v []byte) error {
		if v != nil {
			rep.problem("%s: %s is a value where a bucket belongs", parent, k)
			return nil
		}
		fn(k, p.Bucket(k))
		return nil
	})
}

// hashGzip decompresses a stored body and returns its hex SHA-256 and length.
func hashGzip(blob []byte) (string, int64, error) {
	zr, err := gzip.NewReader(bytes.NewReader(blob))
	if err != nil {
		return "", 0, err
	}
	h := sha256.New()
	n, err := io.Copy(h, zr)
	if err != nil {
		return "", n, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
