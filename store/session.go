package store

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/localoffer/localoffer/evidence"
	bolt "go.etcd.io/bbolt"
)

// Session is a logged-in browser. The store keys it by a hash of the
// cookie's token, so that a copy of the store file cannot be used to take
// over a session.
type Session struct {
	// ID is the hex SHA-256 of the cookie token.
	ID   string `json:"id"`
	User string `json:"user"`
	// CSRF is the token every state-changing form of this session carries.
	CSRF     string    `json:"csrf"`
	Created  time.Time `json:"created"`
	Expires  time.Time `json:"expires"`
	LastSeen time.Time `json:"last_seen"`
}

// CreateSession stores s.
func (db *DB) CreateSession(s Session) error {
	if s.ID == "" || s.User == "" {
		return fmt.Errorf("create session: %w: id and user are required", evidence.ErrInvalid)
	}
	return db.bolt.Update(func(tx *bolt.Tx) error { return putJSON(tx.Bucket(bSessions), s.ID, s) })
}

// Session returns the session with id, or ErrNotFound when there is none
// or it expired at now (an expired one is deleted).
func (db *DB) Session(id string, now time.Time) (Session, error) {
	var s Session
	err := db.bolt.View(func(tx *bolt.Tx) error { return getJSON(tx.Bucket(bSessions), id, &s) })
	if err != nil {
		return s, fmt.Errorf("session: %w", err)
	}
	if !now.Before(s.Expires) {
		_ = db.DeleteSession(id)
		return Session{}, fmt.Errorf("session expired: %w", evidence.ErrNotFound)
	}
	return s, nil
}

// DeleteSession ends a session; ending one that does not exist is not an
// error.
func (db *DB) DeleteSession(id string) error {
	return db.bolt.Update(func(tx *bolt.Tx) error { return tx.Bucket(bSessions).Delete([]byte(id)) })
}

// PruneSessions deletes every session expired at now and returns how many.
func (db *DB) PruneSessions(now time.Time) (int, error) {
	n := 0
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bSessions)
		var drop [][]byte
		err := b.ForEach(func(k, v []byte) error {
			var s Session
			if json.Unmarshal(v, &s) != nil || !now.Before(s.Expires) {
				drop = append(drop, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range drop {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(drop)
		return nil
	})
	return n, err
}

// deleteUserSessions ends every session of user inside tx.
func deleteUserSessions(tx *bolt.Tx, user string) error {
	b := tx.Bucket(bSessions)
	var drop [][]byte
	err := b.ForEach(func(k, v []byte) error {
		var s Session
		if json.Unmarshal(v, &s) == nil && s.User == user {
			drop = append(drop, append([]byte(nil), k...))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range drop {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
