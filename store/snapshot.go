package store

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/localoffer/localoffer/evidence"
	bolt "go.etcd.io/bbolt"
)

// Snapshot is one response as it was received: what was asked, what came
// back and when. Its body lives in the blob store under SHA256.
type Snapshot struct {
	ID        string `json:"id"`
	CrawlID   string `json:"crawl_id"`
	Authority string `json:"authority"`
	// URL is the normalised URL that was requested; FinalURL is where the
	// response came from after redirects.
	URL         string      `json:"url"`
	FinalURL    string      `json:"final_url"`
	Redirects   []string    `json:"redirects,omitempty"`
	Status      int         `json:"status"`
	Header      http.Header `json:"header,omitempty"`
	CapturedAt  time.Time   `json:"captured_at"`
	ContentType string      `json:"content_type"`
	Charset     string      `json:"charset,omitempty"`
	SHA256      string      `json:"sha256"`
	Size        int64       `json:"size"`
	// Truncated is set when the body was cut at the size limit.
	Truncated bool `json:"truncated,omitempty"`
	// NotModified is set when a conditional request got 304 and the body is
	// the previous capture's.
	NotModified bool `json:"not_modified,omitempty"`
	// Remembered is set when a permanent answer (a 301 or 308 redirect,
	// 410 Gone) of an earlier crawl was carried over without a request;
	// CapturedAt stays the time it was really seen.
	Remembered bool   `json:"remembered,omitempty"`
	Depth      int    `json:"depth"`
	Links      []Link `json:"links,omitempty"`
	// NoFollow is set when the page's robots meta tag said nofollow: its
	// links are recorded but were not followed.
	NoFollow bool `json:"nofollow,omitempty"`
	// Kind is "html", "pdf" or "doc" for kept documents; "other" for a
	// response of another type (recorded, body not kept); "redirect" for a
	// 3xx whose target has its own snapshot; "robots" and "sitemap" for
	// the files the crawler read to plan the crawl (a sitemap's URLs are
	// its Links); "error" when no usable response came back.
	Kind string `json:"kind"`
	// Error says what went wrong when Kind is "error" or Status is not 2xx
	// ("timeout", "connection refused", "http 404").
	Error string `json:"error,omitempty"`
	// Via is the URL of the page where the link to this one was found.
	Via string `json:"via,omitempty"`
}

// Link is an outgoing link with its anchor text.
type Link struct {
	URL  string `json:"url"`
	Text string `json:"text,omitempty"`
	// InScope is false for links that were recorded but not followed.
	InScope bool `json:"in_scope,omitempty"`
	// Nav is set when the link sits in navigation, header or footer.
	Nav bool `json:"nav,omitempty"`
}

// Capture is a snapshot with its body, as the crawler hands it over.
type Capture struct {
	Snapshot *Snapshot
	// Body is nil for a 304 (the previous body is reused).
	Body []byte
}

// HashBody returns the hex SHA-256 of body.
func HashBody(body []byte) string {
	h := sha256.Sum256(body)
	return hex.EncodeToString(h[:])
}

// PutSnapshots stores captures in one transaction: bodies once per hash,
// snapshots under new ids, and the crawl's and authority's URL indexes.
// Batching many pages per commit is what lets a crawl keep up with a fast
// site while every committed page survives a crash.
func (db *DB) PutSnapshots(cs []Capture) error {
	if len(cs) == 0 {
		return nil
	}
	ps := prepareCaptures(cs)
	return db.bolt.Update(func(tx *bolt.Tx) error { return db.putCapturesTx(tx, ps) })
}

// preparedCapture is a capture with its body hashed and compressed, work
// done outside the write lock.
type preparedCapture struct {
	c    Capture
	blob []byte
}

func prepareCaptures(cs []Capture) []preparedCapture {
	ps := make([]preparedCapture, len(cs))
	for i, c := range cs {
		ps[i].c = c
		if c.Body != nil {
			c.Snapshot.SHA256 = HashBody(c.Body)
			c.Snapshot.Size = int64(len(c.Body))
			ps[i].blob = compress(c.Body)
		}
	}
	return ps
}

