package store

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/localoffer/localoffer/evidence"
	bolt "go.etcd.io/bbolt"
)

// StaleResult is what MarkStale changed.
type StaleResult struct {
	// Items are the evidence items newly marked stale.
	Items []evidence.Item
	// ReReview are the sub-sections whose decisions were flagged for a
	// second look, sorted.
	ReReview []string
}

// MarkStale records that pages of authority changed or vanished after a
// re-crawl. pages maps a page URL to the reason ("page changed in crawl 7").
// An evidence item on such a page is marked stale when it carries a
// reviewer's word (accepted, rejected, or added by a reviewer) or when it
// was not refreshed by the assessment of crawlID; fresh suggestions made
// from the new capture are left as they are, since they already describe
// it. The decision of every sub-section with a newly stale item is flagged
// NeedsReReview when a reviewer had fixed or reviewed it. Nothing is
// deleted; every change is audited as user, in one transaction.
func (db *DB) MarkStale(user, authority, crawlID string, pages map[string]string) (StaleResult, error) {
	var res StaleResult
	if len(pages) == 0 {
		return res, nil
	}
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		ib, err := sub(tx, bItems, authority, false)
		if err != nil {
			return nil // no evidence yet, nothing to mark
		}
		type upd struct {
			before []byte
			it     evidence.Item
		}
		var ups []upd
		why := map[string][]string{}
		err = ib.ForEach(func(k, v []byte) error {
			var it evidence.Item
			if err := json.Unmarshal(v, &it); err != nil {
				return fmt.Errorf("item %s: %w", k, err)
			}
			reason, ok := pages[it.URL]
			if !ok || it.Stale && it.StaleReason == reason {
				return nil
			}
			decided := it.Status != evidence.Proposed || it.Origin == evidence.Manual
			if !decided && it.CrawlID == crawlID && crawlID != "" {
				return nil
			}
			before := append([]byte(nil), v...)
			it.Stale, it.StaleReason = true, reason
			it.Updated = db.Now().UTC()
			ups = append(ups, upd{before, it})
			if decided {
				why[it.Subsection] = append(why[it.Subsection], it.URL+": "+reason)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, u := range ups {
			if err := putJSON(ib, u.it.ID, u.it); err != nil {
				return err
			}
			after, _ := json.Marshal(u.it)
			if err := db.appendAudit(tx, evidence.AuditEntry{User: user, Action: "mark stale", Authority: authority, Subsection: u.it.Subsection, Target: u.it.ID, Before: string(u.before), After: string(after)}); err != nil {
				return err
			}
			res.Items = append(res.Items, u.it)
		}
		var subs []string
		for s := range why {
			subs = append(subs, s)
		}
		sort.Strings(subs)
		db2 := tx.Bucket(bDecisions).Bucket([]byte(authority))
		if db2 == nil {
			return nil
		}
		for _, s := range subs {
			var d evidence.Decision
			if err := getJSON(db2, s, &d); err != nil {
				if IsNotFound(err) {
					continue
				}
				return err
			}
			if !d.Reviewed && d.FinalScore == "" {
				continue
			}
			before, _ := json.Marshal(d)
			d.NeedsReReview = true
			d.ReReviewWhy = "evidence changed after review: " + strings.Join(why[s], "; ")
			d.Version++
			d.Updated = db.Now().UTC()
			d.UpdatedBy = user
			if err := putJSON(db2, s, d); err != nil {
				return err
			}
			after, _ := json.Marshal(d)
			if err := db.appendAudit(tx, evidence.AuditEntry{User: user, Action: "flag for re-review", Authority: authority, Subsection: s, Target: s, Before: string(before), After: string(after)}); err != nil {
				return err
			}
			res.ReReview = append(res.ReReview, s)
		}
		return nil
	})
	if err != nil {
		return StaleResult{}, fmt.Errorf("mark stale %s: %w", authority, err)
	}
	return res, nil
}
