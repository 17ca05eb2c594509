package store

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/localoffer/localoffer/evidence"
	bolt "go.etcd.io/bbolt"
)

// Crawl statuses.
const (
	CrawlRunning     = "running"
	CrawlDone        = "done"
	CrawlFailed      = "failed"
	CrawlInterrupted = "interrupted"
)

// Crawl is one crawl of one authority's site.
type Crawl struct {
	ID        string    `json:"id"`
	Authority string    `json:"authority"`
	Started   time.Time `json:"started"`
	Ended     time.Time `json:"ended,omitempty"`
	Status    string    `json:"status"`
	// ResumedFrom names an earlier interrupted crawl this one finished.
	Resumes string `json:"resumes,omitempty"`
	Counts  Counts `json:"counts"`
	Error   string `json:"error,omitempty"`
	// RunID ties the crawl to a scheduled run, if any.
	RunID string `json:"run_id,omitempty"`
}

// Counts summarise a crawl for its report.
type Counts struct {
	Pages       int            `json:"pages"`
	Documents   int            `json:"documents"`
	NotModified int            `json:"not_modified"`
	Bytes       int64          `json:"bytes"`
	Robots      int            `json:"skipped_robots"`
	OutOfScope  int            `json:"out_of_scope"`
	Traps       int            `json:"traps"`
	Skipped     int            `json:"skipped_other"`
	Errors      map[string]int `json:"errors,omitempty"`
	Queued      int            `json:"queued"`
}

// ErrorTotal is the sum of errors of every kind.
func (c Counts) ErrorTotal() int {
	n := 0
	for _, v := range c.Errors {
		n += v
	}
	return n
}

// CreateCrawl starts a crawl record and gives it an id.
func (db *DB) CreateCrawl(c *Crawl) error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bCrawls)
		n, err := b.NextSequence()
		if err != nil {
			return err
		}
		c.ID = seqKey(n)
		if c.Started.IsZero() {
			c.Started = db.Now().UTC()
		}
		if c.Status == "" {
			c.Status = CrawlRunning
		}
		if _, err := sub(tx, bCrawlPages, c.ID, true); err != nil {
			return err
		}
		return putJSON(b, c.ID, c)
	})
}

// UpdateCrawl saves a crawl's status and counts.
func (db *DB) UpdateCrawl(c *Crawl) error {
	if c.ID == "" {
		return fmt.Errorf("update crawl: %w: no id", evidence.ErrInvalid)
	}
	return db.bolt.Update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bCrawls), c.ID, c)
	})
}

// Crawl returns the crawl with id.
func (db *DB) Crawl(id string) (*Crawl, error) {
	var c Crawl
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return getJSON(tx.Bucket(bCrawls), id, &c)
	})
	if err != nil {
		return nil, fmt.Errorf("crawl %s: %w", id, err)
	}
	return &c, nil
}

// Crawls returns the crawls of authority (all when ""), newest first.
func (db *DB) Crawls(authority string) ([]*Crawl, error) {
	var out []*Crawl
	err := db.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bCrawls).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			var cr Crawl
			if err := jsonUnmarshal(v, &cr); err != nil {
				return err
			}
			if authority == "" || cr.Authority == authority {
				out = append(out, &cr)
			}
		}
		return nil
	})
	return out, err
}

// LatestCrawl returns the newest crawl of authority that finished (done or
// failed with pages), or ErrNotFound.
func (db *DB) LatestCrawl(authority string) (*Crawl, error) {
	cs, err := db.Crawls(authority)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if c.Status == CrawlDone || (c.Status == CrawlFailed && c.Counts.Pages > 0) {
			return c, nil
		}
	}
	return nil, fmt.Errorf("no finished crawl of %s: %w", authority, evidence.ErrNotFound)
}

// InterruptedCrawl returns the newest crawl of authority that never
// finished (status running or interrupted), for --resume.
func (db *DB) InterruptedCrawl(authority string) (*Crawl, error) {
	cs, err := db.Crawls(authority)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		switch c.Status {
		case CrawlRunning, CrawlInterrupted:
			return c, nil
		case CrawlDone, CrawlFailed:
			return nil, evidence.ErrNotFound
		}
	}
	return nil, evidence.ErrNotFound
}

// Authorities returns the slugs that have at least one crawl, sorted.
func (db *DB) Authorities() ([]string, error) {
	seen := map[string]bool{}
	cs, err := db.Crawls("")
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		seen[c.Authority] = true
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out, nil
}

// IsNotFound reports whether err means something was not there.
func IsNotFound(err error) bool { return errors.Is(err, evidence.ErrNotFound) }
