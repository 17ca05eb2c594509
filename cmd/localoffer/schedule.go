package main

import (
	"context"
	"fmt"
	"time"

	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/crawler"
	"github.com/localoffer/localoffer/pipeline"
	"github.com/localoffer/localoffer/store"
)

// startSchedule starts scheduled runs of every authority inside serve, from
// --schedule or the config file's schedule key; it returns nil when
// neither is set. A run missed while serve was not running starts now.
func startSchedule(ctx context.Context, g *globals, db *store.DB, cfg *config.Config, rub *config.Rubric, spec string) (*pipeline.Scheduler, error) {
	if spec == "" {
		spec = cfg.Schedule
	}
	if spec == "" {
		return nil, nil
	}
	run := func(ctx context.Context, trigger string) (*store.Run, error) {
		g.log.Info("scheduled run starting", "trigger", trigger, "authorities", len(cfg.Authorities))
		r, err := runPipeline(ctx, g, db, cfg, rub, cfg.Authorities, trigger, 4, crawler.Options{})
		if r != nil {
			g.log.Info("scheduled run finished", "run", r.ID, "status", r.Status)
		}
		return r, err
	}
	s, err := pipeline.NewScheduler(spec, db, run, g.log)
	if err != nil {
		return nil, usagef("%v", err)
	}
	s.Start(ctx)
	fmt.Fprintf(g.stdout, "Scheduled runs %q; next at %s\n", spec, s.Next(time.Now()).Format("Mon 2 Jan 2006 15:04"))
	return s, nil
}

// dashboardInfo gives the review dashboard, per authority, when it was last
// crawled, how many pages changed since its scores were last fixed, and
// the next scheduled run.
func dashboardInfo(db *store.DB, s *pipeline.Scheduler) func(slug string) []string {
	return func(slug string) []string {
		var out []string
		if c, err := db.LatestCrawl(slug); err == nil {
			out = append(out, fmt.Sprintf("Last crawled %s (crawl %s, %d pages)", c.Started.Local().Format("2 Jan 2006 15:04"), c.ID, c.Counts.Pages))
		}
		var fixed time.Time
		if ds, err := db.Decisions(slug); err == nil {
			for _, d := range ds {
				if (d.Reviewed || d.FinalScore != "") && d.Updated.After(fixed) {
					fixed = d.Updated
				}
			}
		}
		if !fixed.IsZero() {
			changed := 0
			if runs, err := db.Runs(0); err == nil {
				for _, r := range runs {
					for _, ra := range r.Authorities {
						if ra.Slug == slug && ra.Ended.After(fixed) {
							changed += ra.Added + ra.Removed + ra.Changed + ra.Moved
						}
					}
				}
			}
			out = append(out, fmt.Sprintf("%d pages changed since the scores were last fixed", changed))
		}
		if s != nil {
			out = append(out, "Next scheduled run "+s.Next(time.Now()).Local().Format("Mon 2 Jan 15:04"))
		}
		return out
	}
}
