package store

import (
	"encoding/json"

	"github.com/localoffer/localoffer/evidence"
	bolt "go.etcd.io/bbolt"
)

// appendAudit adds an entry to the append-only audit log inside tx, so a
// change and its record commit together or not at all.
func (db *DB) appendAudit(tx *bolt.Tx, e evidence.AuditEntry) error {
	b := tx.Bucket(bAudit)
	n, err := b.NextSequence()
	if err != nil {
		return err
	}
	e.Seq = n
	if e.Time.IsZero() {
		e.Time = db.Now().UTC()
	}
	return putJSON(b, seqKey(n), e)
}

// Audit records a change that has no other write of its own (a login, a
// user created, a rubric amended).
func (db *DB) Audit(e evidence.AuditEntry) error {
	return db.bolt.Update(func(tx *bolt.Tx) error { return db.appendAudit(tx, e) })
}

// AuditLog returns entries, newest first, filtered by authority and
// sub-section when they are not "", at most limit (0 for all).
func (db *DB) AuditLog(authority, subsection string, limit int) ([]evidence.AuditEntry, error) {
	var out []evidence.AuditEntry
	err := db.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bAudit).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			var e evidence.AuditEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
			if authority != "" && e.Authority != authority {
				continue
			}
			if subsection != "" && e.Subsection != subsection {
				continue
			}
			out = append(out, e)
			if limit > 0 && len(out) >= limit {
				break
			}
		}
		return nil
	})
	return out, err
}
