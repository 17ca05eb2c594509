package report_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/localoffer/localoffer/evidence"
	"github.com/localoffer/localoffer/report"
	"github.com/xuri/excelize/v2"
	"golang.org/x/net/html"
)

func build(t *testing.T, o report.Options) *report.Report {
	t.Helper()
	db, rub := seed(t)
	if o.Authorities == nil {
		o.Authorities = fixtureAuthorities()
	}
	o.Now = func() time.Time { return fixtureTime.Add(48 * time.Hour) }
	r, err := report.Build(db, rub, o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestNumbersEqualStore recomputes every count from the store's decisions
// directly and compares with the report's: cells, per authority, per
// sub-section, per section and in total.
func TestNumbersEqualStore(t *testing.T) {
	db, rub := seed(t)
	r, err := report.Build(db, rub, report.Options{Authorities: fixtureAuthorities(), ListSize: 23})
	if err != nil {
		t.Fatal(err)
	}
	var total report.Counts
	perSub := map[string]*report.Counts{}
	perSec := map[string]*report.Counts{}
	for _, a := range r.Authorities {
		decs, err := db.Decisions(a.Slug)
		if err != nil {
			t.Fatal(err)
		}
		var own report.Counts
		for i, sub := range rub.Subsections() {
			sec, _ := rub.SectionOf(sub.ID)
			if perSub[sub.ID] == nil {
				perSub[sub.ID] = &report.Counts{}
			}
			if perSec[sec.ID] == nil {
				perSec[sec.ID] = &report.Counts{}
			}
			d := decs[sub.ID]
			cell := a.Cell(sub.ID)
			var want evidence.Score
			if d.Reviewed && d.FinalScore.Valid() {
				want = d.FinalScore
			}
			if cell.Score != want {
				t.Errorf("%s %s: score %q, store says %q", a.Slug, sub.ID, cell.Score, want)
			}
			if fw := wantFixture(a.Slug, i); fw != want {
				t.Fatalf("fixture and store disagree on %s %s: %q vs %q", a.Slug, sub.ID, fw, want)
			}
			for _, c := range []*report.Counts{&own, &total, perSub[sub.ID], perSec[sec.ID]} {
				switch want {
				case evidence.Yes:
					c.Yes++
				case evidence.Partial:
					c.Partial++
				case evidence.No:
					c.No++
				default:
					c.Unreviewed++
				}
			}
		}
		if a.Counts != own {
			t.Errorf("%s counts %+v, store says %+v", a.Slug, a.Counts, own)
		}
	}
	if r.Totals != total {
		t.Errorf("totals %+v, store says %+v", r.Totals, total)
	}
	for _, st := range r.Subsections {
		if st.Counts != *perSub[st.Subsection.ID] {
			t.Errorf("%s counts %+v, store says %+v", st.Subsection.ID, st.Counts, *perSub[st.Subsection.ID])
		}
	}
	for _, sec := range r.Sections {
		if sec.Counts != *perSec[sec.Section.ID] {
			t.Errorf("%s counts %+v, store says %+v", sec.Section.ID, sec.Counts, *perSec[sec.Section.ID])
		}
	}
	// The fixture's Wirral has no decisions and Wigan has one draft: none
	// of those may count.
	if got := r.Authorities[4].Counts; got.Reviewed() != 0 || got.Unreviewed != 13 {
		t.Errorf("wirral counts %+v, want 13 not reviewed", got)
	}
	if c := r.Authorities[3].Cell("general.feedback"); c == nil {
		t.Fatal("no cell")
	}
	if !r.Subset || r.ListSize != 23 {
		t.Errorf("subset %v of %d, want a subset of 23", r.Subset, r.ListSize)
	}
	if len(r.RubricVersions) != 1 || r.RubricVersions[0] != rub.Version {
		t.Errorf("rubric versions %v, want [%s]", r.RubricVersions, rub.Version)
	}
	// The fixture gives every Partial an adviser's judgement.
	if r.PartialJudged != r.Totals.Partial || r.Totals.Partial == 0 {
		t.Errorf("%d of %d Partials judged, want all", r.PartialJudged, r.Totals.Partial)
	}
	if strings.Join(r.Reviewers, ",") != "ana" || strings.Join(r.Advisers, ",") != "sam" {
		t.Errorf("reviewers %v advisers %v", r.Reviewers, r.Advisers)
	}
}

func wantFixture(slug string, i int) evidence.Score { return want(slug, i) }

// TestHTMLNumbers checks the rendered numbers against the store: each
// heatmap row's labels and totals, and the key facts.
func TestHTMLNumbers(t *testing.T) {
	r := build(t, report.Options{})
	var buf bytes.Buffer
	if err := r.WriteHTML(&buf); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	table := find(doc, func(n *html.Node) bool { return attr(n, "id") == "heatmap-table" })
	if table == nil {
		t.Fatal("no heatmap table")
	}
	tbody := find(table, func(n *html.Node) bool { return n.Data == "tbody" })
	rows := findAll(tbody, func(n *html.Node) bool { return n.Data == "tr" })
	if len(rows) != len(fixtureScores) {
		t.Fatalf("heatmap has %d rows, want %d", len(rows), len(fixtureScores))
	}
	for ri, row := range rows {
		cells := findAll(row, func(n *html.Node) bool { return n.Data == "td" })
		if len(cells) != 1+13+3 {
			t.Fatalf("row %d has %d cells", ri, len(cells))
		}
		a := fixtureScores[ri]
		if got := text(cells[0]); got != a.name {
			t.Errorf("row %d is %q, want %q", ri, got, a.name)
		}
		var yes, partial, no int
		for i := 0; i < 13; i++ {
			w := want(a.slug, i)
			label := "Not reviewed"
			if w != "" {
				label = string(w)
			}
			if got := text(cells[1+i]); !strings.HasSuffix(got, label) {
				t.Errorf("%s column %d reads %q, want %q", a.slug, i, got, label)
			}
			switch w {
			case evidence.Yes:
				yes++
			case evidence.Partial:
				partial++
			case evidence.No:
				no++
			}
		}
		for i, n := range []int{yes, partial, no} {
			if got := text(cells[14+i]); got != strconv.Itoa(n) {
				t.Errorf("%s total %d reads %q, want %d", a.slug, i, got, n)
			}
		}
	}
	s := buf.String()
	for _, want := range []string{
		"<b>" + strconv.Itoa(r.Totals.Reviewed()) + "</b>of " + strconv.Itoa(r.Totals.Total()) + " scores fixed",
		"Yes (" + strconv.Itoa(r.Totals.Yes) + ")",
		"Partial (" + strconv.Itoa(r.Totals.Partial) + ")",
		"No (" + strconv.Itoa(r.Totals.No) + ")",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

// TestHTMLSections checks that every section of the brief's structure is
// there and has content drawn from the data.
func TestHTMLSections(t *testing.T) {
	r := build(t, report.Options{Notes: "# Next year\n- Re-assess **all 23** authorities\n- Ask the [DfE](https://www.gov.uk/dfe) <script>alert(1)</script>"})
	var buf bytes.Buffer
	if err := r.WriteHTML(&buf); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id, contains string
	}{
		{"summary", "This report covers 5 local authorities"},
		{"heatmap", "Not reviewed"},
		{"trends", "Early Years Specific Requirements"},
		{"weaknesses", "Post-16: Future Steps"},
		{"best-practice", "Bolton Council"},
		{"recommendations", "Nothing on the Local Offer covers this."},
		{"actions", "Bury Council"},
		{"future-work", "Re-assess all 23 authorities"},
		{"methodology", "version 1"},
	}
	for _, tt := range tests {
		sec := find(doc, func(n *html.Node) bool { return n.Data == "section" && attr(n, "id") == tt.id })
		if sec == nil {
			t.Errorf("no section %q", tt.id)
			continue
		}
		if !strings.Contains(text(sec), tt.contains) {
			t.Errorf("section %q lacks %q", tt.id, tt.contains)
		}
	}
	s := buf.String()
	if strings.Contains(s, "<script>alert") {
		t.Error("notes were not escaped")
	}
	if !strings.Contains(s, `<a href="https://www.gov.uk/dfe">DfE</a>`) {
		t.Error("notes link not rendered")
	}
	// Exactly one inline script (the sorter) and no external resources.
	if n := strings.Count(s, "<script"); n != 1 {
		t.Errorf("%d scripts, want 1", n)
	}
}

// TestHTMLSelfContained fails on anything the report would fetch when
// opened: a src, a stylesheet link, a CSS url() or @import. Links that a
// reader follows (<a href>) are fine.
func TestHTMLSelfContained(t *testing.T) {
	r := build(t, report.Options{})
	var buf bytes.Buffer
	if err := r.WriteHTML(&buf); err != nil {
		t.Fatal(err)
	}
	z := html.NewTokenizer(bytes.NewReader(buf.Bytes()))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		for _, a := range tok.Attr {
			switch {
			case a.Key == "src", a.Key == "srcset", a.Key == "poster", a.Key == "data" && tok.Data == "object":
				t.Errorf("<%s %s=%q> loads a resource", tok.Data, a.Key, a.Val)
			case a.Key == "href" && tok.Data != "a":
				t.Errorf("<%s href=%q> loads a resource", tok.Data, a.Val)
			case a.Key == "style" && strings.Contains(a.Val, "url("):
				t.Errorf("<%s style=%q> loads a resource", tok.Data, a.Val)
			}
		}
	}
	s := buf.String()
	if m := regexp.MustCompile(`url\(|@import|<iframe|<img|<link`).FindString(s); m != "" {
		t.Errorf("report contains %q", m)
	}
}

func TestCSVMatchesStore(t *testing.T) {
	r := build(t, report.Options{})
	var buf bytes.Buffer
	if err := r.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1+len(fixtureScores) || len(recs[0]) != 2+13+4 {
		t.Fatalf("csv is %d rows of %d", len(recs), len(recs[0]))
	}
	if recs[0][2] != "general.accessibility" || recs[0][14] != "post16.future" {
		t.Errorf("header %v", recs[0])
	}
	for ri, f := range fixtureScores {
		row := recs[ri+1]
		if row[0] != f.slug {
			t.Errorf("row %d is %s", ri, row[0])
		}
		for i := 0; i < 13; i++ {
			w := string(want(f.slug, i))
			if w == "" {
				w = report.NotReviewed
			}
			if row[2+i] != w {
				t.Errorf("%s %s = %q, want %q", f.slug, recs[0][2+i], row[2+i], w)
			}
		}
	}
}

func TestXLSXMatchesCSV(t *testing.T) {
	r := build(t, report.Options{})
	var cbuf, xbuf bytes.Buffer
	if err := r.WriteCSV(&cbuf); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteXLSX(&xbuf); err != nil {
		t.Fatal(err)
	}
	recs, _ := csv.NewReader(&cbuf).ReadAll()
	f, err := excelize.OpenReader(&xbuf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Scores")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(recs) {
		t.Fatalf("xlsx has %d rows, csv %d", len(rows), len(recs))
	}
	for i := range recs {
		if strings.Join(rows[i], "|") != strings.Join(recs[i], "|") {
			t.Errorf("row %d: xlsx %v, csv %v", i, rows[i], recs[i])
		}
	}
	detail, err := f.GetRows("Detail")
	if err != nil {
		t.Fatal(err)
	}
	if len(detail) != 1+13*len(fixtureScores) {
		t.Errorf("detail has %d rows", len(detail))
	}
}

// TestWritePDF prints the report with Chromium. Without Chromium it skips,
// except under CI, where a missing browser is a failure.
func TestWritePDF(t *testing.T) {
	chrome := report.FindChromium()
	if chrome == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but no chromium on PATH")
		}
		t.Skip("chromium not on PATH")
	}
	db, rub := seed(t)
	r, err := report.Build(db, rub, report.Options{Authorities: fixtureAuthorities()})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	fs, err := r.Write(context.Background(), db, dir, report.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if fs.PDF != "report.pdf" {
		t.Fatalf("no pdf: %s", fs.PDFSkipped)
	}
	b, err := os.ReadFile(filepath.Join(dir, "report.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("%PDF-")) || len(b) < 10000 {
		t.Errorf("report.pdf is not a PDF of substance (%d bytes)", len(b))
	}
}

// TestWriteFiles checks the output folder: the four files and the captured
// copies that best-practice links point at, with the captured bodies.
func TestWriteFiles(t *testing.T) {
	db, rub := seed(t)
	r, err := report.Build(db, rub, report.Options{Authorities: fixtureAuthorities()})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	fs, err := r.Write(context.Background(), db, dir, report.WriteOptions{Chromium: "-"})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"report.html", "scores.csv", "scores.xlsx"} {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	if len(r.Examples) == 0 || len(fs.Evidence) != len(r.Examples) {
		t.Fatalf("%d examples, %d evidence copies", len(r.Examples), len(fs.Evidence))
	}
	page, _ := os.ReadFile(filepath.Join(dir, "report.html"))
	for _, ex := range r.Examples {
		if !strings.HasPrefix(ex.SnapshotHref, "evidence/"+ex.Authority.Slug+"/") {
			t.Errorf("snapshot link %q", ex.SnapshotHref)
		}
		if !bytes.Contains(page, []byte(`href="`+ex.SnapshotHref+`"`)) {
			t.Errorf("report does not link %s", ex.SnapshotHref)
		}
		body, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(ex.SnapshotHref)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(body, []byte(ex.Item.Snippet)) {
			t.Errorf("%s does not hold the quoted text", ex.SnapshotHref)
		}
	}
}

func TestSnapshotURL(t *testing.T) {
	r := build(t, report.Options{SnapshotURL: "http://127.0.0.1:8080/snapshots/{id}"})
	for _, ex := range r.Examples {
		if ex.SnapshotHref != "http://127.0.0.1:8080/snapshots/"+ex.Item.SnapshotID {
			t.Errorf("snapshot link %q for %s", ex.SnapshotHref, ex.Item.SnapshotID)
		}
	}
	if !strings.Contains(r.SnapshotNote, "review server") {
		t.Errorf("note %q does not say where links lead", r.SnapshotNote)
	}
}

func TestSafeName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"bolton", "bolton"},
		{"../../etc/passwd", "etc-passwd"},
		{"..", "unnamed"},
		{"", "unnamed"},
		{"a/../b", "a-.-b"},
		{`C:\win`, "c--win"},
		{"Wirral Council", "wirral-council"},
		{"x..y", "x.y"},
	}
	for _, tt := range tests {
		got := report.SafeName(tt.in)
		if got != tt.want {
			t.Errorf("SafeName(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if !filepath.IsLocal(got) || strings.ContainsAny(got, `/\`) || strings.Contains(got, "..") {
			t.Errorf("SafeName(%q) = %q is not one safe path element", tt.in, got)
		}
	}
}

func find(n *html.Node, f func(*html.Node) bool) *html.Node {
	if n.Type == html.ElementNode && f(n) {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if m := find(c, f); m != nil {
			return m
		}
	}
	return nil
}

func findAll(n *html.Node, f func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && f(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}
