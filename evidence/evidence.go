// Package evidence holds localoffer's domain: evidence items that tie a
// passage of a captured page to rubric criteria, the statuses and scores
// that follow from them, reviewers' decisions, users and the audit trail.
// It imports no storage, HTTP or crawling code; every other package speaks
// in these types.
package evidence

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Score is a sub-section's Yes / Partial / No.
type Score string

// The three scores of the brief.
const (
	Yes     Score = "Yes"
	Partial Score = "Partial"
	No      Score = "No"
)

// Valid reports whether s is one of Yes, Partial, No.
func (s Score) Valid() bool { return s == Yes || s == Partial || s == No }

// Rank orders scores No=0, Partial=1, Yes=2 (as the benchmark's kappa does).
func (s Score) Rank() int {
	switch s {
	case Yes:
		return 2
	case Partial:
		return 1
	}
	return 0
}

// ParseScore accepts yes/partial/no in any case.
func ParseScore(s string) (Score, error) {
	switch s {
	case "Yes", "yes", "YES", "Y", "y":
		return Yes, nil
	case "Partial", "partial", "PARTIAL", "P", "p":
		return Partial, nil
	case "No", "no", "NO", "N", "n":
		return No, nil
	}
	return "", fmt.Errorf("%w: score %q must be Yes, Partial or No", ErrInvalid, s)
}

// Status is how far a criterion is evidenced.
type Status string

// Criterion statuses.
const (
	Met     Status = "met"
	PartMet Status = "partial"
	Absent  Status = "absent"
)

// ScoreOf applies the rubric rule: every criterion met is Yes, none met or
// partly met is No, anything else is Partial.
func ScoreOf(statuses []Status) Score {
	if len(statuses) == 0 {
		return No
	}
	met, any := 0, 0
	for _, s := range statuses {
		switch s {
		case Met:
			met++
			any++
		case PartMet:
			any++
		}
	}
	switch {
	case met == len(statuses):
		return Yes
	case any == 0:
		return No
	}
	return Partial
}

// ItemStatus is where an evidence item stands in review.
type ItemStatus string

// Review states of an evidence item. Proposed items are the tool's
// suggestions; reviewers accept or reject them, or add accepted items.
const (
	Proposed ItemStatus = "proposed"
	Accepted ItemStatus = "accepted"
	Rejected ItemStatus = "rejected"
)

// Origin says who found an item.
type Origin string

// Origins of evidence items.
const (
	Suggested Origin = "suggested"
	Manual    Origin = "reviewer"
)

// Item is one piece of evidence: a passage of a captured page (or a quote a
// reviewer added) tied to criteria of one sub-section.
type Item struct {
	ID         string `json:"id"`
	Authority  string `json:"authority"`
	Subsection string `json:"subsection"`
	// Criteria are the criteria of Subsection the passage speaks to.
	Criteria []string `json:"criteria"`
	URL      string   `json:"url"`
	Title    string   `json:"title"`
	// Heading is the section of the page the passage sits under.
	Heading string `json:"heading,omitempty"`
	Snippet string `json:"snippet"`
	// Terms are the matched words, for highlighting.
	Terms []string `json:"terms,omitempty"`
	// Signals are the signals that fired, in words a reviewer can read.
	Signals    []string `json:"signals,omitempty"`
	Confidence float64  `json:"confidence"`
	// Rank orders suggestions within a sub-section, best first (0 is best).
	Rank int `json:"rank"`
	// SnapshotID and SHA256 identify the capture the passage was read from.
	SnapshotID string     `json:"snapshot_id,omitempty"`
	SHA256     string     `json:"sha256,omitempty"`
	CrawlID    string     `json:"crawl_id,omitempty"`
	Origin     Origin     `json:"origin"`
	Status     ItemStatus `json:"status"`
	// Stale is set when the page changed or vanished after the item was made.
	Stale        bool      `json:"stale,omitempty"`
	StaleReason  string    `json:"stale_reason,omitempty"`
	BestPractice bool      `json:"best_practice,omitempty"`
	Note         string    `json:"note,omitempty"`
	CreatedBy    string    `json:"created_by,omitempty"`
	Created      time.Time `json:"created"`
	Updated      time.Time `json:"updated"`
	UpdatedBy    string    `json:"updated_by,omitempty"`
}

