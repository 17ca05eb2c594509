package store

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ErrLocked is returned when an authority is already being crawled.
var ErrLocked = errors.New("authority is locked")

// Lock records who is crawling an authority. It lives in the store so that
// it survives with the data it protects: a crawl lock left behind by a
// process that died is visible, and taken over by the next run.
type Lock struct {
	Authority string    `json:"authority"`
	PID       int       `json:"pid"`
	Host      string    `json:"host,omitempty"`
	Started   time.Time `json:"started"`
	// Owner says what holds the lock ("crawl", "scheduled run", "demo").
	Owner string `json:"owner,omitempty"`
	// Instance identifies the process that took the lock, so that a PID
	// reused by an unrelated process after a crash is not mistaken for it.
	Instance string `json:"instance"`
}

// LockedError says who holds the lock of an authority.
type LockedError struct {
	Lock Lock
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("%s is being crawled by process %d (%s) since %s", e.Lock.Authority, e.Lock.PID, e.Lock.Owner, e.Lock.Started.Format(time.RFC3339))
}

// Unwrap makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Unwrap() error { return ErrLocked }

// instance is this process's random identity for lock records.
var instance = func() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}()

// processAlive is replaceable in tests.
var processAlive = func(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// lockHeld reports whether l still protects a running crawl. A lock taken by
// this process is held until released. A lock of another process instance
// is stale: bbolt lets only one process write the file, so a writer that
// still ran would have kept us from opening it; the PID check covers a
// record written by a process that is gone, even if its PID was reused.
func lockHeld(l Lock) bool {
	return l.Instance == instance
}

// AcquireLock takes the crawl lock of authority for this process, or
// returns a *LockedError naming the holder. A stale lock (its process is
// gone) is taken over; takenOver then describes it. The returned release
// function gives the lock back and is safe to call more than once.
func (db *DB) AcquireLock(authority, owner string) (release func() error, takenOver *Lock, err error) {
	host, _ := os.Hostname()
	mine := Lock{Authority: authority, PID: os.Getpid(), Host: host, Started: db.Now().UTC(), Owner: owner, Instance: instance}
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bLocks)
		var old Lock
		if err := getJSON(b, authority, &old); err == nil {
			if lockHeld(old) {
				return &LockedError{Lock: old}
			}
			o := old
			takenOver = &o
		} else if !IsNotFound(err) {
			return err
		}
		return putJSON(b, authority, mine)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("lock %s: %w", authority, err)
	}
	released := false
	release = func() error {
		if released {
			return nil
		}
		released = true
		return db.bolt.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bLocks)
			var cur Lock
			if err := getJSON(b, authority, &cur); err != nil {
				if IsNotFound(err) {
					return nil
				}
				return err
			}
			if cur.Instance != mine.Instance || !cur.Started.Equal(mine.Started) {
				return nil // someone else's now; leave it
			}
			return b.Delete([]byte(authority))
		})
	}
	return release, takenOver, nil
}

// Locks returns the crawl locks recorded in the store, by authority, with
// Stale set on those whose process is gone.
func (db *DB) Locks() ([]LockInfo, error) {
	var out []LockInfo
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bLocks).ForEach(func(k, v []byte) error {
			var l Lock
			if err := json.Unmarshal(v, &l); err != nil {
				return fmt.Errorf("lock %s: %w", k, err)
			}
			out = append(out, LockInfo{Lock: l, Stale: !lockHeld(l), Alive: processAlive(l.PID)})
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Authority < out[j].Authority })
	return out, err
}

// LockInfo is a lock as seen by this process.
type LockInfo struct {
	Lock
	// Stale is set when the lock will be taken over by the next crawl.
	Stale bool
	// Alive reports whether a process with the lock's PID exists now (it
	// may be an unrelated process that reused the number).
	Alive bool
}
