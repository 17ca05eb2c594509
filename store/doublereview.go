package store

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/localoffer/localoffer/evidence"
	bolt "go.etcd.io/bbolt"
)

// States of a double review.
const (
	// DoublePending waits for the second, blind score.
	DoublePending = "pending"
	// DoubleAgreed: both reviewers gave the same score.
	DoubleAgreed = "agreed"
	// DoubleDisagreed: the scores differ and wait for adjudication.
	DoubleDisagreed = "disagreed"
	// DoubleAdjudicated: an adjudicator fixed the final score.
	DoubleAdjudicated = "adjudicated"
)

// DoubleReview is a sub-section put into double review: a second reviewer
// scores it without seeing the suggestion or the first reviewer's
// decision, so that agreement between reviewers (and trust in wrong
// suggestions) can be measured.
type DoubleReview struct {
	Authority  string    `json:"authority"`
	Subsection string    `json:"subsection"`
	AssignedBy string    `json:"assigned_by"`
	Assigned   time.Time `json:"assigned"`
	// FirstReviewer and FirstScore are the decision at assignment time.
	FirstReviewer string         `json:"first_reviewer"`
	FirstScore    evidence.Score `json:"first_score"`
	// SuggestedScore is the tool's score at assignment time, kept to
	// measure how often reviewers follow it.
	SuggestedScore evidence.Score `json:"suggested_score,omitempty"`
	// SecondReviewer is who must score blind; "" lets any reviewer other
	// than the first take it.
	SecondReviewer  string         `json:"second_reviewer,omitempty"`
	SecondBy        string         `json:"second_by,omitempty"`
	SecondScore     evidence.Score `json:"second_score,omitempty"`
	SecondRationale string         `json:"second_rationale,omitempty"`
	SecondAt        time.Time      `json:"second_at,omitempty"`
	State           string         `json:"state"`
	AdjudicatedBy   string         `json:"adjudicated_by,omitempty"`
	Adjudicated     evidence.Score `json:"adjudicated_score,omitempty"`
	AdjudicationWhy string         `json:"adjudication_note,omitempty"`
	AdjudicatedAt   time.Time      `json:"adjudicated_at,omitempty"`
}

// BlindFor reports whether user must not see the suggestion and the first
// decision of this sub-section: the review is pending and user is (or may
// become) its second reviewer.
func (d DoubleReview) BlindFor(user string) bool {
	if d.State != DoublePending || user == d.FirstReviewer {
		return false
	}
	return d.SecondReviewer == "" || d.SecondReviewer == user
}

func reviewKey(authority, subsection string) string { return authority + "/" + subsection }

func marshalString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// AssignDoubleReview puts a sub-section into double review. A sub-section
// already in double review and not yet adjudicated or agreed is a conflict;
// a finished one is replaced by the new round.
func (db *DB) AssignDoubleReview(by string, d DoubleReview) (DoubleReview, error) {
	if !d.FirstScore.Valid() || d.FirstReviewer == "" {
		return d, fmt.Errorf("assign double review %s %s: %w: the sub-section has no reviewed score yet", d.Authority, d.Subsection, evidence.ErrInvalid)
	}
	if d.SecondReviewer != "" && d.SecondReviewer == d.FirstReviewer {
		return d, fmt.Errorf("assign double review %s %s: %w: the second reviewer must not be the first", d.Authority, d.Subsection, evidence.ErrInvalid)
	}
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bReviews)
		key := reviewKey(d.Authority, d.Subsection)
		var old DoubleReview
		before := ""
		if getJSON(b, key, &old) == nil {
			if old.State == DoublePending || old.State == DoubleDisagreed {
				return fmt.Errorf("%w: %s %s is already in double review", evidence.ErrConflict, d.Authority, d.Subsection)
			}
			before = marshalString(old)
		}
		d.AssignedBy = by
		d.Assigned = db.Now().UTC()
		d.State = DoublePending
		d.SecondBy, d.SecondScore, d.SecondRationale, d.SecondAt = "", "", "", time.Time{}
		d.AdjudicatedBy, d.Adjudicated, d.AdjudicationWhy, d.AdjudicatedAt = "", "", "", time.Time{}
		if err := putJSON(b, key, d); err != nil {
			return err
		}
		return db.appendAudit(tx, evidence.AuditEntry{User: by, Action: "assign double review", Authority: d.Authority, Subsection: d.Subsection, Target: d.Subsection, Before: before, After: marshalString(d)})
	})
	if err != nil {
		return d, fmt.Errorf("assign double review: %w", err)
	}
	return d, nil
}

// DoubleReviewOf returns the double review of a sub-section, or ErrNotFound.
func (db *DB) DoubleReviewOf(authority, subsection string) (DoubleReview, error) {
	var d DoubleReview
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return getJSON(tx.Bucket(bReviews), reviewKey(authority, subsection), &d)
	})
	if err != nil {
		return d, fmt.Errorf("double review %s %s: %w", authority, subsection, err)
	}
	return d, nil
}

