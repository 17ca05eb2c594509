package report_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"html"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/evidence"
	"github.com/localoffer/localoffer/report"
	"github.com/localoffer/localoffer/store"
	"github.com/nlnwa/gowarc/v3"
)

var bundleDay = time.Date(2026, 11, 2, 15, 0, 0, 0, time.UTC)

func writeBundle(t *testing.T, db *store.DB, rub *config.Rubric, a config.Authority) (string, map[string][]byte) {
	t.Helper()
	dir := t.TempDir()
	path, err := report.WriteBundle(db, rub, a, dir, report.BundleOptions{Software: "localoffer test", Now: func() time.Time { return bundleDay }})
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(path) != dir {
		t.Fatalf("bundle written to %s, outside %s", path, dir)
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	files := map[string][]byte{}
	for _, f := range zr.File {
		if !filepath.IsLocal(filepath.FromSlash(f.Name)) || strings.Contains(f.Name, "..") || strings.HasPrefix(f.Name, "/") {
			t.Errorf("unsafe zip entry %q", f.Name)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		files[f.Name] = b
		if f.Name == "archive/snapshots.warc.gz" && f.Method != zip.Store {
			t.Errorf("WARC is compressed in the zip (method %d); replay tools need it stored", f.Method)
		}
	}
	return path, files
}

func TestBundleFilesAndHashes(t *testing.T) {
	db, rub := seed(t)
	a := fixtureAuthorities()[0]
	path, files := writeBundle(t, db, rub, a)
	if got := filepath.Base(path); got != "bolton-2026-11-02.zip" {
		t.Errorf("bundle name %q", got)
	}
	var names []string
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	want := "README.txt archive/snapshots.warc.gz assessment.json datapackage-digest.json datapackage.json evidence.csv indexes/index.cdxj pages/pages.jsonl summary.html"
	if strings.Join(names, " ") != want {
		t.Errorf("bundle holds %v, want %s", names, want)
	}
	var pkg struct {
		Profile   string `json:"profile"`
		Version   string `json:"wacz_version"`
		Resources []struct {
			Path  string `json:"path"`
			Hash  string `json:"hash"`
			Bytes int64  `json:"bytes"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(files["datapackage.json"], &pkg); err != nil {
		t.Fatal(err)
	}
	if pkg.Profile != "data-package" || pkg.Version == "" {
		t.Errorf("datapackage profile %q version %q", pkg.Profile, pkg.Version)
	}
	listed := map[string]bool{}
	for _, r := range pkg.Resources {
		listed[r.Path] = true
		b, ok := files[r.Path]
		if !ok {
			t.Errorf("datapackage lists missing %s", r.Path)
			continue
		}
		sum := sha256.Sum256(b)
		if r.Hash != "sha256:"+hex.EncodeToString(sum[:]) || r.Bytes != int64(len(b)) {
			t.Errorf("%s: datapackage says %s (%d bytes), file is %x (%d bytes)", r.Path, r.Hash, r.Bytes, sum, len(b))
		}
	}
	for _, n := range names {
		if !listed[n] && !strings.HasPrefix(n, "datapackage") {
			t.Errorf("datapackage does not list %s", n)
		}
	}
	var dg struct{ Path, Hash string }
	if err := json.Unmarshal(files["datapackage-digest.json"], &dg); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(files["datapackage.json"])
	if dg.Hash != "sha256:"+hex.EncodeToString(sum[:]) {
		t.Errorf("datapackage digest %s, want %x", dg.Hash, sum)
	}

	// assessment.json is the exported assessment, and its final scores are
	// the store's.
	var as evidence.Assessment
	if err := json.Unmarshal(files["assessment.json"], &as); err != nil {
		t.Fatal(err)
	}
	if as.LA != "bolton" || len(as.Subsections) != 13 {
		t.Fatalf("assessment la %q with %d sub-sections", as.LA, len(as.Subsections))
	}
	decs, _ := db.Decisions("bolton")
	for _, s := range as.Subsections {
		d := decs[s.ID]
		if s.FinalScore == nil || *s.FinalScore != d.FinalScore || s.Reviewed != d.Reviewed {
			t.Errorf("%s: assessment final %v reviewed %v, store %q %v", s.ID, s.FinalScore, s.Reviewed, d.FinalScore, d.Reviewed)
		}
	}

	// evidence.csv has every item, with its capture's hash.
	rows, err := csv.NewReader(bytes.NewReader(files["evidence.csv"])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	items, _ := db.Items("bolton", "")
	if len(rows) != 1+len(items) {
		t.Errorf("evidence.csv has %d rows for %d items", len(rows)-1, len(items))
	}
	for _, row := range rows[1:] {
		if row[3] != "rejected" && (len(row[16]) != 64 || !strings.HasPrefix(row[17], "urn:uuid:")) {
			t.Errorf("item %s has no capture hash or record: %v", row[6], row)
		}
	}

	// summary.html quotes every accepted item.
	for _, it := range items {
		if it.Status == evidence.Accepted && !bytes.Contains(files["summary.html"], []byte(html.EscapeString(it.Snippet))) {
			t.Errorf("summary.html lacks the quote of %s", it.ID)
		}
	}
	if !bytes.Contains(files["README.txt"], []byte("version "+rub.Version)) || !bytes.Contains(files["README.txt"], []byte("sha256sum")) {
		t.Error("README does not give the rubric version and how to verify")
	}
}

// TestBundleWARCRoundTrip reads the archive back with gowarc: every record
// parses without a finding, digests validate, payloads hash to the stored
// SHA-256, dates are capture times, and the CDXJ offsets land on the
// records they name.
func TestBundleWARCRoundTrip(t *testing.T) {
	db, rub := seed(t)
	a := fixtureAuthorities()[1]
	_, files := writeBundle(t, db, rub, a)
	warc := files["archive/snapshots.warc.gz"]

	// The captures the bundle must hold: those of every item not rejected.
	items, _ := db.Items(a.Slug, "")
	want := map[string]*store.Snapshot{}
	for _, it := range items {
		if it.Status == evidence.Rejected {
			continue
		}
		s, err := db.Snapshot(it.SnapshotID)
		if err != nil {
			t.Fatal(err)
		}
		want[s.URL] = s
	}

	r, err := gowarc.NewWarcFileReaderFromStream(bytes.NewReader(warc), 0, gowarc.WithStrictValidation())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	types := map[string]int{}
	responses := map[string]string{}
	var first string
	for rec, err := range r.Records() {
		if err != nil {
			t.Fatalf("record at %d: %v", rec.Offset, err)
		}
		wr := rec.WarcRecord
		if len(rec.Validation) > 0 {
			t.Errorf("record %s: %v", wr.RecordId(), rec.Validation)
		}
		if wr.Version().String() != "WARC/1.1" {
			t.Errorf("record version %s", wr.Version())
		}
		if first == "" {
			first = wr.Type().String()
		}
		types[wr.Type().String()]++
		if v, err := wr.ValidateDigest(); err != nil || len(v) > 0 {
			t.Errorf("record %s digests: %v %v", wr.RecordId(), v, err)
		}
		if wr.Type() == gowarc.Response {
			uri := wr.WarcHeader().Get(gowarc.WarcTargetURI)
			s := want[uri]
			if s == nil {
				t.Errorf("response for %s, which no item cites", uri)
				rec.Close()
				continue
			}
			responses[uri] = wr.RecordId()
			if got := wr.WarcHeader().Get(gowarc.WarcPayloadDigest); got != "sha256:"+s.SHA256 {
				t.Errorf("%s payload digest %s, store %s", uri, got, s.SHA256)
			}
			if !wr.WarcHeader().Has(gowarc.WarcBlockDigest) {
				t.Errorf("%s has no block digest", uri)
			}
			d, err := wr.Date()
			if err != nil || !d.Equal(s.CapturedAt) {
				t.Errorf("%s WARC-Date %v, captured %v (%v)", uri, d, s.CapturedAt, err)
			}
			pb := wr.Block().(gowarc.HttpResponseBlock)
			p, err := pb.PayloadBytes()
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(p)
			if store.HashBody(body) != s.SHA256 {
				t.Errorf("%s payload hashes to %s, store %s", uri, store.HashBody(body), s.SHA256)
			}
			if pb.HttpStatusCode() != 200 || pb.HttpHeader().Get("Content-Encoding") != "" {
				t.Errorf("%s: status %d, content-encoding %q", uri, pb.HttpStatusCode(), pb.HttpHeader().Get("Content-Encoding"))
			}
		}
		rec.Close()
	}
	if first != "warcinfo" || types["warcinfo"] != 1 {
		t.Errorf("first record %s, %d warcinfo", first, types["warcinfo"])
	}
	if types["response"] != len(want) || types["request"] != len(want) {
		t.Errorf("%d responses and %d requests for %d captures", types["response"], types["request"], len(want))
	}

	// Every CDXJ line points at its response record.
	lines := strings.Split(strings.TrimSpace(string(files["indexes/index.cdxj"])), "\n")
	if len(lines) != len(want) || !sort.StringsAreSorted(lines) {
		t.Fatalf("%d index lines for %d captures (sorted %v)", len(lines), len(want), sort.StringsAreSorted(lines))
	}
	for _, l := range lines {
		parts := strings.SplitN(l, " ", 3)
		var f map[string]string
		if err := json.Unmarshal([]byte(parts[2]), &f); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		off, _ := strconv.ParseInt(f["offset"], 10, 64)
		n, _ := strconv.ParseInt(f["length"], 10, 64)
		zr, err := gzip.NewReader(bytes.NewReader(warc[off : off+n]))
		if err != nil {
			t.Fatalf("%s: offset %d: %v", f["url"], off, err)
		}
		rec, _, _, err := gowarc.NewUnmarshaler().Unmarshal(bufio.NewReader(zr))
		if err != nil {
			t.Fatalf("%s: %v", f["url"], err)
		}
		if rec.RecordId() != responses[f["url"]] || f["digest"] != "sha256:"+want[f["url"]].SHA256 {
			t.Errorf("index line %q leads to %s", l, rec.RecordId())
		}
		if ts := want[f["url"]].CapturedAt.Format("20060102150405"); parts[1] != ts {
			t.Errorf("index time %s, captured %s", parts[1], ts)
		}
		rec.Close()
	}
	pages := strings.Split(strings.TrimSpace(string(files["pages/pages.jsonl"])), "\n")
	if len(pages) != 1+len(want) || !strings.Contains(pages[0], "json-pages-1.0") {
		t.Errorf("pages.jsonl has %d lines", len(pages))
	}
}

// TestBundleUnsafeNames gives an authority a slug and URLs full of "../":
// the bundle still lands inside --out and its entries stay relative.
func TestBundleUnsafeNames(t *testing.T) {
	rub := config.DefaultRubric()
	db, err := store.Open(filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	slug := "../../evil"
	crawl := &store.Crawl{Authority: slug, Status: store.CrawlDone}
	if err := db.CreateCrawl(crawl); err != nil {
		t.Fatal(err)
	}
	url := "http://127.0.0.1:18000/../../../etc/passwd?x=../../y"
	snap := &store.Snapshot{CrawlID: crawl.ID, Authority: slug, URL: url, FinalURL: url, Status: 200, ContentType: "text/plain", Kind: "other", CapturedAt: fixtureTime}
	if err := db.PutSnapshot(snap, []byte("root:x:0:0")); err != nil {
		t.Fatal(err)
	}
	sub := rub.Subsections()[0]
	it := evidence.Item{ID: "../../item", Authority: slug, Subsection: sub.ID, Criteria: []string{sub.Criteria[0].ID}, URL: url, Title: "../..", Snippet: "x", SnapshotID: snap.ID, Origin: evidence.Suggested, Status: evidence.Accepted}
	if _, err := db.SaveAssessment(slug, nil, []evidence.Item{it}, ""); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	path, err := report.WriteBundle(db, rub, config.Authority{Slug: slug, Name: "Evil"}, out, report.BundleOptions{Now: func() time.Time { return bundleDay }})
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(out, path)
	if err != nil || !filepath.IsLocal(rel) || strings.Contains(rel, string(filepath.Separator)) {
		t.Fatalf("bundle at %s is not directly inside %s", path, out)
	}
	entries, _ := os.ReadDir(filepath.Dir(out))
	if len(entries) != 1 {
		t.Errorf("something was written beside the output folder: %v", entries)
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if !filepath.IsLocal(filepath.FromSlash(f.Name)) || strings.Contains(f.Name, "..") {
			t.Errorf("unsafe zip entry %q", f.Name)
		}
	}
}
