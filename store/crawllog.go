package store

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/localoffer/localoffer/evidence"
	bolt "go.etcd.io/bbolt"
)

// bCrawlLog holds, per crawl, one decision per URL the crawler met: why
// it was fetched or not. `crawl --explain` reads it. The bucket is created
// on first write so that stores made before it existed still open.
var bCrawlLog = []byte("crawl_log")

// Crawl decisions recorded in the log.
const (
	DecisionFetched     = "fetched"      // fetched and kept (or recorded, for other types)
	DecisionNotModified = "not_modified" // conditional request answered 304; previous capture reused
	DecisionRedirect    = "redirect"     // answered with a redirect; the target was considered in turn
	DecisionRobots      = "robots"       // disallowed by robots.txt
	DecisionOutOfScope  = "out_of_scope" // host not configured for the authority, or not http(s)
	DecisionExcluded    = "excluded"     // matched an exclude pattern or a state-changing action
	DecisionTrap        = "trap"         // cut by a trap limit (query variants, calendar, repeated segments)
	DecisionDepth       = "depth"        // deeper than max_depth
	DecisionMaxPages    = "max_pages"    // the crawl had reached max_pages
	DecisionError       = "error"        // fetched, but the answer was an error
	DecisionSkipped     = "skipped"      // fetched but not kept (type not kept)
)

// CrawlLogEntry is the crawler's decision about one URL in one crawl.
type CrawlLogEntry struct {
	URL      string `json:"url"`
	Decision string `json:"decision"`
	// Detail says which rule, limit or error decided ("Disallow: /admin/
	// (line 3)", "more than 50 query variants of /search").
	Detail string `json:"detail,omitempty"`
	// Via is the page the URL was found on ("" for start URLs, "sitemap"
	// URLs name the sitemap).
	Via    string    `json:"via,omitempty"`
	Depth  int       `json:"depth"`
	Status int       `json:"status,omitempty"`
	Time   time.Time `json:"time"`
}

// CommitCrawlBatch stores captures, crawl-log entries and the crawl's
// record (its counts so far) in one transaction, so that a crash leaves
// either all of a batch or none of it, and one fsync covers many pages.
// c may be nil.
func (db *DB) CommitCrawlBatch(c *Crawl, cs []Capture, log []CrawlLogEntry) error {
	ps := prepareCaptures(cs)
	type encoded struct {
		key  []byte
		data []byte
	}
	var crawlID string
	switch {
	case c != nil:
		crawlID = c.ID
	case len(cs) > 0:
		crawlID = cs[0].Snapshot.CrawlID
	}
	if len(log) > 0 && crawlID == "" {
		return fmt.Errorf("commit crawl batch: %w: log entries without a crawl", evidence.ErrInvalid)
	}
	es := make([]encoded, 0, len(log))
	for _, e := range log {
		data, err := json.Marshal(e)
		if err != nil {
			return err
		}
		es = append(es, encoded{[]byte(e.URL), data})
	}
	return db.bolt.Update(func(tx *bolt.Tx) error {
		if err := db.putCapturesTx(tx, ps); err != nil {
			return err
		}
		if len(es) > 0 {
			root, err := tx.CreateBucketIfNotExists(bCrawlLog)
			if err != nil {
				return err
			}
			b, err := root.CreateBucketIfNotExists([]byte(crawlID))
			if err != nil {
				return err
			}
			for _, e := range es {
				if err := b.Put(e.key, e.data); err != nil {
					return err
				}
			}
		}
		if c != nil && c.ID != "" {
			return putJSON(tx.Bucket(bCrawls), c.ID, c)
		}
		return nil
	})
}

// CrawlDecision returns the crawler's decision about url in crawl, or
// ErrNotFound when the crawl never met it.
func (db *DB) CrawlDecision(crawlID, url string) (*CrawlLogEntry, error) {
	var e CrawlLogEntry
	err := db.bolt.View(func(tx *bolt.Tx) error {
		root := tx.Bucket(bCrawlLog)
		if root == nil {
			return evidence.ErrNotFound
		}
		return getJSON(root.Bucket([]byte(crawlID)), url, &e)
	})
	if err != nil {
		return nil, fmt.Errorf("crawl %s: %s: %w", crawlID, url, err)
	}
	return &e, nil
}

// CrawlDecisions calls fn for every decision of crawl, in URL order.
func (db *DB) CrawlDecisions(crawlID string, fn func(*CrawlLogEntry) error) error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		root := tx.Bucket(bCrawlLog)
		if root == nil {
			return nil
		}
		b := root.Bucket([]byte(crawlID))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var e CrawlLogEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("crawl log %s: %w", k, err)
			}
			return fn(&e)
		})
	})
}