// DoubleReviews returns every double review, by authority then sub-section.
func (db *DB) DoubleReviews() ([]DoubleReview, error) {
	var out []DoubleReview
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bReviews).ForEach(func(k, v []byte) error {
			var d DoubleReview
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("double review %s: %w", k, err)
			}
			out = append(out, d)
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool {
		if out[i].Authority != out[j].Authority {
			return out[i].Authority < out[j].Authority
		}
		return out[i].Subsection < out[j].Subsection
	})
	return out, err
}

// SaveBlindScore records the second reviewer's blind score. Only a pending
// review takes one, never from the first reviewer, and only from the named
// second reviewer when there is one. Equal scores close the review as
// agreed; different ones wait for adjudication.
func (db *DB) SaveBlindScore(user, authority, subsection string, score evidence.Score, rationale string) (DoubleReview, error) {
	var d DoubleReview
	if !score.Valid() {
		return d, fmt.Errorf("blind score: %w: choose Yes, Partial or No", evidence.ErrInvalid)
	}
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bReviews)
		key := reviewKey(authority, subsection)
		if err := getJSON(b, key, &d); err != nil {
			return err
		}
		if d.State != DoublePending {
			return fmt.Errorf("%w: the second score of %s %s was already given by %s", evidence.ErrConflict, authority, subsection, d.SecondBy)
		}
		if !d.BlindFor(user) {
			return fmt.Errorf("%w: %s is not the second reviewer of %s %s", evidence.ErrForbidden, user, authority, subsection)
		}
		before := marshalString(d)
		d.SecondBy, d.SecondScore, d.SecondRationale, d.SecondAt = user, score, rationale, db.Now().UTC()
		if score == d.FirstScore {
			d.State = DoubleAgreed
		} else {
			d.State = DoubleDisagreed
		}
		if err := putJSON(b, key, d); err != nil {
			return err
		}
		return db.appendAudit(tx, evidence.AuditEntry{User: user, Action: "blind score", Authority: authority, Subsection: subsection, Target: subsection, Before: before, After: marshalString(d)})
	})
	if err != nil {
		return d, fmt.Errorf("blind score %s %s: %w", authority, subsection, err)
	}
	return d, nil
}

// Adjudicate settles a disagreement: it records the adjudicated score and
// writes it as the sub-section's final score, both audited, in one
// transaction. Neither of the two reviewers may adjudicate their own
// disagreement.
func (db *DB) Adjudicate(user, authority, subsection string, score evidence.Score, note, rubricVersion string) (DoubleReview, evidence.Decision, error) {
	var d DoubleReview
	var dec evidence.Decision
	if !score.Valid() {
		return d, dec, fmt.Errorf("adjudicate: %w: choose Yes, Partial or No", evidence.ErrInvalid)
	}
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bReviews)
		key := reviewKey(authority, subsection)
		if err := getJSON(b, key, &d); err != nil {
			return err
		}
		if d.State != DoubleDisagreed {
			return fmt.Errorf("%w: %s %s has no disagreement to adjudicate (state %s)", evidence.ErrConflict, authority, subsection, d.State)
		}
		if user == d.FirstReviewer || user == d.SecondBy {
			return fmt.Errorf("%w: %s scored %s %s and cannot adjudicate it", evidence.ErrForbidden, user, authority, subsection)
		}
		before := marshalString(d)
		now := db.Now().UTC()
		d.State, d.Adjudicated, d.AdjudicatedBy, d.AdjudicationWhy, d.AdjudicatedAt = DoubleAdjudicated, score, user, note, now
		if err := putJSON(b, key, d); err != nil {
			return err
		}
		if err := db.appendAudit(tx, evidence.AuditEntry{User: user, Action: "adjudicate", Authority: authority, Subsection: subsection, Target: subsection, Before: before, After: marshalString(d)}); err != nil {
			return err
		}
		db2, err := sub(tx, bDecisions, authority, true)
		if err != nil {
			return err
		}
		dec = evidence.Decision{Authority: authority, Subsection: subsection}
		if err := getJSON(db2, subsection, &dec); err != nil && !IsNotFound(err) {
			return err
		}
		decBefore := marshalString(dec)
		dec.FinalScore = score
		dec.Rationale = fmt.Sprintf("Adjudicated (%s v %s): %s", d.FirstScore, d.SecondScore, note)
		dec.Reviewed, dec.ReviewedBy = true, user
		if rubricVersion != "" {
			dec.RubricVersion = rubricVersion
		}
		dec.Version++
		dec.Updated, dec.UpdatedBy = now, user
		if err := putJSON(db2, subsection, dec); err != nil {
			return err
		}
		return db.appendAudit(tx, evidence.AuditEntry{User: user, Action: "adjudicated score", Authority: authority, Subsection: subsection, Target: subsection, Before: decBefore, After: marshalString(dec)})
	})
	if err != nil {
		return d, dec, fmt.Errorf("adjudicate %s %s: %w", authority, subsection, err)
	}
	return d, dec, nil
}
