package store

import (
	"fmt"
	"time"

	"github.com/localoffer/localoffer/evidence"
	bolt "go.etcd.io/bbolt"
)

// Note is a free-text note kept under a name, such as the future-work notes
// the regional report prints.
type Note struct {
	Key       string    `json:"key"`
	Text      string    `json:"text"`
	UpdatedBy string    `json:"updated_by,omitempty"`
	Updated   time.Time `json:"updated"`
}

// NoteFutureWork is the note the regional report's future-work section
// reads when no notes file is given.
const NoteFutureWork = "future_work"

// Note returns the note under key, or ErrNotFound.
func (db *DB) Note(key string) (Note, error) {
	var n Note
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return getJSON(tx.Bucket(bNotes), key, &n)
	})
	if err != nil {
		return n, fmt.Errorf("note %s: %w", key, err)
	}
	return n, nil
}

// SetNote saves the note under key, with an audit entry in the same
// transaction.
func (db *DB) SetNote(user, key, text string) (Note, error) {
	if key == "" {
		return Note{}, fmt.Errorf("set note: %w: empty key", evidence.ErrInvalid)
	}
	n := Note{Key: key, Text: text, UpdatedBy: user}
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bNotes)
		var old Note
		if err := getJSON(b, key, &old); err != nil && !IsNotFound(err) {
			return err
		}
		n.Updated = db.Now().UTC()
		if err := putJSON(b, key, n); err != nil {
			return err
		}
		return db.appendAudit(tx, evidence.AuditEntry{User: user, Action: "edit note", Target: key, Before: old.Text, After: text})
	})
	if err != nil {
		return Note{}, fmt.Errorf("set note %s: %w", key, err)
	}
	return n, nil
}
