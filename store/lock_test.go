package store

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func openTestDB(t *testing.T) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestAcquireLock_InProcessContention(t *testing.T) {
	db := openTestDB(t)
	release, over, err := db.AcquireLock("bolton", "crawl")
	if err != nil || over != nil {
		t.Fatalf("first AcquireLock = %v, %v; want lock", over, err)
	}
	_, _, err = db.AcquireLock("bolton", "scheduled run")
	var le *LockedError
	if !errors.As(err, &le) || !errors.Is(err, ErrLocked) {
		t.Fatalf("second AcquireLock err = %v, want *LockedError", err)
	}
	if le.Lock.PID != os.Getpid() || le.Lock.Owner != "crawl" {
		t.Errorf("holder = %+v, want this process's crawl", le.Lock)
	}
	// Another authority is independent.
	r2, _, err := db.AcquireLock("bury", "crawl")
	if err != nil {
		t.Fatalf("lock of another authority: %v", err)
	}
	r2()
	if err := release(); err != nil {
		t.Fatal(err)
	}
	if err := release(); err != nil {
		t.Fatalf("second release: %v", err)
	}
	r3, _, err := db.AcquireLock("bolton", "crawl")
	if err != nil {
		t.Fatalf("AcquireLock after release: %v", err)
	}
	r3()
}

// TestAcquireLock_NeverOverlaps runs many goroutines that each take the
// lock, note they are inside, and leave: at most one may be inside at once.
func TestAcquireLock_NeverOverlaps(t *testing.T) {
	db := openTestDB(t)
	var inside, maxInside, got int32
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				release, _, err := db.AcquireLock("bolton", "test")
				if err != nil {
					if !errors.Is(err, ErrLocked) {
						t.Error(err)
					}
					continue
				}
				atomic.AddInt32(&got, 1)
				n := atomic.AddInt32(&inside, 1)
				for {
					m := atomic.LoadInt32(&maxInside)
					if n <= m || atomic.CompareAndSwapInt32(&maxInside, m, n) {
						break
					}
				}
				time.Sleep(100 * time.Microsecond)
				atomic.AddInt32(&inside, -1)
				release()
			}
		}()
	}
	wg.Wait()
	if maxInside != 1 || got == 0 {
		t.Errorf("max holders at once = %d (acquired %d times), want 1", maxInside, got)
	}
}

func TestAcquireLock_TakesOverStaleLock(t *testing.T) {
	db := openTestDB(t)
	dead := Lock{Authority: "bolton", PID: 999999, Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Owner: "crawl", Instance: "deadbeef"}
	if err := db.bolt.Update(func(tx *bolt.Tx) error { return putJSON(tx.Bucket(bLocks), "bolton", dead) }); err != nil {
		t.Fatal(err)
	}
	locks, err := db.Locks()
	if err != nil || len(locks) != 1 || !locks[0].Stale {
		t.Fatalf("Locks() = %+v, %v; want one stale lock", locks, err)
	}
	release, over, err := db.AcquireLock("bolton", "crawl")
	if err != nil {
		t.Fatalf("AcquireLock over a dead process's lock: %v", err)
	}
	if over == nil || over.PID != 999999 {
		t.Errorf("takenOver = %+v, want the dead lock", over)
	}
	locks, _ = db.Locks()
	if len(locks) != 1 || locks[0].Stale || locks[0].PID != os.Getpid() {
		t.Errorf("after take-over Locks() = %+v, want ours", locks)
	}
	release()
	locks, _ = db.Locks()
	if len(locks) != 0 {
		t.Errorf("after release Locks() = %+v, want none", locks)
	}
}

// TestOpen_SecondProcessGetsErrInUse starts a child process that holds the
// store open, then checks that opening it here fails with ErrInUse naming
// the child's PID, and that the store opens again once the child is gone.
func TestOpen_SecondProcessGetsErrInUse(t *testing.T) {
	if path := os.Getenv("LOCALOFFER_TEST_HOLD_STORE"); path != "" {
		db, err := Open(path)
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		release, _, err := db.AcquireLock("bolton", "child")
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		_ = release
		fmt.Println("holding")
		time.Sleep(30 * time.Second)
		os.Exit(0)
	}
	path := filepath.Join(t.TempDir(), "shared.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestOpen_SecondProcessGetsErrInUse$")
	cmd.Env = append(os.Environ(), "LOCALOFFER_TEST_HOLD_STORE="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	buf := make([]byte, 64)
	n, _ := out.Read(buf)
	if !strings.Contains(string(buf[:n]), "holding") {
		t.Fatalf("child said %q, want holding", buf[:n])
	}
	_, err = OpenWith(path, Options{Timeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrInUse) {
		t.Fatalf("Open while another process holds it: err = %v, want ErrInUse", err)
	}
	if want := fmt.Sprint(cmd.Process.Pid); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name the holder's PID %s", err, want)
	}
	// The child dies holding its crawl lock; the next process takes it over.
	cmd.Process.Kill()
	cmd.Wait()
	db, err := Open(path)
	if err != nil {
		t.Fatalf("Open after the holder died: %v", err)
	}
	defer db.Close()
	release, over, err := db.AcquireLock("bolton", "crawl")
	if err != nil {
		t.Fatalf("AcquireLock after the holder died: %v", err)
	}
	defer release()
	if over == nil || over.PID != cmd.Process.Pid {
		t.Errorf("takenOver = %+v, want the dead child's lock (pid %d)", over, cmd.Process.Pid)
	}
}
