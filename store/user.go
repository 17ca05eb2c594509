package store

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/localoffer/localoffer/evidence"
	bolt "go.etcd.io/bbolt"
)

// userAudit is what the audit log records of a user: never the password
// hash.
type userAudit struct {
	Name     string        `json:"name"`
	Role     evidence.Role `json:"role"`
	Disabled bool          `json:"disabled,omitempty"`
}

func auditUser(u evidence.User) string {
	b, _ := json.Marshal(userAudit{Name: u.Name, Role: u.Role, Disabled: u.Disabled})
	return string(b)
}

// ValidUserName reports why name cannot be a user name, or nil: 1 to 64
// letters, digits, dots, dashes, underscores or @.
func ValidUserName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("%w: user name must be 1 to 64 characters", evidence.ErrInvalid)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".-_@", r)) {
			return fmt.Errorf("%w: user name %q may only hold letters, digits and . - _ @", evidence.ErrInvalid, name)
		}
	}
	return nil
}

// CreateUser stores a new user, audited as done by by. A user of the same
// name is a conflict.
func (db *DB) CreateUser(by string, u evidence.User) error {
	if err := ValidUserName(u.Name); err != nil {
		return err
	}
	if _, err := evidence.ParseRole(string(u.Role)); err != nil {
		return err
	}
	if len(u.PasswordHash) == 0 {
		return fmt.Errorf("%w: user %s has no password", evidence.ErrInvalid, u.Name)
	}
	return db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bUsers)
		if b.Get([]byte(u.Name)) != nil {
			return fmt.Errorf("%w: user %s exists", evidence.ErrConflict, u.Name)
		}
		if u.Created.IsZero() {
			u.Created = db.Now().UTC()
		}
		if err := putJSON(b, u.Name, u); err != nil {
			return err
		}
		return db.appendAudit(tx, evidence.AuditEntry{User: by, Action: "add user", Target: u.Name, After: auditUser(u)})
	})
}

// User returns the user called name, or ErrNotFound.
func (db *DB) User(name string) (evidence.User, error) {
	var u evidence.User
	err := db.bolt.View(func(tx *bolt.Tx) error { return getJSON(tx.Bucket(bUsers), name, &u) })
	if err != nil {
		return u, fmt.Errorf("user %s: %w", name, err)
	}
	return u, nil
}

// Users returns every user, sorted by name.
func (db *DB) Users() ([]evidence.User, error) {
	var out []evidence.User
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bUsers).ForEach(func(k, v []byte) error {
			var u evidence.User
			if err := json.Unmarshal(v, &u); err != nil {
				return fmt.Errorf("user %s: %w", k, err)
			}
			out = append(out, u)
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}

func activeAdmin(u evidence.User) bool { return u.Role == evidence.Admin && !u.Disabled }

// countActiveAdmins counts enabled admins. Called inside the write
// transaction that demotes or disables one, so two admins acting on each
// other at the same moment cannot leave the service with none.
func countActiveAdmins(b *bolt.Bucket) (int, error) {
	n := 0
	err := b.ForEach(func(k, v []byte) error {
		var u evidence.User
		if err := json.Unmarshal(v, &u); err != nil {
			return fmt.Errorf("user %s: %w", k, err)
		}
		if activeAdmin(u) {
			n++
		}
		return nil
	})
	return n, err
}

// UpdateUser applies fn to a stored user and records action in the audit
// log in the same transaction. A changed password hash or a disabled user
// also ends every session of that user, so that a stolen session dies
// with the old password. Demoting or disabling the last active admin is
// refused, so the service always has someone who can manage accounts.
func (db *DB) UpdateUser(by, name, action string, fn func(*evidence.User) error) (evidence.User, error) {
	var u evidence.User
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bUsers)
		if err := getJSON(b, name, &u); err != nil {
			return err
		}
		old := u
		if err := fn(&u); err != nil {
			return err
		}
		u.Name = old.Name
		if _, err := evidence.ParseRole(string(u.Role)); err != nil {
			return err
		}
		if activeAdmin(old) && !activeAdmin(u) {
			n, err := countActiveAdmins(b)
			if err != nil {
				return err
			}
			if n <= 1 {
				return fmt.Errorf("%w: %s is the last active admin; make another admin first", evidence.ErrInvalid, u.Name)
			}
		}
		if err := putJSON(b, u.Name, u); err != nil {
			return err
		}
		if string(old.PasswordHash) != string(u.PasswordHash) || (u.Disabled && !old.Disabled) {
			if err := deleteUserSessions(tx, u.Name); err != nil {
				return err
			}
		}
		return db.appendAudit(tx, evidence.AuditEntry{User: by, Action: action, Target: u.Name, Before: auditUser(old), After: auditUser(u)})
	})
	if err != nil {
		return u, fmt.Errorf("update user %s: %w", name, err)
	}
	return u, nil
}
