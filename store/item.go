package store

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/localoffer/localoffer/evidence"
	bolt "go.etcd.io/bbolt"
)

// SaveAssessment stores the tool's suggestions for one authority after an
// assessment run, without losing anything a reviewer decided:
//   - suggestions (sub-section scores) are replaced;
//   - a new item whose id already exists keeps the stored review state
//     (status, best practice, note) and takes the new text and rank;
//   - a proposed item the new run did not produce again is removed when its
//     page is still there, and kept but marked stale when the page vanished
//     from the crawl the suggestions were made on;
//   - an accepted or rejected item not produced again is kept and marked
//     stale with staleWhy.
//
// It returns the ids of items that were new in this run.
func (db *DB) SaveAssessment(authority string, sugs []evidence.Suggestion, items []evidence.Item, staleWhy string) (added []string, err error) {
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		sb, err := sub(tx, bSuggestions, authority, true)
		if err != nil {
			return err
		}
		for _, s := range sugs {
			if err := putJSON(sb, s.Subsection, s); err != nil {
				return err
			}
		}
		ib, err := sub(tx, bItems, authority, true)
		if err != nil {
			return err
		}
		fresh := map[string]bool{}
		for _, it := range items {
			fresh[it.ID] = true
			var old evidence.Item
			if getJSON(ib, it.ID, &old) == nil {
				it.Status = old.Status
				it.BestPractice = old.BestPractice
				it.Note = old.Note
				it.Created = old.Created
				it.UpdatedBy = old.UpdatedBy
				if old.Origin == evidence.Manual {
					it.Origin = old.Origin
				}
			} else {
				added = append(added, it.ID)
				if it.Created.IsZero() {
					it.Created = db.Now().UTC()
				}
			}
			it.Stale, it.StaleReason = false, ""
			if it.Updated.IsZero() {
				it.Updated = db.Now().UTC()
			}
			if err := putJSON(ib, it.ID, it); err != nil {
				return err
			}
		}
		present := pagePresence(tx, sugs)
		var drop [][]byte
		err = ib.ForEach(func(k, v []byte) error {
			if fresh[string(k)] {
				return nil
			}
			var it evidence.Item
			if err := json.Unmarshal(v, &it); err != nil {
				return err
			}
			if it.Origin == evidence.Manual {
				return nil
			}
			if it.Status == evidence.Proposed {
				if ok, crawlID := present(it.URL); !ok && !it.Stale {
					it.Stale, it.StaleReason = true, "page no longer found in crawl "+crawlID
					return putJSON(ib, it.ID, it)
				} else if ok {
					drop = append(drop, append([]byte(nil), k...))
				}
				return nil
			}
			if !it.Stale {
				it.Stale, it.StaleReason = true, staleWhy
				return putJSON(ib, it.ID, it)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range drop {
			if err := ib.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	return added, err
}

// Suggestions returns the stored suggestions of authority by sub-section id.
func (db *DB) Suggestions(authority string) (map[string]evidence.Suggestion, error) {
	out := map[string]evidence.Suggestion{}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b, err := sub(tx, bSuggestions, authority, false)
		if err != nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var s evidence.Suggestion
			if err := json.Unmarshal(v, &s); err != nil {
				return err
			}
			out[string(k)] = s
			return nil
		})
	})
	return out, err
}

// Items returns the evidence items of authority, for one sub-section when
// subsection is not "", ordered by sub-section then rank.
func (db *DB) Items(authority, subsection string) ([]evidence.Item, error) {
	var out []evidence.Item
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b, err := sub(tx, bItems, authority, false)
		if err != nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var it evidence.Item
			if err := json.Unmarshal(v, &it); err != nil {
				return err
			}
			if subsection == "" || it.Subsection == subsection {
				out = append(out, it)
			}
			return nil
		})
	})
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Subsection != out[j].Subsection {
			return out[i].Subsection < out[j].Subsection
		}
		if out[i].Rank != out[j].Rank {
			return out[i].Rank < out[j].Rank
		}
		return out[i].ID < out[j].ID
	})
	return out, err
}

// Item returns one evidence item.
func (db *DB) Item(authority, id string) (evidence.Item, error) {
	var it evidence.Item
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b, err := sub(tx, bItems, authority, false)
		if err != nil {
			return err
		}
		return getJSON(b, id, &it)
	})
	if err != nil {
		return it, fmt.Errorf("item %s: %w", id, err)
	}
	return it, nil
}

// UpdateItem applies fn to a stored item and records the change in the
// audit log in the same transaction. fn returns the action name for the
// audit entry, or an error to abort.
func (db *DB) UpdateItem(user, authority, id string, fn func(*evidence.Item) (string, error)) (evidence.Item, error) {
	var it evidence.Item
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		b, err := sub(tx, bItems, authority, false)
		if err != nil {
			return err
		}
		if err := getJSON(b, id, &it); err != nil {
			return err
		}
		before, _ := json.Marshal(it)
		action, err := fn(&it)
		if err != nil {
			return err
		}
		it.Updated = db.Now().UTC()
		it.UpdatedBy = user
		if err := putJSON(b, it.ID, it); err != nil {
			return err
		}
		after, _ := json.Marshal(it)
		return db.appendAudit(tx, evidence.AuditEntry{User: user, Action: action, Authority: authority, Subsection: it.Subsection, Target: it.ID, Before: string(before), After: string(after)})
	})
	if err != nil {
		return it, fmt.Errorf("update item %s: %w", id, err)
	}
	return it, nil
}

// AddItem stores a reviewer's own evidence item, audited.
func (db *DB) AddItem(user string, it evidence.Item) (evidence.Item, error) {
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		b, err := sub(tx, bItems, it.Authority, true)
		if err != nil {
			return err
		}
		now := db.Now().UTC()
		it.Created, it.Updated, it.CreatedBy, it.UpdatedBy = now, now, user, user
		if b.Get([]byte(it.ID)) != nil {
			return fmt.Errorf("%w: item %s exists", evidence.ErrConflict, it.ID)
		}
		if err := putJSON(b, it.ID, it); err != nil {
			return err
		}
		after, _ := json.Marshal(it)
		return db.appendAudit(tx, evidence.AuditEntry{User: user, Action: "add evidence", Authority: it.Authority, Subsection: it.Subsection, Target: it.ID, After: string(after)})
	})
	return it, err
}

// pagePresence returns a test of whether a page was captured with success
// in the crawl the suggestions were made on. Without such a crawl every
// page counts as present.
func pagePresence(tx *bolt.Tx, sugs []evidence.Suggestion) func(url string) (bool, string) {
	crawlID := ""
	for _, s := range sugs {
		if s.CrawlID != "" {
			crawlID = s.CrawlID
			break
		}
	}
	cp, err := sub(tx, bCrawlPages, crawlID, false)
	if crawlID == "" || err != nil {
		return func(string) (bool, string) { return true, crawlID }
	}
	snaps := tx.Bucket(bSnapshots)
	return func(url string) (bool, string) {
		id := cp.Get([]byte(url))
		if id == nil {
			return false, crawlID
		}
		var s Snapshot
		if getJSON(snaps, string(id), &s) != nil {
			return false, crawlID
		}
		return s.Status == 200 || s.NotModified, crawlID
	}
}