func (db *DB) putCapturesTx(tx *bolt.Tx, ps []preparedCapture) error {
	snaps := tx.Bucket(bSnapshots)
	// Snapshot ids only grow, so pages can be filled instead of split in
	// half: the bucket (most of a crawl's bytes) takes about half the room.
	snaps.FillPercent = 0.95
	blobs := tx.Bucket(bBlobs)
	for _, p := range ps {
		s := p.c.Snapshot
		if p.blob != nil && blobs.Get([]byte(s.SHA256)) == nil {
			if err := blobs.Put([]byte(s.SHA256), p.blob); err != nil {
				return err
			}
		}
		n, err := snaps.NextSequence()
		if err != nil {
			return err
		}
		s.ID = s.CrawlID + "-" + seqKey(n)
		if s.CapturedAt.IsZero() {
			s.CapturedAt = db.Now().UTC()
		}
		if err := putJSON(snaps, s.ID, s); err != nil {
			return err
		}
		cp, err := sub(tx, bCrawlPages, s.CrawlID, true)
		if err != nil {
			return err
		}
		if err := cp.Put([]byte(s.URL), []byte(s.ID)); err != nil {
			return err
		}
		if s.Status == http.StatusOK || s.NotModified {
			lb, err := sub(tx, bLatest, s.Authority, true)
			if err != nil {
				return err
			}
			if err := lb.Put([]byte(s.URL), []byte(s.ID)); err != nil {
				return err
			}
		}
	}
	return nil
}

// PutSnapshot stores one capture.
func (db *DB) PutSnapshot(s *Snapshot, body []byte) error {
	return db.PutSnapshots([]Capture{{Snapshot: s, Body: body}})
}

func compress(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// Snapshot returns the snapshot with id.
func (db *DB) Snapshot(id string) (*Snapshot, error) {
	var s Snapshot
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return getJSON(tx.Bucket(bSnapshots), id, &s)
	})
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", id, err)
	}
	return &s, nil
}

// Body returns the body stored under sha256.
func (db *DB) Body(sha string) ([]byte, error) {
	var blob []byte
	err := db.bolt.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bBlobs).Get([]byte(sha))
		if v == nil {
			return evidence.ErrNotFound
		}
		blob = append([]byte(nil), v...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("body %s: %w", sha, err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(blob))
	if err != nil {
		return nil, fmt.Errorf("body %s: %w", sha, err)
	}
	return io.ReadAll(zr)
}

// CrawlSnapshotID returns the id of the snapshot of url in crawl, or ErrNotFound.
func (db *DB) CrawlSnapshotID(crawlID, url string) (string, error) {
	var id string
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b, err := sub(tx, bCrawlPages, crawlID, false)
		if err != nil {
			return err
		}
		v := b.Get([]byte(url))
		if v == nil {
			return evidence.ErrNotFound
		}
		id = string(v)
		return nil
	})
	return id, err
}

// CrawlSnapshots calls fn for every snapshot of crawl, in URL order.
// Returning an error from fn stops the walk and returns that error.
func (db *DB) CrawlSnapshots(crawlID string, fn func(*Snapshot) error) error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		b, err := sub(tx, bCrawlPages, crawlID, false)
		if err != nil {
			return nil
		}
		snaps := tx.Bucket(bSnapshots)
		return b.ForEach(func(k, v []byte) error {
			var s Snapshot
			data := snaps.Get(v)
			if data == nil {
				return nil
			}
			if err := json.Unmarshal(data, &s); err != nil {
				return fmt.Errorf("snapshot %s: %w", v, err)
			}
			return fn(&s)
		})
	})
}

// LatestSnapshot returns the newest good capture of url for authority, used
// for conditional requests on a re-crawl.
func (db *DB) LatestSnapshot(authority, url string) (*Snapshot, error) {
	var s Snapshot
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b, err := sub(tx, bLatest, authority, false)
		if err != nil {
			return err
		}
		id := b.Get([]byte(url))
		if id == nil {
			return evidence.ErrNotFound
		}
		return getJSON(tx.Bucket(bSnapshots), string(id), &s)
	})
	if err != nil {
		return nil, err
	}
	return &s, nil
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
