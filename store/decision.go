package store

import (
	"encoding/json"
	"fmt"

	"github.com/localoffer/localoffer/evidence"
	bolt "go.etcd.io/bbolt"
)

// Decision returns the reviewers' decision on a sub-section; a zero
// Decision (Version 0) when nobody has saved one yet.
func (db *DB) Decision(authority, subsection string) (evidence.Decision, error) {
	d := evidence.Decision{Authority: authority, Subsection: subsection}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b, err := sub(tx, bDecisions, authority, false)
		if err != nil {
			return nil
		}
		if err := getJSON(b, subsection, &d); err != nil && !IsNotFound(err) {
			return err
		}
		return nil
	})
	return d, err
}

// Decisions returns every decision of authority by sub-section id.
func (db *DB) Decisions(authority string) (map[string]evidence.Decision, error) {
	out := map[string]evidence.Decision{}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b, err := sub(tx, bDecisions, authority, false)
		if err != nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var d evidence.Decision
			if err := json.Unmarshal(v, &d); err != nil {
				return err
			}
			out[string(k)] = d
			return nil
		})
	})
	return out, err
}

// SaveDecision applies fn to the stored decision and commits it with an
// audit entry before returning. baseVersion is the version the user saw:
// if the stored one is newer, nothing is written and a *ConflictError
// carrying the other's change is returned. A baseVersion below 0 skips the
// check (for system updates such as marking decisions for re-review).
func (db *DB) SaveDecision(user, authority, subsection string, baseVersion int, action string, fn func(*evidence.Decision) error) (evidence.Decision, error) {
	var d evidence.Decision
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		b, err := sub(tx, bDecisions, authority, true)
		if err != nil {
			return err
		}
		d = evidence.Decision{Authority: authority, Subsection: subsection}
		if err := getJSON(b, subsection, &d); err != nil && !IsNotFound(err) {
			return err
		}
		if baseVersion >= 0 && d.Version != baseVersion {
			return &evidence.ConflictError{Current: d}
		}
		before, _ := json.Marshal(d)
		if err := fn(&d); err != nil {
			return err
		}
		d.Version++
		d.Updated = db.Now().UTC()
		d.UpdatedBy = user
		if err := putJSON(b, subsection, d); err != nil {
			return err
		}
		after, _ := json.Marshal(d)
		return db.appendAudit(tx, evidence.AuditEntry{User: user, Action: action, Authority: authority, Subsection: subsection, Target: subsection, Before: string(before), After: string(after)})
	})
	if err != nil {
		return d, fmt.Errorf("save decision %s %s: %w", authority, subsection, err)
	}
	return d, nil
}
