package main

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/localoffer/localoffer/evidence"
	"github.com/localoffer/localoffer/store"
	"golang.org/x/crypto/bcrypt"
)

// runWithStdin runs localoffer in a child process with stdin as input.
func runWithStdin(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := cli(args...)
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	code := 0
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

func TestUserCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "u.db")
	tests := []struct {
		name     string
		stdin    string
		args     []string
		wantCode int
		wantOut  string
	}{
		{"add", "a long enough password\n", []string{"user", "add", "analyst1", "--role", "reviewer", "--password-stdin"}, 0, "Added analyst1 (reviewer)"},
		{"add adviser", "another long password\n", []string{"user", "add", "sen.adviser", "--role", "adviser", "--password-stdin"}, 0, "Added sen.adviser (adviser)"},
		{"duplicate", "a long enough password\n", []string{"user", "add", "analyst1", "--password-stdin"}, 2, "exists"},
		{"short password", "short\n", []string{"user", "add", "analyst2", "--password-stdin"}, 2, "at least 10 characters"},
		{"bad role", "a long enough password\n", []string{"user", "add", "analyst3", "--role", "boss", "--password-stdin"}, 2, "must be viewer, reviewer, adviser or admin"},
		{"bad name", "a long enough password\n", []string{"user", "add", "two words", "--password-stdin"}, 2, "may only hold"},
		{"no terminal", "", []string{"user", "add", "analyst4"}, 2, "--password-stdin"},
		{"passwd", "a brand new password\n", []string{"user", "passwd", "analyst1", "--password-stdin"}, 0, "Changed the password of analyst1"},
		{"passwd unknown", "a brand new password\n", []string{"user", "passwd", "ghost", "--password-stdin"}, 2, "no user ghost"},
		{"role", "", []string{"user", "role", "analyst1", "admin"}, 0, "analyst1 is now admin"},
		{"disable", "", []string{"user", "disable", "sen.adviser"}, 0, "sen.adviser is disabled"},
		{"list", "", []string{"user", "list"}, 0, "analyst1     admin"},
	}
	for _, tt := range tests {
		out, errOut, code := runWithStdin(t, tt.stdin, append([]string{"--db", db}, tt.args...)...)
		if code != tt.wantCode || !strings.Contains(out+errOut, tt.wantOut) {
			t.Errorf("%s: exit %d, output %q %q; want exit %d and %q", tt.name, code, out, errOut, tt.wantCode, tt.wantOut)
		}
	}
	s, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, err := s.User("analyst1")
	if err != nil {
		t.Fatal(err)
	}
	if u.Role != evidence.Admin || bcrypt.CompareHashAndPassword(u.PasswordHash, []byte("a brand new password")) != nil {
		t.Errorf("analyst1 = role %s, password not the new one", u.Role)
	}
	if a, _ := s.User("sen.adviser"); !a.Disabled {
		t.Errorf("sen.adviser is not disabled")
	}
	if _, err := s.User("analyst2"); !store.IsNotFound(err) {
		t.Errorf("a rejected add left a user: %v", err)
	}
}
