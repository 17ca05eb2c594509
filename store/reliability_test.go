package store

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/localoffer/localoffer/evidence"
	bolt "go.etcd.io/bbolt"
)

// The tests in this file start this test binary again as a helper process
// (a second user of the store, a process that gets killed, a process whose
// disk fills up). The helper is chosen by an environment variable and runs
// before the test framework starts.
const (
	helperEnv     = "LOCALOFFER_STORE_HELPER"
	helperPathEnv = "LOCALOFFER_STORE_PATH"
	helperArgEnv  = "LOCALOFFER_STORE_ARG"
)

func init() {
	if h := os.Getenv(helperEnv); h != "" {
		os.Exit(runHelper(h, os.Getenv(helperPathEnv), os.Getenv(helperArgEnv)))
	}
}

// helper starts this binary as the named helper on the store at path.
func helper(t *testing.T, name, path, arg string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+name, helperPathEnv+"="+path, helperArgEnv+"="+arg)
	cmd.Stderr = os.Stderr
	return cmd
}

func runHelper(name, path, arg string) int {
	switch name {
	case "hold":
		// Open the store, say so, and keep it open until stdin closes.
		db, err := Open(path)
		if err != nil {
			fmt.Println("error", err)
			return 1
		}
		fmt.Println("ready")
		io.Copy(io.Discard, os.Stdin)
		db.Close()
		return 0
	case "saves":
		// Save decisions as fast as possible and acknowledge each one only
		// after SaveDecision returned, as the review server answers a
		// reviewer only after the commit. The parent kills this process.
		db, err := Open(path)
		if err != nil {
			fmt.Println("error", err)
			return 1
		}
		w := os.Stdout
		for i := 0; ; i++ {
			la, sub := fmt.Sprintf("la-%d", i%3), fmt.Sprintf("sub-%d", i%7)
			d, err := db.SaveDecision("reviewer", la, sub, -1, "set score", func(d *evidence.Decision) error {
				d.FinalScore = evidence.Partial
				d.Rationale = fmt.Sprintf("save %d %s", i, strings.Repeat("x", i%500))
				return nil
			})
			if err != nil {
				fmt.Fprintln(w, "error", err)
				return 1
			}
			fmt.Fprintf(w, "ack %s %s %d\n", la, sub, d.Version)
		}
	case "diskfull":
		return diskFullHelper(path, arg)
	}
	fmt.Println("unknown helper", name)
	return 2
}

// diskFullHelper limits the size of files this process may write to the
// store's current size plus a margin (RLIMIT_FSIZE: writes past it fail
// with EFBIG, as they fail with ENOSPC on a full disk), then saves until a
// save fails, and reports what it saw.
func diskFullHelper(path, oldBackup string) int {
	db, err := Open(path)
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	fi, err := os.Stat(path)
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	lim := uint64(fi.Size()) + 256<<10
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: lim, Max: lim}); err != nil {
		fmt.Println("error setrlimit", err)
		return 1
	}
	var failed error
	for i := 0; i < 100000; i++ {
		la, sub := "la-full", fmt.Sprintf("sub-%d", i)
		d, err := db.SaveDecision("reviewer", la, sub, 0, "set score", func(d *evidence.Decision) error {
			d.FinalScore = evidence.Yes
			d.Rationale = strings.Repeat(fmt.Sprintf("rationale %d ", i), 200)
			return nil
		})
		if err != nil {
			failed = err
			break
		}
		fmt.Printf("ack %s %s %d\n", la, sub, d.Version)
	}
	if failed == nil {
		fmt.Println("error the store never filled up")
		return 1
	}
	fmt.Printf("saveerr %s\n", strings.ReplaceAll(failed.Error(), "\n", " "))
	// Reading still works after the failed commit.
	ds, err := db.Decisions("la-full")
	if err != nil {
		fmt.Println("error read after full:", err)
		return 1
	}
	fmt.Printf("readable %d\n", len(ds))
	// A backup onto a full disk fails and leaves the earlier backup alone.
	// RLIMIT_FSIZE limits each file, not the disk, so tighten it to what
	// is left on a disk that just refused a commit.
	tight := uint64(8 << 10)
	syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: tight, Max: tight})
	if _, err := db.BackupFile(oldBackup); err != nil {
		fmt.Printf("backuperr %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
	} else {
		fmt.Println("backupok")
	}
	if err := db.Close(); err != nil {
		fmt.Println("closeerr", err)
	}
	return 0
}

