package changes

import (
	"fmt"

	"github.com/localoffer/localoffer/extract"
	"github.com/localoffer/localoffer/store"
)

// learnLimit is how many distinct HTML pages of each crawl SiteText learns
// chrome from: repeated blocks show on a sample as well as on every page,
// and a 50,000-page site need not be read twice.
const learnLimit = 1000

// SiteText returns a TextFunc that reads main text the way the assessment
// does: it first learns, from the HTML pages of the given crawls (up to
// learnLimit of each), which blocks repeat across the site (header,
// navigation, cookie banner, footer) and then drops them, with the
// semantic chrome, from each page it reads.
func SiteText(db *store.DB, crawlIDs ...string) (TextFunc, error) {
	site := extract.NewSite()
	seen := map[string]bool{}
	for _, id := range crawlIDs {
		n := 0
		err := db.CrawlSnapshots(id, func(s *store.Snapshot) error {
			if s.Kind != "html" || s.SHA256 == "" || seen[s.SHA256] || n >= learnLimit {
				return nil
			}
			n++
			seen[s.SHA256] = true
			body, err := db.Body(s.SHA256)
			if err != nil {
				return nil // unreadable bodies are reported when compared
			}
			site.Learn(body, s.ContentType, s.FinalURL)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return func(s *store.Snapshot, body []byte) (string, string, error) {
		u := s.FinalURL
		if u == "" {
			u = s.URL
		}
		doc, err := site.Document(body, s.ContentType, u)
		if err != nil {
			return "", "", err
		}
		return doc.Title, doc.MainText(), nil
	}, nil
}

// SnapshotDiff diffs the normalised main text of two stored snapshots,
// line by line: what the review UI shows between an old capture of a page
// and a new one. text reads main text (see SiteText; nil reads each page
// on its own, with semantic chrome removal only).
func SnapshotDiff(db *store.DB, oldID, newID string, text TextFunc) ([]Line, error) {
	if text == nil {
		text = func(s *store.Snapshot, body []byte) (string, string, error) {
			u := s.FinalURL
			if u == "" {
				u = s.URL
			}
			doc, err := extract.Any(body, s.ContentType, u)
			if err != nil {
				return "", "", err
			}
			return doc.Title, doc.MainText(), nil
		}
	}
	read := func(id string) (string, error) {
		s, err := db.Snapshot(id)
		if err != nil {
			return "", err
		}
		body, err := db.Body(s.SHA256)
		if err != nil {
			return "", err
		}
		_, t, err := text(s, body)
		if err != nil {
			return "", fmt.Errorf("text of %s: %w", s.URL, err)
		}
		return Normalize(t), nil
	}
	a, err := read(oldID)
	if err != nil {
		return nil, err
	}
	b, err := read(newID)
	if err != nil {
		return nil, err
	}
	return Diff(a, b), nil
}
