package store

import (
	"path/filepath"
	"testing"
)

func TestNotes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Note(NoteFutureWork); !IsNotFound(err) {
		t.Fatalf("Note on an empty store: %v, want not found", err)
	}
	if _, err := db.SetNote("ana", "", "x"); err == nil {
		t.Error("SetNote with an empty key succeeded")
	}
	if _, err := db.SetNote("ana", NoteFutureWork, "first"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetNote("sam", NoteFutureWork, "- Re-assess in spring"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// The note survives a reopen, and both edits are in the audit log.
	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n, err := db.Note(NoteFutureWork)
	if err != nil {
		t.Fatal(err)
	}
	if n.Text != "- Re-assess in spring" || n.UpdatedBy != "sam" || n.Updated.IsZero() {
		t.Errorf("note = %+v", n)
	}
	log, err := db.AuditLog("", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 || log[0].User != "sam" || log[0].Before != "first" || log[0].Target != NoteFutureWork {
		t.Errorf("audit log = %+v", log)
	}
}
