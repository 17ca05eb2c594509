package extract

import (
	"archive/zip"
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Crawled bodies come from sites nobody here controls. Whatever the bytes,
// extraction must return a document whose every string is valid UTF-8 (the
// store, the JSON export and the review pages all assume it) or an error
// of a documented kind; it must never panic.

// checkDoc requires every string of doc to be valid UTF-8 and its section
// levels to be in range.
func checkDoc(t *testing.T, doc *Document) {
	t.Helper()
	if doc == nil {
		t.Fatal("nil Document without an error")
	}
	bad := func(what, s string) {
		if !utf8.ValidString(s) {
			t.Fatalf("%s is not valid UTF-8: %q", what, s)
		}
	}
	bad("title", doc.Title)
	for _, h := range doc.Headings {
		bad("heading", h)
	}
	for _, s := range doc.Sections {
		bad("section heading", s.Heading)
		bad("section text", s.Text)
		for _, p := range s.Path {
			bad("section path", p)
		}
		if s.Level < 0 || s.Level > 6 {
			t.Fatalf("section level %d", s.Level)
		}
	}
	for _, l := range append(append([]Link(nil), doc.Links...), doc.NavLinks...) {
		bad("link text", l.Text)
	}
}

// hostileHTML are pages a hostile or broken site serves.
var hostileHTML = map[string][]byte{
	"deep nesting":  []byte("<html><body>" + strings.Repeat("<div>", 100000) + "<p>deep SEND local offer text</p>" + strings.Repeat("</div>", 100000) + "</body></html>"),
	"deep tables":   []byte("<table><tr><td>" + strings.Repeat("<table><tr><td>", 20000) + "SEND support"),
	"deep inline":   []byte("<p>" + strings.Repeat("<b><i>", 50000) + "SEND support"),
	"invalid utf-8": []byte("<html><head><title>Bad \xff\xfe</title></head><body><h1>\xc3\x28 Heading</h1><p>Special \xed\xa0\x80 educational \xf0\x28\x8c\xbc needs</p><a href='/x'>\xff link</a></body></html>"),
	"wrong charset": []byte("<html><head><meta charset=shift_jis><title>Caf\xe9</title></head><body><p>Parents\x92 guide \x96 SEND</p></body></html>"),
	"utf-16 claim":  []byte("<html><head><meta charset=utf-16></head><body><p>SEND local offer</p></body></html>"),
	"unclosed":      []byte("<html><body><h2>Heading<p>text <a href='x'>link <table><tr><td>cell"),
	"script flood":  []byte("<script>" + strings.Repeat("var x='<p>not text</p>';", 10000) + "</script><p>real text</p>"),
	"attr flood":    []byte("<p " + strings.Repeat("a=b ", 100000) + ">text</p>"),
	"nul bytes":     []byte("<p>SEND\x00local\x00offer</p>"),
	"many headings": []byte(strings.Repeat("<h2>Heading</h2><h3>Sub</h3>", 20000)),
	"xss payloads":  []byte(`<h1><script>alert(1)</script>Title</h1><p onclick="alert(2)">text <img src=x onerror=alert(3)> <a href="javascript:alert(4)">link</a></p><svg><script>alert(5)</script></svg>`),
}

func FuzzHTML(f *testing.F) {
	for _, b := range hostileHTML {
		if len(b) < 4096 {
			f.Add(b, "text/html; charset=utf-8")
		}
	}
	f.Add([]byte("<html><head><title>T</title></head><body><nav><a href='/'>Home</a></nav><main><h1>SEND</h1><p>Local offer</p></main></body></html>"), "text/html")
	f.Add([]byte("\xef\xbb\xbf<p>bom</p>"), "text/html; charset=windows-1252")
	f.Add([]byte("\xff\xfe<\x00p\x00>\x00"), "text/html; charset=utf-16le")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		doc, err := HTML(body, contentType, "https://la.test/send/page")
		if err != nil {
			if !errors.Is(err, ErrBinary) && !errors.Is(err, ErrEmpty) {
				t.Fatalf("HTML error %v is not ErrBinary or ErrEmpty", err)
			}
			return
		}
		checkDoc(t, doc)
	})
}

// minimalPDF is a one-page PDF with one line of text.
const minimalPDF = "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>endobj\n4 0 obj<</Length 52>>stream\nBT /F1 24 Tf 72 700 Td (SEND Local Offer guide) Tj ET\nendstream endobj\n5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\ntrailer<</Root 1 0 R/Size 6>>\n%%EOF\n"

