package extract

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// TestMalformed feeds inputs a crawl really meets; each must give a clear
// error or a Document, never a panic, and any text must be valid UTF-8.
func TestMalformed(t *testing.T) {
	junk := make([]byte, 4096)
	for i := range junk {
		junk[i] = byte(i*7 + i/13)
	}
	long := "<html><body><p>" + strings.Repeat("special educational needs ", 10<<20/25) // 10 MB, one line
	deep := strings.Repeat("<div>", 100000) + "deep text" + strings.Repeat("</div>", 100000)
	cases := []struct {
		name        string
		body        []byte
		contentType string
		wantErr     error  // nil: a Document is wanted
		wantText    string // text the document must hold
		wantWarning string
	}{
		{name: "empty", body: nil, contentType: "text/html", wantWarning: "empty body"},
		{name: "white space", body: []byte(" \n\t "), contentType: "text/html", wantWarning: "empty body"},
		{name: "binary junk as html", body: junk, contentType: "text/html", wantErr: ErrBinary},
		{name: "10 MB single line", body: []byte(long), contentType: "text/html", wantText: "special educational needs special", wantWarning: "truncated"},
		{name: "100000 nested elements", body: []byte(deep), contentType: "text/html", wantText: "deep text", wantWarning: "flattened"},
		{name: "invalid utf-8", body: []byte("<p>caf\xc3\xa9 \xff\xfe broken</p>"), contentType: "text/html; charset=utf-8", wantText: "café \uFFFD broken"},
		{name: "unclosed and misnested tags", body: []byte("<div><p>One<li>Two</table></b>Three<td>Four"), contentType: "text/html", wantText: "Four"},
		{name: "only a script", body: []byte("<script>var a = '<p>not text</p>';</script>"), contentType: "text/html"},
		{name: "broken pdf", body: []byte("%PDF-1.5\n1 0 obj <<"), contentType: "application/pdf", wantErr: ErrBrokenPDF},
		{name: "pdf labelled html", body: samplePDF(), contentType: "text/html", wantText: "Ask the Short Breaks Team"},
		{name: "broken docx", body: []byte("PK\x03\x04 not really a zip"), contentType: mimeDocx, wantErr: zip.ErrFormat},
		{name: "legacy doc", body: []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest"), contentType: mimeDoc, wantErr: ErrUnsupported},
		{name: "image", body: []byte("\x89PNG\r\n\x1a\n\x00\x00"), contentType: "image/png", wantErr: ErrUnsupported},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := Any(c.body, c.contentType, "https://x.example/page")
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("Any() error = %v, want %v", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Any() error = %v", err)
			}
			text := d.MainText()
			if !utf8.ValidString(text) || !utf8.ValidString(d.Title) {
				t.Error("text is not valid UTF-8")
			}
			if !strings.Contains(text, c.wantText) {
				t.Errorf("text lacks %q:\n%.300s", c.wantText, text)
			}
			if c.wantText == "" && strings.TrimSpace(text) != "" {
				t.Errorf("text = %.200q, want none", text)
			}
			if c.wantWarning != "" && !slices.ContainsFunc(d.Warnings, func(w string) bool { return strings.Contains(w, c.wantWarning) }) {
				t.Errorf("warnings %q lack %q", d.Warnings, c.wantWarning)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	cp1252 := []byte("\x93Caf\xe9\x94 costs \x805 \x96 \x91ok\x92")
	const want1252 = "“Café” costs €5 – ‘ok’"
	cases := []struct {
		name        string
		body        []byte
		contentType string
		want        string
		charset     string
	}{
		{"windows-1252 header", cp1252, "text/html; charset=windows-1252", want1252, "windows-1252"},
		{"latin-1 label reads as windows-1252", cp1252, "text/html; charset=ISO-8859-1", want1252, "windows-1252"},
		{"meta charset", append([]byte(`<meta charset="windows-1252"><p>`), cp1252...), "text/html", "<meta charset=\"windows-1252\"><p>" + want1252, "windows-1252"},
		{"http-equiv meta", append([]byte(`<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">`), cp1252...), "", `<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">` + want1252, "windows-1252"},
		{"undeclared legacy bytes", cp1252, "", want1252, "windows-1252"},
		{"utf-8 label over legacy bytes", cp1252, "text/html; charset=utf-8", want1252, "windows-1252"},
		{"latin-1 label over utf-8 bytes", []byte("caf\xc3\xa9 \xe2\x82\xac5"), "text/html; charset=iso-8859-1", "café €5", "utf-8"},
		{"undeclared utf-8", []byte("caf\xc3\xa9"), "", "café", "utf-8"},
		{"utf-8 bom", []byte("\xef\xbb\xbfcaf\xc3\xa9"), "text/html", "café", "utf-8"},
		{"utf-16le bom", []byte("\xff\xfec\x00a\x00f\x00\xe9\x00"), "", "café", "utf-16le"},
		{"utf-8 with a stray byte", []byte("caf\xc3\xa9 \xff"), "text/html; charset=utf-8", "café \uFFFD", "utf-8"},
		{"ascii", []byte("plain"), "text/plain", "plain", "windows-1252"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, cs, err := Decode(c.body, c.contentType)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want || cs != c.charset {
				t.Errorf("Decode(%q, %q) = %q, %q; want %q, %q", c.body, c.contentType, got, cs, c.want, c.charset)
			}
		})
	}
	if _, _, err := Decode([]byte("GIF89a\x00\x01\x00\x00"), "text/html"); !errors.Is(err, ErrBinary) {
		t.Errorf("Decode(binary) error = %v, want ErrBinary", err)
	}
}

func TestPathWords(t *testing.T) {
	cases := map[string]string{
		"https://x.example/send/local-offer/":                          "send local offer",
		"https://x.example/Local-Offer/earlyYears_support.aspx?id=3#a": "local offer early years support",
		"https://x.example/kb5/x/localoffer/advice.page?id=Qx7":        "kb5 x localoffer advice",
		"https://x.example/downloads/2024report.pdf":                   "downloads 2024 report",
		"https://x.example/":                                           "",
		"https://x.example/caf%C3%A9/SEND2":                            "café send2",
	}
	for in, want := range cases {
		if got := strings.Join(PathWords(in), " "); got != want {
			t.Errorf("PathWords(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTitle(t *testing.T) {
	cases := []struct{ name, html, want string }{
		{"title element", "<title> Short  breaks </title><h1>Other</h1>", "Short breaks"},
		{"og:title when no title", `<meta property="og:title" content="Family hubs"><h1>Other</h1>`, "Family hubs"},
		{"h1 when nothing else", "<h1>Travel <em>help</em></h1><p>x</p>", "Travel help"},
	}
	for _, c := range cases {
		d, err := HTML([]byte(c.html), "text/html", "https://x.example/")
		if err != nil {
			t.Fatal(err)
		}
		if d.Title != c.want {
			t.Errorf("%s: Title = %q, want %q", c.name, d.Title, c.want)
		}
	}
}

// TestSiteRepetition checks that repetition, not the page alone, removes
// the fixture site's sidebar and footer, and only once enough pages are
// learned.
func TestSiteRepetition(t *testing.T) {
	pages, _ := filepath.Glob(filepath.Join(fixtures, "site", "*.html"))
	page, err := os.ReadFile(filepath.Join(fixtures, "site", "contact.html"))
	if err != nil {
		t.Fatal(err)
	}
	const chrome = "Jargon buster"
	single, err := HTML(page, "text/html", "https://www.wealdshire.example/send/contact/")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(single.MainText(), chrome) {
		t.Fatalf("single-page extraction already drops %q; the test needs a block only repetition reveals", chrome)
	}
	s := NewSite()
	for i, p := range pages {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		s.Learn(b, "text/html", "https://www.wealdshire.example/"+filepath.Base(p))
		d, err := s.Document(page, "text/html", "https://www.wealdshire.example/send/contact/")
		if err != nil {
			t.Fatal(err)
		}
		learned := i + 1
		has := strings.Contains(d.MainText(), chrome)
		if learned < DefaultMinPages && !has {
			t.Errorf("after %d pages the sidebar is already gone", learned)
		}
		if learned >= DefaultMinPages && has {
			t.Errorf("after %d pages the sidebar is still there:\n%s", learned, d.MainText())
		}
		if !strings.Contains(d.MainText(), "Telephone 01632 960111") {
			t.Errorf("after %d pages the page's own text is gone", learned)
		}
		// The page repeats the sidebar's help sentence in its own text:
		// there it is content, amid sentences that do not repeat.
		const shared = "Need help reading this page?"
		if n := strings.Count(d.MainText(), shared); learned >= DefaultMinPages && n != 1 {
			t.Errorf("after %d pages the shared sentence appears %d times, want once (in the content)", learned, n)
		}
	}
}

func TestWord(t *testing.T) {
	const docXML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>
<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Home to school travel</w:t></w:r></w:p>
<w:p><w:r><w:t xml:space="preserve">Children with an </w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>EHC plan</w:t></w:r><w:r><w:t xml:space="preserve"> may qualify.</w:t></w:r></w:p>
<w:p><w:pPr><w:pStyle w:val="Heading2"/></w:pPr><w:r><w:t>Options</w:t></w:r></w:p>
<w:p><w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr><w:r><w:t>Bus pass</w:t></w:r></w:p>
<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Age</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Distance</w:t></w:r></w:p></w:tc></w:tr>
<w:tr><w:tc><w:p><w:r><w:t>Under 8</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>2 miles</w:t></w:r><w:r><w:tab/><w:t>or more</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
</w:body></w:document>`
	const coreXML = `<?xml version="1.0"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Travel Policy 2025</dc:title></cp:coreProperties>`
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range map[string]string{"[Content_Types].xml": "<Types/>", "word/document.xml": docXML, "docProps/core.xml": coreXML} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	zw.Close()
	d, err := Any(buf.Bytes(), "application/octet-stream", "https://x.example/docs/travel-policy.docx")
	if err != nil {
		t.Fatal(err)
	}
	want := `url: https://x.example/docs/travel-policy.docx
kind: doc
title: Travel Policy 2025
path words: docs travel policy
headings: Home to school travel / Options

## h1 Home to school travel
Children with an EHC plan may qualify.

## h2 Options  [in: Home to school travel]
- Bus pass
Age | Distance
Under 8 | 2 miles or more

links:
nav links:
`
	if got := dump(d); got != want {
		t.Errorf("Word document:\n%s\nwant:\n%s", got, want)
	}
}

func TestSniff(t *testing.T) {
	cases := map[string]string{
		"%PDF-1.4\n...":                  "pdf",
		"\n\n%PDF-1.7":                   "pdf",
		"PK\x03\x04rest":                 "zip",
		"<!DOCTYPE html><html>":          "html",
		"  <div class=a>text</div>":      "html",
		"Just some words.\nAnother line": "text",
		"\x00\x01\x02\x03binary":         "binary",
	}
	for in, want := range cases {
		if got := sniff([]byte(in)); got != want {
			t.Errorf("sniff(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSubtree(t *testing.T) {
	d := &Document{Sections: []Section{
		{Text: "intro"},
		{Heading: "A", Level: 2, Text: "a"},
		{Heading: "A1", Level: 3, Text: "a1"},
		{Heading: "A2", Level: 3, Text: "a2"},
		{Heading: "B", Level: 2, Text: "b"},
	}}
	cases := map[int]string{0: "intro\n", 1: "A\na\nA1\na1\nA2\na2\n", 2: "A1\na1\n", 4: "B\nb\n", 5: "", -1: ""}
	for i, want := range cases {
		if got := d.Subtree(i); got != want {
			t.Errorf("Subtree(%d) = %q, want %q", i, got, want)
		}
	}
}

// TestResolve checks that the fast path for common links agrees with
// net/url on every href, so it can never change a link.
func TestResolve(t *testing.T) {
	bases := []string{"https://www.council.example/send/page", "http://la.example:8080/a/b/?q=1", "https://x.example"}
	hrefs := []string{
		"/send/local-offer", "/", "/a/./b", "/a/../b", "/kb5/x/advice.page?id=Qx7", "/search?q=a&b=c",
		"https://other.example/path", "https://other.example", "http://other.example/?a=b", "/a#frag",
		"https://other.example/a#frag", "//cdn.example/x", "/a b", "/caf%C3%A9", "relative/path",
		"../up", "?q=1", "https://user@host.example/", "https://HOST.example/A", "mailto:a@b.example",
		"javascript:void(0)", "/a:b", "https://h.example/a?x=1?y=2", "https://h.example:443/a",
	}
	for _, b := range bases {
		base, _ := url.Parse(b)
		r := &renderer{p: &pageState{base: base}}
		for _, h := range hrefs {
			got := r.resolve(h)
			want := ""
			if u, err := base.Parse(h); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
				u.Fragment, u.RawFragment = "", ""
				want = u.String()
			}
			if got != want {
				t.Errorf("resolve(%q) against %s = %q, want %q", h, b, got, want)
			}
		}
	}
}

// TestSiteConcurrent learns and extracts from several goroutines at once,
// as the assessment pipeline does; run with -race.
func TestSiteConcurrent(t *testing.T) {
	pages := benchPages(t, 40)
	s := NewSite()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < len(pages); i += 4 {
				s.Learn(pages[i], "text/html", "https://x.example/")
			}
		})
	}
	wg.Wait()
	if s.Pages() != len(pages) {
		t.Fatalf("Pages() = %d, want %d", s.Pages(), len(pages))
	}
	texts := make([]string, len(pages))
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < len(pages); i += 4 {
				d, err := s.Document(pages[i], "text/html", "https://x.example/")
				if err != nil {
					t.Error(err)
					return
				}
				texts[i] = d.MainText()
			}
		})
	}
	wg.Wait()
	for i, text := range texts {
		if strings.Contains(text, "Jargon buster") || !strings.Contains(text, fmt.Sprintf("(ref %d-0)", i)) {
			t.Errorf("page %d extracted wrongly: %.200q", i, text)
		}
	}
}

func TestStripTitle(t *testing.T) {
	s := NewSite()
	for i := range 6 {
		page := fmt.Sprintf("<title>Page %d | Anyshire Council - Local Offer</title><p>text %d</p>", i, i)
		s.Learn([]byte(page), "text/html", "https://x.example/")
	}
	cases := map[string]string{
		"Short breaks | Anyshire Council - Local Offer": "Short breaks",
		"Anyshire Council - Local Offer":                "Anyshire Council - Local Offer",
		"Anyshire Council | Anyshire Council":           "Anyshire Council",
		"Plain title":                                   "Plain title",
		"Early years - funded places | Local Offer":     "Early years - funded places",
	}
	for in, want := range cases {
		if got := s.stripTitle(in); got != want {
			t.Errorf("stripTitle(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestTableHeaders checks that data cells are read with their column's
// header when the table opens with a row of th cells, and left alone
// otherwise: a timeline row "20 | The final plan is issued" only means
// something as "Week: 20".
func TestTableHeaders(t *testing.T) {
	cases := []struct {
		name, table string
		want        []string
		notWant     []string
	}{
		{
			name:  "header row",
			table: "<tr><th>Week</th><th>What happens</th></tr><tr><td>20</td><td>The final plan is issued</td></tr>",
			want:  []string{"Week | What happens", "Week: 20 | What happens: The final plan is issued"},
		},
		{
			name:  "thead and empty cell",
			table: "<thead><tr><th>Age</th><th>Hours</th></tr></thead><tbody><tr><td>2</td><td></td><td>x</td></tr></tbody>",
			want:  []string{"Age: 2 | | x"},
		},
		{
			name:    "no header row",
			table:   "<tr><td>Week</td><td>What happens</td></tr><tr><td>20</td><td>The final plan is issued</td></tr>",
			want:    []string{"20 | The final plan is issued"},
			notWant: []string{"Week: 20"},
		},
		{
			name:    "row headers only",
			table:   "<tr><th>Phone</th><td>01234 567890</td></tr><tr><th>Email</th><td>send@example.gov.uk</td></tr>",
			want:    []string{"Phone | 01234 567890", "Email | send@example.gov.uk"},
			notWant: []string{"Phone: Email"},
		},
		{
			name:    "cell already names its header",
			table:   "<tr><th>Week</th><th>Step</th></tr><tr><td>Week 20</td><td>Plan issued</td></tr>",
			want:    []string{"Week 20 | Step: Plan issued"},
			notWant: []string{"Week: Week"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := "<html><body><main><h1>Timeline</h1><table>" + c.table + "</table></main></body></html>"
			d, err := Any([]byte(body), "text/html", "https://x.example/page")
			if err != nil {
				t.Fatal(err)
			}
			var text strings.Builder
			for _, s := range d.Sections {
				text.WriteString(s.Text + "\n")
			}
			for _, w := range c.want {
				if !strings.Contains(text.String(), w) {
					t.Errorf("text lacks %q:\n%s", w, text.String())
				}
			}
			for _, w := range c.notWant {
				if strings.Contains(text.String(), w) {
					t.Errorf("text has %q:\n%s", w, text.String())
				}
			}
		})
	}
}