// ack is one acknowledged save.
type ack struct {
	la, sub string
	version int
}

func parseAck(line string) (ack, bool) {
	f := strings.Fields(line)
	if len(f) != 4 || f[0] != "ack" {
		return ack{}, false
	}
	v, err := strconv.Atoi(f[3])
	if err != nil {
		return ack{}, false
	}
	return ack{f[1], f[2], v}, true
}

func mustCheck(t *testing.T, db *DB) *CheckReport {
	t.Helper()
	rep, err := db.Check(CheckOptions{})
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if !rep.OK() {
		t.Fatalf("Check found problems: %q", rep.Problems)
	}
	return rep
}

// TestSecondProcessGetsInUse has a helper process hold the store open;
// opening it here, read-write or read-only, must fail promptly with a clear
// "in use by process PID" error rather than hang.
func TestSecondProcessGetsInUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	cmd := helper(t, "hold", path, "")
	stdin, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); cmd.Wait() }()
	line, _ := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		t.Fatalf("helper said %q", line)
	}
	for _, ro := range []bool{false, true} {
		start := time.Now()
		db, err := OpenWith(path, Options{ReadOnly: ro, Timeout: 300 * time.Millisecond})
		took := time.Since(start)
		if err == nil {
			db.Close()
			t.Fatalf("read-only=%v: second open succeeded while another process holds the store", ro)
		}
		if !errors.Is(err, ErrInUse) {
			t.Fatalf("read-only=%v: err = %v, want ErrInUse", ro, err)
		}
		want := fmt.Sprintf("in use by process %d", cmd.Process.Pid)
		if !strings.Contains(err.Error(), want) {
			t.Errorf("read-only=%v: err = %q, want it to contain %q", ro, err, want)
		}
		if took > 3*time.Second {
			t.Errorf("read-only=%v: took %v to give up, want about the 300ms timeout", ro, took)
		}
	}
	// Once the holder exits, the store opens.
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
	db, err := Open(path)
	if err != nil {
		t.Fatalf("open after the holder exited: %v", err)
	}
	db.Close()
}

// TestKillDuringSaves kills a process in the middle of a burst of decision
// saves, several times, and checks that every save it had acknowledged is
// in the store, that each decision and its audit entry committed together,
// and that the store verifies.
func TestKillDuringSaves(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	acked := map[[2]string]int{}
	for round, after := range []int{50, 400, 1500} {
		cmd := helper(t, "saves", path, "")
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		n := 0
		killed := false
		for sc.Scan() {
			a, ok := parseAck(sc.Text())
			if !ok {
				t.Fatalf("round %d: helper said %q", round, sc.Text())
			}
			k := [2]string{a.la, a.sub}
			if a.version <= acked[k] {
				t.Fatalf("round %d: %v acknowledged version %d after %d", round, k, a.version, acked[k])
			}
			acked[k] = a.version
			n++
			if n == after && !killed {
				cmd.Process.Kill()
				killed = true
			}
		}
		err := cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: helper ended with %v, want killed", round, err)
		}

		db, err := Open(path)
		if err != nil {
			t.Fatalf("round %d: open after kill: %v", round, err)
		}
		rep := mustCheck(t, db)
		sumVersions := 0
		for i := 0; i < 3; i++ {
			ds, err := db.Decisions(fmt.Sprintf("la-%d", i))
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range ds {
				sumVersions += d.Version
			}
		}
		for k, v := range acked {
			d, err := db.Decision(k[0], k[1])
			if err != nil {
				t.Fatal(err)
			}
			if d.Version < v {
				t.Errorf("round %d: %v is at version %d, but version %d had been acknowledged", round, k, d.Version, v)
			}
			if d.FinalScore != evidence.Partial || !strings.HasPrefix(d.Rationale, "save ") {
				t.Errorf("round %d: %v decoded as %+v", round, k, d)
			}
		}
		if rep.AuditEntries != sumVersions {
			t.Errorf("round %d: %d audit entries for %d saves: a decision and its audit entry did not commit together", round, rep.AuditEntries, sumVersions)
		}
		db.Close()
	}
}