// ItemID derives a stable id from what makes an item the same item across
// re-runs: authority, sub-section, page and passage heading. Re-running an
// assessment therefore updates an item in place rather than duplicating it,
// and a reviewer's decision on it survives.
func ItemID(authority, subsection, url, heading string) string {
	h := sha256.Sum256([]byte(authority + "\x00" + subsection + "\x00" + url + "\x00" + heading))
	return hex.EncodeToString(h[:10])
}

// CriterionResult is the tool's view of one criterion.
type CriterionResult struct {
	ID     string  `json:"id"`
	Status Status  `json:"suggested_status"`
	Score  float64 `json:"score"`
}

// Suggestion is the tool's assessment of one sub-section of one authority.
type Suggestion struct {
	Authority     string            `json:"authority"`
	Subsection    string            `json:"subsection"`
	Score         Score             `json:"suggested_score"`
	Criteria      []CriterionResult `json:"criteria"`
	RubricVersion string            `json:"rubric_version"`
	CrawlID       string            `json:"crawl_id"`
	AssessedAt    time.Time         `json:"assessed_at"`
}

// Decision is the reviewers' word on one sub-section of one authority.
type Decision struct {
	Authority  string `json:"authority"`
	Subsection string `json:"subsection"`
	// FinalScore is empty until a reviewer fixes it.
	FinalScore Score  `json:"final_score,omitempty"`
	Rationale  string `json:"rationale,omitempty"`
	Reviewed   bool   `json:"reviewed"`
	ReviewedBy string `json:"reviewed_by,omitempty"`
	// AdviserJudgement is the SEN adviser's view on a Partial.
	AdviserJudgement string `json:"adviser_judgement,omitempty"`
	AdviserBy        string `json:"adviser_by,omitempty"`
	// NeedsReReview is set when evidence behind a reviewed decision went stale.
	NeedsReReview bool   `json:"needs_rereview,omitempty"`
	ReReviewWhy   string `json:"rereview_why,omitempty"`
	// RubricVersion is the rubric the score was fixed under.
	RubricVersion string `json:"rubric_version,omitempty"`
	// Version increases with every save; a save naming an older version is
	// a conflict.
	Version   int       `json:"version"`
	UpdatedBy string    `json:"updated_by,omitempty"`
	Updated   time.Time `json:"updated"`
}

// Role is what a user may do.
type Role string

// Roles, from least to most privileged (adviser and reviewer are peers:
// only the adviser writes judgements on Partials).
const (
	Viewer   Role = "viewer"
	Reviewer Role = "reviewer"
	Adviser  Role = "adviser"
	Admin    Role = "admin"
)

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case Viewer, Reviewer, Adviser, Admin:
		return r, nil
	}
	return "", fmt.Errorf("%w: role %q must be viewer, reviewer, adviser or admin", ErrInvalid, s)
}

// CanReview reports whether the role may change evidence and scores.
func (r Role) CanReview() bool { return r == Reviewer || r == Adviser || r == Admin }

// User is someone who logs in to the review UI.
type User struct {
	Name         string    `json:"name"`
	Role         Role      `json:"role"`
	PasswordHash []byte    `json:"password_hash"`
	Created      time.Time `json:"created"`
	Disabled     bool      `json:"disabled,omitempty"`
}

// AuditEntry records one change: who, when, what, before and after.
type AuditEntry struct {
	Seq        uint64    `json:"seq"`
	Time       time.Time `json:"time"`
	User       string    `json:"user"`
	Action     string    `json:"action"`
	Authority  string    `json:"authority,omitempty"`
	Subsection string    `json:"subsection,omitempty"`
	Target     string    `json:"target,omitempty"`
	Before     string    `json:"before,omitempty"`
	After      string    `json:"after,omitempty"`
}

// Domain errors. Callers test with errors.Is; the review server maps them to
// HTTP statuses in one place.
var (
	ErrNotFound  = errors.New("not found")
	ErrConflict  = errors.New("conflict")
	ErrInvalid   = errors.New("invalid")
	ErrForbidden = errors.New("forbidden")
)

// ConflictError carries the other side's saved state of a conflicting save.
type ConflictError struct {
	Current Decision
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("conflict: %s changed this at %s (version %d)", e.Current.UpdatedBy, e.Current.Updated.Format(time.RFC3339), e.Current.Version)
}

// Unwrap makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Unwrap() error { return ErrConflict }
