package report

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/evidence"
	"github.com/localoffer/localoffer/store"
)

// The files of an evidence bundle. The archive files follow the WACZ 1.1.1
// layout at the root of the zip, so that renaming the bundle to .wacz lets
// a web-archive replay tool (ReplayWeb.page, pywb) open it as it is.
const (
	bundleSummary    = "summary.html"
	bundleAssessment = "assessment.json"
	bundleEvidence   = "evidence.csv"
	bundleReadme     = "README.txt"
	bundleWARC       = "archive/snapshots.warc.gz"
	bundleIndex      = "indexes/index.cdxj"
	bundlePages      = "pages/pages.jsonl"
	bundleDataPkg    = "datapackage.json"
	bundleDigest     = "datapackage-digest.json"
)

// BundleOptions control WriteBundle.
type BundleOptions struct {
	// Software names the program and version in the archive's metadata.
	Software string
	Now      func() time.Time
}

// BundleName is the file name of an authority's bundle made on day: the
// slug made safe, then the date.
func BundleName(slug string, day time.Time) string {
	return SafeName(slug) + "-" + day.UTC().Format("2006-01-02") + ".zip"
}

// WriteBundle writes dir/<slug>-<date>.zip for authority a: summary.html
// (the scorecard with every accepted item and its quote), assessment.json
// (the exported assessment), evidence.csv, the cited pages as WARC 1.1
// records with a CDXJ index, a page list and datapackage.json holding the
// SHA-256 of every file, and a README that says how to check them. Every
// name inside the zip is fixed by this code: nothing from a slug or URL
// becomes a path. It returns the path of the zip.
func WriteBundle(db *store.DB, rub *config.Rubric, a config.Authority, dir string, o BundleOptions) (string, error) {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	created := now().UTC()
	if o.Software == "" {
		o.Software = "localoffer"
	}
	auth, err := loadAuthority(db, rub, a)
	if err != nil {
		return "", err
	}
	decs, err := db.Decisions(a.Slug)
	if err != nil {
		return "", fmt.Errorf("bundle %s: %w", a.Slug, err)
	}
	sugs, err := db.Suggestions(a.Slug)
	if err != nil {
		return "", fmt.Errorf("bundle %s: %w", a.Slug, err)
	}
	var ref evidence.CrawlRef
	if auth.Crawl != nil {
		ref = evidence.CrawlRef{ID: auth.Crawl.ID, Started: auth.Crawl.Started, Pages: auth.Crawl.Counts.Pages}
	}
	assessment := evidence.BuildAssessment(rub, a.Slug, auth.Name, ref, sugs, auth.Items, decs)
	assessmentJSON, err := json.MarshalIndent(assessment, "", "  ")
	if err != nil {
		return "", fmt.Errorf("bundle %s: %w", a.Slug, err)
	}

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("bundle %s: %w", a.Slug, err)
	}
	// The WARC can be large (PDFs): build it in a temporary file.
	warcFile, err := os.CreateTemp(dir, ".warc-*")
	if err != nil {
		return "", fmt.Errorf("bundle %s: %w", a.Slug, err)
	}
	defer func() {
		warcFile.Close()
		os.Remove(warcFile.Name())
	}()
	wh := sha256.New()
	aw := newArchiveWriter(io.MultiWriter(warcFile, wh), filepath.Base(bundleWARC))
	rubricVersions := map[string]bool{}
	for _, d := range decs {
		if counted(d) && d.RubricVersion != "" {
			rubricVersions[d.RubricVersion] = true
		}
	}
	info := [][2]string{
		{"software", o.Software},
		{"format", "WARC File Format 1.1"},
		{"conformsTo", "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"},
		{"isPartOf", "Local Offer evidence bundle: " + auth.Name},
		{"description", "Pages and documents cited as evidence in the SEND Local Offer assessment of " + auth.Name + ", rebuilt from the captures stored at crawl time."},
		{"rubric-version", rub.Version},
	}
	if err := aw.writeInfo(created, info); err != nil {
		return "", fmt.Errorf("bundle %s: %w", a.Slug, err)
	}
	// Every item not rejected is cited (accepted, or proposed while the
	// review is under way); each capture goes in once.
	records := map[string]string{} // snapshot id -> response record id
	captured := map[string]*store.Snapshot{}
	itemSnap := map[string]string{} // item id -> snapshot id
	for _, it := range auth.Items {
		if it.Status == evidence.Rejected {
			continue
		}
		snap, err := itemSnapshot(db, it)
		if store.IsNotFound(err) {
			continue // a reviewer's quote with no capture behind it
		}
		if err != nil {
			return "", fmt.Errorf("bundle %s: snapshot of %s: %w", a.Slug, it.URL, err)
		}
		itemSnap[it.ID] = snap.ID
		if _, ok := records[snap.ID]; ok {
			continue
		}
		body, err := db.Body(snap.SHA256)
		if err != nil {
			return "", fmt.Errorf("bundle %s: captured body of %s: %w", a.Slug, snap.URL, err)
		}
		id, err := aw.writeCapture(snap, body, it.Title)
		if err != nil {
			return "", fmt.Errorf("bundle %s: %w", a.Slug, err)
		}
		records[snap.ID] = id
		captured[snap.ID] = snap
	}
	if err := warcFile.Sync(); err != nil {
		return "", fmt.Errorf("bundle %s: %w", a.Slug, err)
	}
	warcSize := aw.n
	warcHash := hex.EncodeToString(wh.Sum(nil))

	evidenceCSV, err := evidenceCSV(rub, auth, itemSnap, captured, records)
	if err != nil {
		return "", fmt.Errorf("bundle %s: %w", a.Slug, err)
	}
	var summary bytes.Buffer
	sp := summaryPage{Authority: auth, Rubric: rub, Generated: created, Versions: sortedKeys(rubricVersions), Snapshots: captured, ItemSnap: itemSnap, Records: records}
	if err := templates.ExecuteTemplate(&summary, "summary.html", sp); err != nil {
		return "", fmt.Errorf("bundle %s: render summary: %w", a.Slug, err)
	}
	files := []bundleFile{
		{name: bundleSummary, data: summary.Bytes()},
		{name: bundleAssessment, data: assessmentJSON},
		{name: bundleEvidence, data: evidenceCSV},
		{name: bundleIndex, data: aw.cdxj()},
		{name: bundlePages, data: aw.pagesJSONL()},
	}
	readme := bundleREADME(auth, rub, sp.Versions, created, o.Software, len(records))
	files = append([]bundleFile{{name: bundleReadme, data: readme}}, files...)

	type resource struct {
		Name  string `json:"name"`
		Path  string `json:"path"`
		Hash  string `json:"hash"`
		Bytes int64  `json:"bytes"`
	}
	var res []resource
	for _, f := range files {
		sum := sha256.Sum256(f.data)
		res = append(res, resource{Name: filepath.Base(f.name), Path: f.name, Hash: "sha256:" + hex.EncodeToString(sum[:]), Bytes: int64(len(f.data))})
	}
	res = append(res, resource{Name: filepath.Base(bundleWARC), Path: bundleWARC, Hash: "sha256:" + warcHash, Bytes: warcSize})
	main := ""
	if len(a.StartURLs) > 0 {
		main = a.StartURLs[0]
	}
	pkg := map[string]any{
		"profile":      "data-package",
		"wacz_version": "1.1.1",
		"title":        "Local Offer evidence: " + auth.Name,
		"description":  "Evidence bundle of the SEND Local Offer assessment of " + auth.Name + " (rubric version " + rub.Version + ").",
		"created":      created.Format(time.RFC3339),
		"modified":     created.Format(time.RFC3339),
		"software":     o.Software,
		"resources":    res,
	}
	if main != "" {
		pkg["mainPageUrl"] = main
	}
	pkgJSON, err := json.MarshalIndent(pkg, "", "  ")
	if err != nil {
		return "", err
	}
	pkgSum := sha256.Sum256(pkgJSON)
	digestJSON, _ := json.MarshalIndent(map[string]string{"path": bundleDataPkg, "hash": "sha256:" + hex.EncodeToString(pkgSum[:])}, "", "  ")
	files = append(files, bundleFile{name: bundleDataPkg, data: pkgJSON}, bundleFile{name: bundleDigest, data: digestJSON})

	name := BundleName(a.Slug, created)
	out := filepath.Join(dir, name)
	if !filepath.IsLocal(name) || filepath.Dir(out) != filepath.Clean(dir) {
		return "", fmt.Errorf("bundle %s: unsafe file name %q", a.Slug, name)
	}
	tmp, err := os.CreateTemp(dir, "."+name+".*")
	if err != nil {
		return "", fmt.Errorf("bundle %s: %w", a.Slug, err)
	}
	defer os.Remove(tmp.Name())
	zw := zip.NewWriter(tmp)
	for _, f := range files {
		if err := zipPut(zw, f.name, f.data, created, zip.Deflate); err != nil {
			tmp.Close()
			return "", fmt.Errorf("bundle %s: %w", a.Slug, err)
		}
	}
	// The WARC is gzip already; stored uncompressed in the zip so that
	// replay tools can read records at their offsets.
	if _, err := warcFile.Seek(0, 0); err != nil {
		tmp.Close()
		return "", err
	}
	w, err := zw.CreateHeader(&zip.FileHeader{Name: bundleWARC, Method: zip.Store, Modified: created})
	if err != nil {
		tmp.Close()
		return "", err
	}
	if _, err := io.Copy(w, warcFile); err != nil {
		tmp.Close()
		return "", fmt.Errorf("bundle %s: %w", a.Slug, err)
	}
	if err := zw.Close(); err != nil {
		tmp.Close()
		return "", fmt.Errorf("bundle %s: %w", a.Slug, err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("bundle %s: %w", a.Slug, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return "", fmt.Errorf("bundle %s: %w", a.Slug, err)
	}
	return out, nil
}

type bundleFile struct {
	name string
	data []byte
}

func zipPut(zw *zip.Writer, name string, data []byte, when time.Time, method uint16) error {
	if !filepath.IsLocal(filepath.FromSlash(name)) || strings.Contains(name, "..") {
		return fmt.Errorf("unsafe zip entry %q", name)
	}
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: when})
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// evidenceCSV lists every evidence item of the authority, in rubric order,
// with where its capture sits in the archive.
func evidenceCSV(rub *config.Rubric, a *Authority, itemSnap map[string]string, snaps map[string]*store.Snapshot, records map[string]string) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"subsection", "subsection_title", "criteria", "status", "best_practice", "stale", "url", "title", "heading", "snippet", "confidence", "origin", "note", "reviewed_by", "snapshot_id", "captured_at", "sha256", "warc_record_id"})
	for _, sub := range rub.Subsections() {
		var its []evidence.Item
		for _, it := range a.Items {
			if it.Subsection == sub.ID {
				its = append(its, it)
			}
		}
		evidence.SortItems(its)
		for _, it := range its {
			sid := itemSnap[it.ID]
			var captured, sha string
			if s := snaps[sid]; s != nil {
				captured, sha = s.CapturedAt.UTC().Format(time.RFC3339), s.SHA256
			}
			w.Write([]string{sub.ID, sub.Title, strings.Join(it.Criteria, " "), string(it.Status), strconv.FormatBool(it.BestPractice), strconv.FormatBool(it.Stale),
				it.URL, it.Title, it.Heading, it.Snippet, strconv.FormatFloat(it.Confidence, 'f', 3, 64), string(it.Origin), it.Note, it.UpdatedBy,
				sid, captured, sha, records[sid]})
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// summaryPage is what summary.html sees.
type summaryPage struct {
	Authority *Authority
	Rubric    *config.Rubric
	Generated time.Time
	Versions  []string
	Snapshots map[string]*store.Snapshot
	ItemSnap  map[string]string
	Records   map[string]string
}

// Capture returns the capture behind item id, or nil.
func (p summaryPage) Capture(itemID string) *store.Snapshot { return p.Snapshots[p.ItemSnap[itemID]] }

// Record returns the WARC record id of the capture behind item id.
func (p summaryPage) Record(itemID string) string { return p.Records[p.ItemSnap[itemID]] }

func bundleREADME(a *Authority, rub *config.Rubric, versions []string, created time.Time, software string, captures int) []byte {
	fixed := "none yet"
	if len(versions) > 0 {
		fixed = strings.Join(versions, ", ")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Local Offer evidence bundle: %s\n", a.Name)
	fmt.Fprintf(&b, "%s\n\n", strings.Repeat("=", 30+len(a.Name)))
	fmt.Fprintf(&b, "Made %s by %s.\n", created.Format("2 January 2006 15:04 MST"), software)
	fmt.Fprintf(&b, "Assessed against rubric version %s. Reviewer-fixed scores were fixed under rubric version: %s.\n", rub.Version, fixed)
	fmt.Fprintf(&b, "Scores: %d Yes, %d Partial, %d No, %d sub-sections not yet reviewed (not counted).\n", a.Counts.Yes, a.Counts.Partial, a.Counts.No, a.Counts.Unreviewed)
	fmt.Fprintf(&b, "Captured pages and documents in the archive: %d.\n\n", captures)
	b.WriteString(`What each file is
-----------------
summary.html               The scorecard: every sub-section's score (or "not
                           reviewed"), the reviewers' rationale, and every
                           accepted evidence item with its quote and the time
                           its page was captured. Opens in any browser offline.
assessment.json            The assessment in localoffer's exchange format: per
                           sub-section the suggested and final scores,
                           criterion statuses and the evidence, best first.
evidence.csv               Every evidence item (accepted, proposed, rejected)
                           with its page, quote, capture time, the SHA-256 of
                           the captured body and its WARC record id.
archive/snapshots.warc.gz  The cited pages and documents exactly as captured,
                           as WARC 1.1 request and response records (one gzip
                           member per record). WARC-Date is the capture time;
                           WARC-Payload-Digest is the SHA-256 of the body.
indexes/index.cdxj         CDXJ index of the response records (URL key, capture
                           time, offset and length in the WARC).
pages/pages.jsonl          The captured pages, one JSON line each.
datapackage.json           The WACZ package description: the SHA-256 and size
                           of every other file in this bundle.
datapackage-digest.json    The SHA-256 of datapackage.json.

The archive files follow the WACZ 1.1.1 layout. To replay the captured pages,
copy this zip to a name ending in .wacz and open it in a web-archive replay
tool such as ReplayWeb.page or pywb.

How to verify
-------------
1. Unzip the bundle into an empty folder.
2. Compute the SHA-256 of each file, for example:
       sha256sum summary.html assessment.json evidence.csv README.txt \
         archive/snapshots.warc.gz indexes/index.cdxj pages/pages.jsonl
   (on Windows: certutil -hashfile FILE SHA256)
3. Compare each with the "hash" of the same "path" in datapackage.json, and
   the SHA-256 of datapackage.json with datapackage-digest.json.
4. Each response record's WARC-Payload-Digest equals the sha256 column of
   evidence.csv for the same page; any WARC tool (warcio check, for one)
   recomputes it from the record.
`)
	return []byte(b.String())
}