// TestDiskFullWhileSaving fills the store's file-size budget in a helper
// process: the save that does not fit fails with an error that says so,
// the store stays readable and consistent, every save acknowledged before
// is kept, a backup onto the full disk fails without touching the earlier
// backup, and once there is room again saving works.
func TestDiskFullWhileSaving(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	oldBackup := filepath.Join(dir, "old-backup.db")
	os.WriteFile(oldBackup, []byte("earlier backup"), 0o600)

	cmd := helper(t, "diskfull", path, oldBackup)
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("helper: %v\n%s", err, out.String())
	}
	var acks []ack
	var saveErr, backupErr string
	for _, line := range strings.Split(out.String(), "\n") {
		if a, ok := parseAck(line); ok {
			acks = append(acks, a)
			continue
		}
		switch f, rest, _ := strings.Cut(line, " "); f {
		case "saveerr":
			saveErr = rest
		case "backuperr":
			backupErr = rest
		case "error", "backupok", "closeerr":
			t.Errorf("helper: %s", line)
		}
	}
	if len(acks) == 0 || saveErr == "" {
		t.Fatalf("helper never filled the store: %d saves, error %q", len(acks), saveErr)
	}
	t.Logf("%d saves fitted; the next failed with: %s", len(acks), saveErr)
	if !IsStorageFull(errors.New(saveErr)) {
		t.Errorf("save error %q is not recognised as a full disk", saveErr)
	}
	if !strings.Contains(out.String(), fmt.Sprintf("readable %d", len(acks))) {
		t.Errorf("store was not readable with all %d saves after the failure:\n%s", len(acks), lastLines(out.String(), 5))
	}
	if backupErr == "" {
		t.Errorf("backup onto a full disk did not fail")
	}
	if b, _ := os.ReadFile(oldBackup); string(b) != "earlier backup" {
		t.Errorf("failed backup replaced the earlier one")
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".old-backup.db.tmp*")); len(m) > 0 {
		t.Errorf("failed backup left %v behind", m)
	}

	db, err = Open(path)
	if err != nil {
		t.Fatalf("open after disk full: %v", err)
	}
	defer db.Close()
	mustCheck(t, db)
	for _, a := range acks {
		d, err := db.Decision(a.la, a.sub)
		if err != nil || d.Version != a.version || d.FinalScore != evidence.Yes {
			t.Fatalf("acknowledged save %v lost: %+v, %v", a, d, err)
		}
	}
	if _, err := db.SaveDecision("reviewer", "la-full", "after", 0, "set score", func(d *evidence.Decision) error {
		d.FinalScore = evidence.No
		return nil
	}); err != nil {
		t.Fatalf("save once there is room again: %v", err)
	}
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

// TestReadOnlyStoreRefusesWrites opens the store read-only (as backup and
// check do, and as a store on a read-only mount must be) and tries every
// kind of write: each fails with an error naming the cause, and nothing
// changes. Permission bits do not stop root, so the test uses the
// read-only open rather than chmod.
func TestReadOnlyStoreRefusesWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	seed(t, db)
	db.Close()
	before, _ := os.ReadFile(path)

	ro, err := OpenWith(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	writes := map[string]func() error{
		"decision": func() error {
			_, err := ro.SaveDecision("r", "la", "sub", -1, "set score", func(d *evidence.Decision) error { return nil })
			return err
		},
		"snapshot": func() error {
			return ro.PutSnapshot(&Snapshot{CrawlID: "000000000001", Authority: "la", URL: "http://x/new", Status: 200}, []byte("new"))
		},
		"crawl": func() error { return ro.CreateCrawl(&Crawl{Authority: "la"}) },
		"audit": func() error { return ro.Audit(evidence.AuditEntry{User: "r", Action: "login"}) },
		"assessment": func() error {
			_, err := ro.SaveAssessment("la", nil, nil, "")
			return err
		},
	}
	for name, w := range writes {
		err := w()
		if !errors.Is(err, bolt.ErrDatabaseReadOnly) || !strings.Contains(err.Error(), "read-only") {
			t.Errorf("%s on a read-only store: err = %v, want a read-only error", name, err)
		}
	}
	if rep, err := ro.Check(CheckOptions{}); err != nil || !rep.OK() {
		t.Errorf("check of read-only store: %v %v", err, rep)
	}
	ro.Close()
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Errorf("the store file changed while open read-only")
	}
}

