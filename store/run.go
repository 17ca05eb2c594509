package store

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/localoffer/localoffer/evidence"
	bolt "go.etcd.io/bbolt"
)

// Run statuses.
const (
	RunRunning = "running"
	RunDone    = "done"
	// RunPartial means some authorities failed or were skipped.
	RunPartial = "partial"
	RunFailed  = "failed"
)

// Run triggers say why a run started.
const (
	TriggerManual   = "manual"
	TriggerSchedule = "schedule"
	// TriggerCatchUp is a scheduled run that was missed while nothing was
	// running and started at the next start-up.
	TriggerCatchUp = "catch-up"
	TriggerDemo    = "demo"
)

// Run is one pass over one or more authorities: crawl, assess, mark stale.
type Run struct {
	ID      string    `json:"id"`
	Trigger string    `json:"trigger"`
	Started time.Time `json:"started"`
	Ended   time.Time `json:"ended,omitempty"`
	Status  string    `json:"status"`
	// Authorities are in the order they were run.
	Authorities []RunAuthority `json:"authorities"`
	Error       string         `json:"error,omitempty"`
}

// RunAuthority is what a run did for one authority.
type RunAuthority struct {
	Slug    string    `json:"slug"`
	Started time.Time `json:"started,omitempty"`
	Ended   time.Time `json:"ended,omitempty"`
	// CrawlID is the crawl this run made; PreviousCrawlID the one its
	// changes were measured against ("" on a first crawl).
	CrawlID         string `json:"crawl_id,omitempty"`
	PreviousCrawlID string `json:"previous_crawl_id,omitempty"`
	Pages           int    `json:"pages"`
	NotModified     int    `json:"not_modified"`
	Errors          int    `json:"errors"`
	// Change counts between the previous crawl and this one.
	Added   int `json:"added"`
	Removed int `json:"removed"`
	Changed int `json:"changed"`
	Moved   int `json:"moved"`
	// Stale counts evidence items marked stale; ReReview decisions flagged.
	Stale    int `json:"stale"`
	ReReview int `json:"rereview"`
	// NewItems counts suggestions that joined the review queue.
	NewItems int `json:"new_items"`
	// Skipped says why the authority was not run (its lock was held).
	Skipped string `json:"skipped,omitempty"`
	Error   string `json:"error,omitempty"`
}

// CreateRun records the start of a run and gives it an id.
func (db *DB) CreateRun(r *Run) error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bRuns)
		n, err := b.NextSequence()
		if err != nil {
			return err
		}
		r.ID = seqKey(n)
		if r.Started.IsZero() {
			r.Started = db.Now().UTC()
		}
		if r.Status == "" {
			r.Status = RunRunning
		}
		return putJSON(b, r.ID, r)
	})
}

// UpdateRun saves a run's progress or result.
func (db *DB) UpdateRun(r *Run) error {
	if r.ID == "" {
		return fmt.Errorf("update run: %w: no id", evidence.ErrInvalid)
	}
	return db.bolt.Update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bRuns), r.ID, r)
	})
}

// GetRun returns the run with id.
func (db *DB) GetRun(id string) (*Run, error) {
	var r Run
	err := db.bolt.View(func(tx *bolt.Tx) error { return getJSON(tx.Bucket(bRuns), id, &r) })
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", id, err)
	}
	return &r, nil
}

// Runs returns the run history, newest first, at most limit (0 for all).
func (db *DB) Runs(limit int) ([]*Run, error) {
	var out []*Run
	err := db.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bRuns).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			if v == nil {
				continue // a nested bucket, not a run
			}
			var r Run
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("run %s: %w", k, err)
			}
			out = append(out, &r)
			if limit > 0 && len(out) >= limit {
				break
			}
		}
		return nil
	})
	return out, err
}

// ScheduleState is what the scheduler remembers between start-ups.
type ScheduleState struct {
	// Spec is the cron expression the times below belong to.
	Spec string `json:"spec"`
	// LastDue is the scheduled time of the last run that was started (or
	// caught up); the next due time after it tells whether one was missed.
	LastDue time.Time `json:"last_due"`
	// LastRunID is the run started for LastDue.
	LastRunID string `json:"last_run_id,omitempty"`
}

var keySchedule = []byte("schedule_state")

// ScheduleState returns the scheduler's memory, or ErrNotFound before the
// first scheduled run.
func (db *DB) ScheduleState() (ScheduleState, error) {
	var s ScheduleState
	err := db.bolt.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bMeta).Get(keySchedule)
		if v == nil {
			return evidence.ErrNotFound
		}
		return json.Unmarshal(v, &s)
	})
	return s, err
}

// SetScheduleState saves the scheduler's memory.
func (db *DB) SetScheduleState(s ScheduleState) error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		data, err := json.Marshal(s)
		if err != nil {
			return err
		}
		return tx.Bucket(bMeta).Put(keySchedule, data)
	})
}

var bCrawlEvidence = []byte("crawl_evidence") // nested in bRuns: crawl id -> url -> sub-sections

// SetCrawlEvidence records which pages of a crawl carried evidence for which
// sub-sections when it was assessed, so that a later comparison can group a
// page that has since vanished (and whose suggestions left the queue) under
// the sub-sections it used to support.
func (db *DB) SetCrawlEvidence(crawlID string, pages map[string][]string) error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		b, err := tx.Bucket(bRuns).CreateBucketIfNotExists(bCrawlEvidence)
		if err != nil {
			return err
		}
		return putJSON(b, crawlID, pages)
	})
}

// CrawlEvidence returns what SetCrawlEvidence recorded for a crawl, or an
// empty map.
func (db *DB) CrawlEvidence(crawlID string) (map[string][]string, error) {
	out := map[string][]string{}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bRuns).Bucket(bCrawlEvidence)
		if b == nil {
			return nil
		}
		if err := getJSON(b, crawlID, &out); err != nil && !IsNotFound(err) {
			return err
		}
		return nil
	})
	return out, err
}
