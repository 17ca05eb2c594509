package main

import (
	"fmt"

	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/report"
	"github.com/localoffer/localoffer/store"
)

// exportBundles writes one evidence bundle per authority into out, for
// export --format bundle. With explicit slugs (--la) an authority the store
// knows nothing about is an error; with --all it is skipped.
func exportBundles(g *globals, db *store.DB, rub *config.Rubric, las []config.Authority, explicit bool, out string) error {
	n := 0
	for _, a := range las {
		known, err := storeKnows(db, a.Slug)
		if err != nil {
			return err
		}
		if !known {
			if explicit {
				return fmt.Errorf("nothing to bundle for %s: it has no crawl, evidence or decisions (run localoffer crawl and assess first)", a.Slug)
			}
			g.log.Info("skipped: nothing stored yet", "la", a.Slug)
			continue
		}
		path, err := report.WriteBundle(db, rub, a, out, report.BundleOptions{Software: "localoffer " + version})
		if err != nil {
			return err
		}
		fmt.Fprintln(g.stdout, path)
		n++
	}
	if n == 0 {
		return fmt.Errorf("nothing to bundle: no authority has been crawled or assessed (run localoffer crawl and assess first)")
	}
	return nil
}

// storeKnows reports whether the store holds anything about an authority.
func storeKnows(db *store.DB, slug string) (bool, error) {
	cs, err := db.Crawls(slug)
	if err != nil || len(cs) > 0 {
		return len(cs) > 0, err
	}
	its, err := db.Items(slug, "")
	if err != nil || len(its) > 0 {
		return len(its) > 0, err
	}
	ds, err := db.Decisions(slug)
	return len(ds) > 0, err
}
