package pipeline

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/localoffer/localoffer/store"
)

func openDB(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// recorder is a RunnerFunc that records its triggers in the run history.
type recorder struct {
	db       *store.DB
	mu       sync.Mutex
	triggers []string
	block    chan struct{}
}

func (r *recorder) run(ctx context.Context, trigger string) (*store.Run, error) {
	r.mu.Lock()
	r.triggers = append(r.triggers, trigger)
	r.mu.Unlock()
	if r.block != nil {
		<-r.block
	}
	run := &store.Run{Trigger: trigger, Status: store.RunDone}
	return run, r.db.CreateRun(run)
}

func TestScheduler_CatchUp(t *testing.T) {
	monday3am := time.Date(2026, 11, 23, 3, 0, 0, 0, time.Local) // a Monday
	tests := []struct {
		name    string
		state   *store.ScheduleState
		now     time.Time
		wantRun bool
		wantDue time.Time
	}{
		{"first start records a baseline", nil, monday3am.Add(5 * time.Hour), false, monday3am.Add(5 * time.Hour)},
		{"nothing missed", &store.ScheduleState{Spec: "0 3 * * 1", LastDue: monday3am}, monday3am.Add(6 * 24 * time.Hour), false, monday3am},
		{"one run missed while off", &store.ScheduleState{Spec: "0 3 * * 1", LastDue: monday3am}, monday3am.Add(7*24*time.Hour + time.Hour), true, monday3am.AddDate(0, 0, 7)},
		{"three missed make one run", &store.ScheduleState{Spec: "0 3 * * 1", LastDue: monday3am}, monday3am.AddDate(0, 0, 22), true, monday3am.AddDate(0, 0, 21)},
		{"changed schedule starts afresh", &store.ScheduleState{Spec: "0 4 * * *", LastDue: monday3am}, monday3am.AddDate(0, 0, 30), false, monday3am.AddDate(0, 0, 30)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openDB(t)
			if tt.state != nil {
				if err := db.SetScheduleState(*tt.state); err != nil {
					t.Fatal(err)
				}
			}
			rec := &recorder{db: db}
			s, err := NewScheduler("0 3 * * 1", db, rec.run, nil)
			if err != nil {
				t.Fatal(err)
			}
			s.Now = func() time.Time { return tt.now }
			ran, err := s.CatchUp(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if ran != tt.wantRun {
				t.Errorf("CatchUp ran = %v, want %v", ran, tt.wantRun)
			}
			if tt.wantRun && (len(rec.triggers) != 1 || rec.triggers[0] != store.TriggerCatchUp) {
				t.Errorf("triggers = %v, want one catch-up", rec.triggers)
			}
			st, err := db.ScheduleState()
			if err != nil {
				t.Fatal(err)
			}
			if !st.LastDue.Equal(tt.wantDue) {
				t.Errorf("LastDue = %v, want %v", st.LastDue, tt.wantDue)
			}
			if tt.wantRun && st.LastRunID == "" {
				t.Error("LastRunID not recorded")
			}
			// A second start-up straight after must not run again.
			rec.triggers = nil
			if ran, _ := s.CatchUp(context.Background()); ran {
				t.Error("second CatchUp ran again")
			}
		})
	}
}

func TestScheduler_NeverOverlaps(t *testing.T) {
	db := openDB(t)
	rec := &recorder{db: db, block: make(chan struct{})}
	s, err := NewScheduler("@every 1h", db, rec.run, nil)
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan bool)
	go func() { started <- s.fire(context.Background(), time.Now(), store.TriggerSchedule) }()
	// Wait until the first run is inside the runner.
	for i := 0; ; i++ {
		rec.mu.Lock()
		n := len(rec.triggers)
		rec.mu.Unlock()
		if n == 1 {
			break
		}
		if i > 1000 {
			t.Fatal("first run never started")
		}
		time.Sleep(time.Millisecond)
	}
	var second atomic.Bool
	second.Store(s.fire(context.Background(), time.Now(), store.TriggerSchedule))
	close(rec.block)
	if !<-started {
		t.Error("first run did not run")
	}
	if second.Load() {
		t.Error("second run started while the first was going")
	}
	s.Wait()
	if len(rec.triggers) != 1 {
		t.Errorf("runner called %d times, want 1", len(rec.triggers))
	}
}

func TestParseSchedule(t *testing.T) {
	for _, ok := range []string{"0 3 * * 1", "@weekly", "@every 24h", "CRON_TZ=Europe/London 30 2 * * *"} {
		if _, err := ParseSchedule(ok); err != nil {
			t.Errorf("ParseSchedule(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "every monday", "61 * * * *", "0 3 * *"} {
		if _, err := ParseSchedule(bad); err == nil {
			t.Errorf("ParseSchedule(%q) succeeded", bad)
		}
	}
}
