package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/localoffer/localoffer/store"
	"github.com/robfig/cron/v3"
)

// RunnerFunc starts one run; trigger is store.TriggerSchedule or
// store.TriggerCatchUp.
type RunnerFunc func(ctx context.Context, trigger string) (*store.Run, error)

// Scheduler starts runs at the times of a cron expression, remembers in the
// store which due time it last served, starts a run missed while the
// machine was off as soon as it starts again, and never lets two of its
// runs overlap: a due time that falls while a run is still going is
// skipped and logged.
type Scheduler struct {
	spec  string
	sched cron.Schedule
	db    *store.DB
	run   RunnerFunc
	log   *slog.Logger
	// Now is the clock, replaceable in tests.
	Now func() time.Time

	mu      sync.Mutex
	running bool
	wg      sync.WaitGroup
}

// ParseSchedule checks a cron expression: five fields (minute hour
// day-of-month month day-of-week), a descriptor such as @weekly or
// "@every 24h", optionally prefixed by CRON_TZ=Europe/London.
func ParseSchedule(spec string) (cron.Schedule, error) {
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %w (try \"0 3 * * 1\" for 03:00 every Monday)", spec, err)
	}
	return s, nil
}

// NewScheduler returns a scheduler for spec that calls run.
func NewScheduler(spec string, db *store.DB, run RunnerFunc, log *slog.Logger) (*Scheduler, error) {
	s, err := ParseSchedule(spec)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Scheduler{spec: spec, sched: s, db: db, run: run, log: log, Now: time.Now}, nil
}

// Next returns the next due time after t.
func (s *Scheduler) Next(t time.Time) time.Time { return s.sched.Next(t) }

// CatchUp looks at the due time the store remembers: if a due time passed
// since then without a run (the machine was off, or serve was stopped), it
// starts one run now, whatever the number missed, and waits for it. On the
// first start with a schedule it only records the present as the baseline.
// It reports whether a run was started.
func (s *Scheduler) CatchUp(ctx context.Context) (bool, error) {
	now := s.Now()
	st, err := s.db.ScheduleState()
	if err != nil && !store.IsNotFound(err) {
		return false, err
	}
	if err != nil || st.Spec != s.spec || st.LastDue.IsZero() {
		return false, s.db.SetScheduleState(store.ScheduleState{Spec: s.spec, LastDue: now.UTC()})
	}
	next := s.sched.Next(st.LastDue)
	if next.After(now) {
		return false, nil
	}
	// The newest due time that has passed is the one this run stands for.
	due := next
	for n := s.sched.Next(due); !n.After(now); n = s.sched.Next(n) {
		due = n
	}
	s.log.Info("a scheduled run was missed; starting it now", "missed", next.Format(time.RFC3339), "schedule", s.spec)
	return s.fire(ctx, due, store.TriggerCatchUp), nil
}

// fire runs once for due unless a run is going; it reports whether it ran.
func (s *Scheduler) fire(ctx context.Context, due time.Time, trigger string) bool {
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		s.log.Warn("scheduled run skipped: the previous run is still going", "due", due.Format(time.RFC3339))
		return false
	}
	s.running = true
	s.wg.Add(1)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running = false
		s.mu.Unlock()
		s.wg.Done()
	}()
	st := store.ScheduleState{Spec: s.spec, LastDue: due.UTC()}
	// Record the due time first: a run that crashes the process is not
	// retried in a loop at every start-up.
	if err := s.db.SetScheduleState(st); err != nil {
		s.log.Error("scheduled run not started", "err", err)
		return false
	}
	r, err := s.run(ctx, trigger)
	if r != nil {
		st.LastRunID = r.ID
		if err := s.db.SetScheduleState(st); err != nil {
			s.log.Error("record scheduled run", "err", err)
		}
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		s.log.Error("scheduled run failed", "err", err)
	}
	return true
}

// Start catches up on a missed run, then runs at every due time until ctx
// is cancelled. Runs happen in a goroutine of their own, so a long crawl
// does not delay noticing cancellation; Wait waits for the last one.
func (s *Scheduler) Start(ctx context.Context) {
	go func() {
		if _, err := s.CatchUp(ctx); err != nil {
			s.log.Error("scheduler catch-up", "err", err)
		}
		for {
			due := s.sched.Next(s.Now())
			t := time.NewTimer(time.Until(due))
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			s.mu.Lock()
			busy := s.running
			s.mu.Unlock()
			if busy {
				s.log.Warn("scheduled run skipped: the previous run is still going", "due", due.Format(time.RFC3339))
				continue
			}
			go s.fire(ctx, due, store.TriggerSchedule)
		}
	}()
}

// Wait blocks until a run started by the scheduler has finished.
func (s *Scheduler) Wait() { s.wg.Wait() }