// seed fills a store with one crawl, two snapshots sharing a body, an item,
// a decision and the audit entry that came with it.
func seed(t *testing.T, db *DB) {
	t.Helper()
	c := &Crawl{Authority: "la"}
	if err := db.CreateCrawl(c); err != nil {
		t.Fatal(err)
	}
	body := []byte("<html><body><h1>SEND Local Offer</h1></body></html>")
	s1 := &Snapshot{CrawlID: c.ID, Authority: "la", URL: "http://la.test/", Status: 200, Kind: "html"}
	s2 := &Snapshot{CrawlID: c.ID, Authority: "la", URL: "http://la.test/index.html", Status: 200, Kind: "html"}
	if err := db.PutSnapshots([]Capture{{s1, body}, {s2, body}}); err != nil {
		t.Fatal(err)
	}
	it := evidence.Item{ID: "item1", Authority: "la", Subsection: "general.accessibility", URL: s1.URL, SnapshotID: s1.ID, SHA256: s1.SHA256, Origin: evidence.Suggested, Status: evidence.Proposed}
	if _, err := db.SaveAssessment("la", []evidence.Suggestion{{Authority: "la", Subsection: "general.accessibility", Score: evidence.Partial}}, []evidence.Item{it}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SaveDecision("rev", "la", "general.accessibility", 0, "set score", func(d *evidence.Decision) error {
		d.FinalScore = evidence.Yes
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestCheckFindsDamage damages a healthy store in one way per case, by
// writing to its buckets directly, and expects Check to name the damage.
func TestCheckFindsDamage(t *testing.T) {
	firstKey := func(b *bolt.Bucket) []byte {
		k, _ := b.Cursor().First()
		return append([]byte(nil), k...)
	}
	cases := []struct {
		name   string
		damage func(tx *bolt.Tx) error
		want   string
		// openErr, when set, is what a read-only open may fail with
		// instead of Check reporting the damage.
		openErr string
	}{
		{"healthy", func(tx *bolt.Tx) error { return nil }, "", ""},
		{"body missing", func(tx *bolt.Tx) error {
			b := tx.Bucket(bBlobs)
			return b.Delete(firstKey(b))
		}, "is missing", ""},
		{"body altered", func(tx *bolt.Tx) error {
			b := tx.Bucket(bBlobs)
			return b.Put(firstKey(b), compress([]byte("something else")))
		}, "whose SHA-256 is", ""},
		{"body not gzip", func(tx *bolt.Tx) error {
			b := tx.Bucket(bBlobs)
			return b.Put(firstKey(b), []byte("plain"))
		}, "cannot be read", ""},
		{"snapshot gone", func(tx *bolt.Tx) error {
			b := tx.Bucket(bSnapshots)
			return b.Delete(firstKey(b))
		}, "does not exist", ""},
		{"snapshot garbage", func(tx *bolt.Tx) error {
			b := tx.Bucket(bSnapshots)
			return b.Put(firstKey(b), []byte("{not json"))
		}, "does not decode", ""},
		{"item points nowhere", func(tx *bolt.Tx) error {
			b := tx.Bucket(bItems).Bucket([]byte("la"))
			return putJSON(b, "item2", evidence.Item{ID: "item2", SnapshotID: "000000000009-000000000009"})
		}, "snapshot 000000000009-000000000009 does not exist", ""},
		{"crawl record gone", func(tx *bolt.Tx) error {
			b := tx.Bucket(bCrawls)
			return b.Delete(firstKey(b))
		}, "which does not exist", ""},
		{"schema from the future", func(tx *bolt.Tx) error {
			return tx.Bucket(bMeta).Put(keySchema, []byte("99"))
		}, "newer than this build", "newer localoffer"},
		{"schema missing", func(tx *bolt.Tx) error {
			return tx.Bucket(bMeta).Delete(keySchema)
		}, "schema version is missing", "unreadable schema version"},
		{"decision garbage", func(tx *bolt.Tx) error {
			return tx.Bucket(bDecisions).Bucket([]byte("la")).Put([]byte("general.accessibility"), []byte("\x00"))
		}, "decision la/general.accessibility does not decode", ""},
		{"decision misfiled", func(tx *bolt.Tx) error {
			return putJSON(tx.Bucket(bDecisions).Bucket([]byte("la")), "schools.admission", evidence.Decision{Authority: "la", Subsection: "general.accessibility", Version: 1})
		}, "records la/general.accessibility", ""},
		{"audit out of order", func(tx *bolt.Tx) error {
			return putJSON(tx.Bucket(bAudit), seqKey(500), evidence.AuditEntry{Seq: 3})
		}, "records sequence 3", ""},
		{"bucket missing", func(tx *bolt.Tx) error { return tx.DeleteBucket(bUsers) }, "bucket users is missing", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.db")
			db, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			seed(t, db)
			if err := db.bolt.Update(tc.damage); err != nil {
				t.Fatal(err)
			}
			db.Close()
			ro, err := OpenWith(path, Options{ReadOnly: true})
			if err != nil {
				// Refusing at open is just as clear, if it names the cause.
				if tc.openErr == "" || !strings.Contains(err.Error(), tc.openErr) {
					t.Fatalf("open: %v", err)
				}
				return
			}
			defer ro.Close()
			rep, err := ro.Check(CheckOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == "" {
				if !rep.OK() {
					t.Fatalf("healthy store: problems %q", rep.Problems)
				}
				if rep.Snapshots != 2 || rep.Blobs != 1 || rep.Items != 1 || rep.Decisions != 1 || rep.AuditEntries != 1 || rep.Crawls != 1 {
					t.Fatalf("counts = %+v", rep)
				}
				return
			}
			joined := strings.Join(rep.Problems, "\n")
			if !strings.Contains(joined, tc.want) {
				t.Fatalf("problems %q, want one containing %q", rep.Problems, tc.want)
			}
		})
	}
}

// TestCheckCorruptPages overwrites part of the file's data pages with
// garbage: opening or checking must report damage, not crash or hang.
func TestCheckCorruptPages(t *testing.T) {
	for _, fill := range []byte{0x00, 0xff, 0x5a} {
		t.Run(fmt.Sprintf("fill %#x", fill), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.db")
			db, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			seed(t, db)
			db.Close()
			data, _ := os.ReadFile(path)
			// Pages 0 and 1 are the meta pages; damage what follows.
			for i := 2 * 4096; i < len(data) && i < 6*4096; i++ {
				data[i] = fill
			}
			os.WriteFile(path, data, 0o600)
			ro, err := OpenWith(path, Options{ReadOnly: true})
			if err != nil {
				return // refused at open with an error: fine
			}
			defer ro.Close()
			rep, err := ro.Check(CheckOptions{})
			if err == nil && rep.OK() {
				t.Fatalf("corrupt store checked OK: %+v", rep)
			}
		})
	}
}

// TestBackupWhileWriting takes backups while writers keep saving: each copy
// opens, verifies, and holds a state that was committed at one moment (every
// decision's audit entries are there, no more and no fewer).
func TestBackupWhileWriting(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(filepath.Join(dir, "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	seed(t, db)
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				if _, err := db.SaveDecision("r", fmt.Sprintf("la-%d", w), fmt.Sprintf("s-%d", i%13), -1, "set score", func(d *evidence.Decision) error {
					d.Rationale = strings.Repeat("r", i%2000)
					return nil
				}); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	for i := 0; i < 5; i++ {
		time.Sleep(20 * time.Millisecond)
		out := filepath.Join(dir, fmt.Sprintf("b%d.db", i))
		n, err := db.BackupFile(out)
		if err != nil {
			t.Fatalf("backup %d: %v", i, err)
		}
		fi, _ := os.Stat(out)
		if fi.Size() != n {
			t.Errorf("backup %d: file is %d bytes, BackupFile said %d", i, fi.Size(), n)
		}
		b, err := OpenWith(out, Options{ReadOnly: true})
		if err != nil {
			t.Fatalf("open backup %d: %v", i, err)
		}
		rep := mustCheck(t, b)
		sum := 0
		for _, la := range []string{"la", "la-0", "la-1", "la-2", "la-3"} {
			ds, _ := b.Decisions(la)
			for _, d := range ds {
				sum += d.Version
			}
		}
		if rep.AuditEntries != sum {
			t.Errorf("backup %d: %d audit entries for %d saves: not one moment's state", i, rep.AuditEntries, sum)
		}
		b.Close()
	}
	stop.Store(true)
	wg.Wait()

	if _, err := db.BackupFile(db.Path()); err == nil {
		t.Errorf("backup onto the store itself was allowed")
	}
	if _, err := db.BackupFile(filepath.Join(dir, "no-such-dir", "b.db")); err == nil {
		t.Errorf("backup into a missing directory reported success")
	}
	var buf bytes.Buffer
	if err := db.Backup(&buf); err != nil {
		t.Fatal(err)
	}
	if int64(buf.Len()) != db.BackupSize() {
		t.Errorf("Backup wrote %d bytes, BackupSize says %d", buf.Len(), db.BackupSize())
	}
}

// orderWriter records whether a size was announced before the first write.
type orderWriter struct {
	announced bool
	early     bool
	n         int64
}

func (w *orderWriter) Write(p []byte) (int, error) {
	if !w.announced {
		w.early = true
	}
	w.n += int64(len(p))
	return len(p), nil
}

// TestBackupWithSizeAnnouncesFirst checks the contract a download handler
// relies on for its Content-Length: the size comes before the first byte
// and is exactly what is written.
func TestBackupWithSizeAnnouncesFirst(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	seed(t, db)
	w := &orderWriter{}
	var size int64
	if err := db.BackupWithSize(w, func(n int64) { size, w.announced = n, true }); err != nil {
		t.Fatal(err)
	}
	if w.early || !w.announced {
		t.Errorf("bytes written before the size was announced")
	}
	if size != w.n || size == 0 {
		t.Errorf("announced %d bytes, wrote %d", size, w.n)
	}
}

// TestHotBackupFromAnotherProcess takes backups of a store that another
// process holds open and keeps writing to, through the holder's backup
// socket: each copy verifies and holds one moment's state. After the holder
// is killed, its stale socket answers nothing and the next process to open
// the store offers backups again.
func TestHotBackupFromAnotherProcess(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.db")
	cmd := helper(t, "saves", path, "")
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	sc := bufio.NewScanner(out)
	acks := 0
	next := 100
	for i := 0; sc.Scan() && i < 3; {
		if _, ok := parseAck(sc.Text()); !ok {
			t.Fatalf("helper said %q", sc.Text())
		}
		acks++
		if acks < next {
			continue
		}
		next += 300
		bak := filepath.Join(dir, fmt.Sprintf("hot%d.db", i))
		n, err := FetchBackup(path, bak)
		if err != nil {
			t.Fatalf("hot backup %d while the holder writes: %v", i, err)
		}
		b, err := OpenWith(bak, Options{ReadOnly: true})
		if err != nil {
			t.Fatalf("open hot backup %d: %v", i, err)
		}
		rep := mustCheck(t, b)
		sum := 0
		for l := 0; l < 3; l++ {
			ds, _ := b.Decisions(fmt.Sprintf("la-%d", l))
			for _, d := range ds {
				sum += d.Version
			}
		}
		if rep.AuditEntries != sum || sum == 0 {
			t.Errorf("hot backup %d (%d bytes): %d audit entries for %d saves", i, n, rep.AuditEntries, sum)
		}
		b.Close()
		i++
	}
	cmd.Process.Kill()
	cmd.Wait()
	if _, err := os.Stat(BackupSocket(path)); err != nil {
		t.Fatalf("the killed holder left no socket behind, so this test proves nothing about stale sockets: %v", err)
	}
	start := time.Now()
	if _, err := FetchBackupTo(path, io.Discard); !errors.Is(err, ErrNoHotBackup) {
		t.Errorf("backup from a dead holder's socket: %v, want ErrNoHotBackup", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("a dead holder's socket took %v to refuse", took)
	}
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var buf bytes.Buffer
	if _, err := FetchBackupTo(path, &buf); err != nil {
		t.Fatalf("backup from the new holder: %v", err)
	}
	if int64(buf.Len()) != db.BackupSize() {
		t.Errorf("hot backup is %d bytes, the store %d", buf.Len(), db.BackupSize())
	}
}

func TestIsStorageFull(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{syscall.ENOSPC, true},
		{fmt.Errorf("save decision: write s.db: %w", syscall.EFBIG), true},
		{syscall.EDQUOT, true},
		{errors.New("file resize error: truncate s.db: file too large"), true},
		{errors.New("write s.db: no space left on device"), true},
		{syscall.EACCES, false},
		{evidence.ErrConflict, false},
	} {
		if got := IsStorageFull(tc.err); got != tc.want {
			t.Errorf("IsStorageFull(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
