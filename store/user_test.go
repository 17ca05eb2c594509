package store

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/localoffer/localoffer/evidence"
)

func TestUsers(t *testing.T) {
	db := openTestDB(t)
	u := evidence.User{Name: "analyst1", Role: evidence.Reviewer, PasswordHash: []byte("$2a$hash")}
	if err := db.CreateUser("admin", u); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateUser("admin", u); !errors.Is(err, evidence.ErrConflict) {
		t.Errorf("second CreateUser = %v, want conflict", err)
	}
	bad := []evidence.User{
		{Name: "", Role: evidence.Viewer, PasswordHash: []byte("h")},
		{Name: "has space", Role: evidence.Viewer, PasswordHash: []byte("h")},
		{Name: "x", Role: "boss", PasswordHash: []byte("h")},
		{Name: "y", Role: evidence.Viewer},
	}
	for _, b := range bad {
		if err := db.CreateUser("admin", b); !errors.Is(err, evidence.ErrInvalid) {
			t.Errorf("CreateUser(%+v) = %v, want invalid", b, err)
		}
	}
	got, err := db.User("analyst1")
	if err != nil || got.Role != evidence.Reviewer || got.Created.IsZero() {
		t.Fatalf("User = %+v, %v", got, err)
	}
	if _, err := db.User("nobody"); !IsNotFound(err) {
		t.Errorf("User(nobody) = %v, want not found", err)
	}
	// A new password ends the user's sessions, not others'.
	now := time.Now()
	for _, s := range []Session{{ID: "a", User: "analyst1", Expires: now.Add(time.Hour)}, {ID: "b", User: "other", Expires: now.Add(time.Hour)}} {
		if err := db.CreateSession(s); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.UpdateUser("admin", "analyst1", "change password", func(u *evidence.User) error {
		u.PasswordHash = []byte("$2a$new")
		u.Name = "renamed" // ignored: names are keys
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Session("a", now); !IsNotFound(err) {
		t.Errorf("session of the user survived a password change: %v", err)
	}
	if _, err := db.Session("b", now); err != nil {
		t.Errorf("another user's session ended: %v", err)
	}
	if _, err := db.UpdateUser("admin", "analyst1", "change role", func(u *evidence.User) error { u.Role = "boss"; return nil }); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("UpdateUser to a bad role = %v", err)
	}
	users, _ := db.Users()
	if len(users) != 1 || users[0].Name != "analyst1" || string(users[0].PasswordHash) != "$2a$new" {
		t.Errorf("Users = %+v", users)
	}
	log, _ := db.AuditLog("", "", 0)
	if len(log) != 2 || log[0].Action != "change password" || log[1].Action != "add user" {
		t.Fatalf("audit = %+v", log)
	}
	for _, e := range log {
		if strings.Contains(e.Before+e.After, "$2a$") {
			t.Errorf("audit entry %q holds a password hash", e.Action)
		}
	}
}

func TestSessions(t *testing.T) {
	db := openTestDB(t)
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	if err := db.CreateSession(Session{ID: "", User: "x"}); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("session without id = %v", err)
	}
	for _, s := range []Session{
		{ID: "live", User: "u", CSRF: "c", Expires: now.Add(time.Minute)},
		{ID: "old", User: "u", Expires: now.Add(-time.Minute)},
		{ID: "older", User: "u", Expires: now.Add(-time.Hour)},
	} {
		if err := db.CreateSession(s); err != nil {
			t.Fatal(err)
		}
	}
	if s, err := db.Session("live", now); err != nil || s.CSRF != "c" {
		t.Errorf("Session(live) = %+v, %v", s, err)
	}
	if _, err := db.Session("old", now); !IsNotFound(err) {
		t.Errorf("expired session = %v, want not found", err)
	}
	if n, err := db.PruneSessions(now); err != nil || n != 1 {
		t.Errorf("PruneSessions = %d, %v; want 1 (old was dropped on read)", n, err)
	}
	if err := db.DeleteSession("live"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Session("live", now); !IsNotFound(err) {
		t.Errorf("deleted session = %v", err)
	}
}

func TestDoubleReviewLifecycle(t *testing.T) {
	db := openTestDB(t)
	base := DoubleReview{Authority: "bolton", Subsection: "schools.future", FirstReviewer: "ann", FirstScore: evidence.Yes, SuggestedScore: evidence.Yes}
	if _, err := db.AssignDoubleReview("admin", DoubleReview{Authority: "bolton", Subsection: "x"}); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("assign without a first score = %v", err)
	}
	bad := base
	bad.SecondReviewer = "ann"
	if _, err := db.AssignDoubleReview("admin", bad); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("assign to the first reviewer = %v", err)
	}
	if _, err := db.AssignDoubleReview("admin", base); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AssignDoubleReview("admin", base); !errors.Is(err, evidence.ErrConflict) {
		t.Errorf("assign twice = %v, want conflict", err)
	}
	d, _ := db.DoubleReviewOf("bolton", "schools.future")
	if !d.BlindFor("bob") || d.BlindFor("ann") {
		t.Errorf("BlindFor: bob %v ann %v; want true, false", d.BlindFor("bob"), d.BlindFor("ann"))
	}
	if _, err := db.SaveBlindScore("ann", "bolton", "schools.future", evidence.No, "x"); !errors.Is(err, evidence.ErrForbidden) {
		t.Errorf("first reviewer scores blind = %v", err)
	}
	if _, err := db.SaveBlindScore("bob", "bolton", "schools.future", "Maybe", "x"); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("bad score = %v", err)
	}
	if _, _, err := db.Adjudicate("cat", "bolton", "schools.future", evidence.No, "x", "1"); !errors.Is(err, evidence.ErrConflict) {
		t.Errorf("adjudicate before a disagreement = %v", err)
	}
	d, err := db.SaveBlindScore("bob", "bolton", "schools.future", evidence.Partial, "only year 11 is covered")
	if err != nil || d.State != DoubleDisagreed || d.SecondBy != "bob" {
		t.Fatalf("SaveBlindScore = %+v, %v", d, err)
	}
	if _, err := db.SaveBlindScore("dan", "bolton", "schools.future", evidence.Yes, "x"); !errors.Is(err, evidence.ErrConflict) {
		t.Errorf("a third score = %v", err)
	}
	if _, _, err := db.Adjudicate("bob", "bolton", "schools.future", evidence.Partial, "mine", "1"); !errors.Is(err, evidence.ErrForbidden) {
		t.Errorf("a reviewer adjudicates their own disagreement = %v", err)
	}
	d, dec, err := db.Adjudicate("cat", "bolton", "schools.future", evidence.Partial, "year 9 guidance is missing", "1")
	if err != nil || d.State != DoubleAdjudicated || dec.FinalScore != evidence.Partial || dec.ReviewedBy != "cat" || dec.Version != 1 {
		t.Fatalf("Adjudicate = %+v, %+v, %v", d, dec, err)
	}
	if got, _ := db.Decision("bolton", "schools.future"); got.FinalScore != evidence.Partial || !strings.Contains(got.Rationale, "year 9 guidance") {
		t.Errorf("stored decision = %+v", got)
	}
	// A finished review can start a new round.
	if _, err := db.AssignDoubleReview("admin", base); err != nil {
		t.Errorf("new round after adjudication = %v", err)
	}
	log, _ := db.AuditLog("bolton", "schools.future", 0)
	var actions []string
	for _, e := range log {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, ","); got != "assign double review,adjudicated score,adjudicate,blind score,assign double review" {
		t.Errorf("audit actions = %s", got)
	}
	all, _ := db.DoubleReviews()
	if len(all) != 1 || all[0].State != DoublePending {
		t.Errorf("DoubleReviews = %+v", all)
	}
}

func TestUpdateUser_KeepsOneAdmin(t *testing.T) {
	db := openTestDB(t)
	for _, name := range []string{"ann", "bob"} {
		if err := db.CreateUser("setup", evidence.User{Name: name, Role: evidence.Admin, PasswordHash: []byte("x")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.UpdateUser("bob", "ann", "disable user", func(u *evidence.User) error { u.Disabled = true; return nil }); err != nil {
		t.Fatalf("disabling one of two admins: %v", err)
	}
	_, err := db.UpdateUser("bob", "bob", "change role", func(u *evidence.User) error { u.Role = evidence.Reviewer; return nil })
	if !errors.Is(err, evidence.ErrInvalid) {
		t.Fatalf("demoting the last active admin = %v, want ErrInvalid", err)
	}
	if u, _ := db.User("bob"); u.Role != evidence.Admin {
		t.Errorf("bob is %s after a refused demotion, want admin", u.Role)
	}
	if _, err := db.UpdateUser("bob", "bob", "disable user", func(u *evidence.User) error { u.Disabled = true; return nil }); !errors.Is(err, evidence.ErrInvalid) {
		t.Errorf("disabling the last active admin = %v, want ErrInvalid", err)
	}
}