func FuzzPDF(f *testing.F) {
	f.Add([]byte(minimalPDF))
	f.Add([]byte("%PDF-1.7\n1 0 obj << /Length 99999999 >> stream\n\x00\x01garbage, not a PDF at all"))
	f.Add([]byte("<html><body>This is not a PDF</body></html>"))
	f.Add([]byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 1 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF"))
	f.Add([]byte("%PDF-1.4\n1 0 obj<</Type/Pages/Kids[1 0 R]/Count 1>>endobj\ntrailer<</Root<</Pages 1 0 R>>>>\n%%EOF"))
	old := PDFTimeout
	PDFTimeout = 5 * time.Second
	defer func() { PDFTimeout = old }()
	f.Fuzz(func(t *testing.T, body []byte) {
		doc, err := PDF(body, "https://la.test/guide.pdf")
		if err != nil {
			if !errors.Is(err, ErrBrokenPDF) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("PDF error %v is not ErrBrokenPDF or ErrUnsupported", err)
			}
			if strings.Contains(err.Error(), "took longer") {
				t.Fatalf("reading %d bytes ran into the timeout: %v", len(body), err)
			}
			return
		}
		checkDoc(t, doc)
	})
}

func FuzzAny(f *testing.F) {
	f.Add([]byte(minimalPDF), "application/pdf")
	f.Add([]byte("<p>text</p>"), "application/pdf")
	f.Add([]byte("plain text\n\nparagraph"), "text/plain")
	f.Add(docxBomb(1<<20), "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
	f.Add([]byte("PK\x03\x04garbage"), "")
	f.Add([]byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1garbage"), "application/msword")
	f.Add([]byte{0, 1, 2, 3, 0xff}, "image/png")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		doc, err := Any(body, contentType, "https://la.test/file")
		if err != nil {
			for _, want := range []error{ErrBinary, ErrEmpty, ErrBrokenPDF, ErrUnsupported} {
				if errors.Is(err, want) {
					return
				}
			}
			// Word files have their own error; any error must at least
			// say what it read.
			if !strings.Contains(err.Error(), "la.test/file") {
				t.Fatalf("Any error %q does not name the file", err)
			}
			return
		}
		checkDoc(t, doc)
	})
}

// docxBomb builds a .docx whose document.xml inflates to n bytes of one
// repeated paragraph.
func docxBomb(n int) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("[Content_Types].xml")
	w.Write([]byte(`<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`))
	w, _ = zw.Create("word/document.xml")
	w.Write([]byte(`<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>`))
	para := []byte(`<w:p><w:r><w:t>SEND local offer</w:t></w:r></w:p>`)
	for i := 0; i < n/len(para); i++ {
		w.Write(para)
	}
	w.Write([]byte(`</w:body></w:document>`))
	zw.Close()
	return buf.Bytes()
}

// TestHostileDocuments runs extraction on the bodies a hostile site serves
// (see the crawler's fault server): each gives a valid document or a
// documented error, and keeps the text that was there to find.
func TestHostileDocuments(t *testing.T) {
	for name, body := range hostileHTML {
		t.Run(name, func(t *testing.T) {
			doc, err := HTML(body, "text/html", "https://la.test/p")
			if name == "nul bytes" && errors.Is(err, ErrBinary) {
				return // NUL bytes mark a binary body: a documented refusal
			}
			if err != nil {
				t.Fatalf("HTML: %v", err)
			}
			checkDoc(t, doc)
			text := doc.MainText()
			switch name {
			case "deep nesting":
				if !strings.Contains(text, "deep SEND local offer text") {
					t.Errorf("text of the deeply nested page lost: %.200q", text)
				}
			case "invalid utf-8":
				if !strings.Contains(text, "educational") {
					t.Errorf("readable words around invalid bytes lost: %q", text)
				}
			case "xss payloads", "script flood":
				if strings.Contains(text, "alert(") || strings.Contains(text, "not text") {
					t.Errorf("script text leaked into the main text: %.200q", text)
				}
			}
		})
	}
	t.Run("docx bomb", func(t *testing.T) {
		// More XML than the reader takes, inflating from a zip of a few
		// hundred KB: read up to the limit, not whole.
		if testing.Short() {
			t.Skip("inflates 68 MiB")
		}
		doc, err := Any(docxBomb(maxWordXML+4<<20), mimeDocx, "https://la.test/bomb.docx")
		if err != nil {
			return // refused: fine
		}
		checkDoc(t, doc)
		if n := len(doc.MainText()); n > maxWordXML {
			t.Errorf("kept %d bytes of text from a bomb", n)
		}
	})
	t.Run("not a pdf", func(t *testing.T) {
		_, err := Any([]byte("%PDF-1.7\n1 0 obj << /Length 99999999 >> stream\n\x00\x01garbage"), "application/pdf", "https://la.test/fake.pdf")
		if err == nil {
			return // pdftotext may salvage nothing and return an empty document
		}
		if !errors.Is(err, ErrBrokenPDF) {
			t.Errorf("fake PDF: %v, want ErrBrokenPDF", err)
		}
	})
}
