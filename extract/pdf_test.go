package extract

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// pdfText is one line for makePDF: bold or regular Helvetica at a size.
type pdfText struct {
	bold bool
	size float64
	text string
}

// makePDF writes a minimal but valid PDF 1.4 file: one page per slice of
// lines, set top-down with Helvetica, compressed content streams, a real
// cross-reference table, and an Info title.
func makePDF(title string, pages [][]pdfText) []byte {
	esc := func(s string) string {
		r := strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`)
		return r.Replace(s)
	}
	objs := map[int]string{
		1: "<< /Type /Catalog /Pages 2 0 R >>",
		3: "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
		4: "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
		5: fmt.Sprintf("<< /Title (%s) >>", esc(title)),
	}
	var kids []string
	for i, lines := range pages {
		var ops bytes.Buffer
		ops.WriteString("BT\n")
		y := 780.0
		for _, l := range lines {
			font := "F1"
			if l.bold {
				font = "F2"
			}
			y -= l.size * 1.5
			fmt.Fprintf(&ops, "/%s %g Tf\n1 0 0 1 72 %g Tm (%s) Tj\n", font, l.size, y, esc(l.text))
		}
		fmt.Fprintf(&ops, "/F1 8 Tf\n1 0 0 1 72 30 Tm (Wealdshire County Council | Page %d of %d) Tj\nET\n", i+1, len(pages))
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		zw.Write(ops.Bytes())
		zw.Close()
		pn, cn := 6+2*i, 7+2*i
		kids = append(kids, fmt.Sprintf("%d 0 R", pn))
		objs[pn] = fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>", cn)
		objs[cn] = fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream", z.Len(), z.String())
	}
	objs[2] = fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(pages))
	var out bytes.Buffer
	out.WriteString("%PDF-1.4\n")
	n := 6 + 2*len(pages)
	offsets := make([]int, n)
	for i := 1; i < n; i++ {
		offsets[i] = out.Len()
		fmt.Fprintf(&out, "%d 0 obj\n%s\nendobj\n", i, objs[i])
	}
	xref := out.Len()
	fmt.Fprintf(&out, "xref\n0 %d\n0000000000 65535 f\r\n", n)
	for i := 1; i < n; i++ {
		fmt.Fprintf(&out, "%010d 00000 n\r\n", offsets[i])
	}
	fmt.Fprintf(&out, "trailer\n<< /Size %d /Root 1 0 R /Info 5 0 R >>\nstartxref\n%d\n%%%%EOF\n", n, xref)
	return out.Bytes()
}

func samplePDF() []byte {
	body := func(s string) pdfText { return pdfText{size: 10, text: s} }
	return makePDF("Short Breaks Statement 2025", [][]pdfText{
		{
			{bold: true, size: 18, text: "Short Breaks Statement"},
			body("This statement describes short breaks for disabled children"),
			body("and how families can use them."),
			{bold: true, size: 13, text: "1. Who can get a short break"},
			body("Any child with a disability who lives in Wealdshire."),
		},
		{
			{bold: true, size: 13, text: "2. How to apply"},
			body("Ask the Short Breaks Team for an assessment."),
			{bold: true, size: 10, text: "Contact"},
			body("Telephone 01632 960222."),
		},
	})
}

func TestPDF(t *testing.T) {
	d, err := PDF(samplePDF(), "https://www.wealdshire.example/documents/short-breaks-statement.pdf")
	if err != nil {
		t.Fatal(err)
	}
	if d.Kind != "pdf" || d.Title != "Short Breaks Statement 2025" {
		t.Errorf("kind, title = %q, %q", d.Kind, d.Title)
	}
	got := dump(d)
	for _, want := range []string{
		"## h1 Short Breaks Statement\nThis statement describes short breaks for disabled children and how families can use them.\n",
		"## h2 1. Who can get a short break  [in: Short Breaks Statement]\nAny child with a disability who lives in Wealdshire.\n",
		"## h2 2. How to apply  [in: Short Breaks Statement]\n",
		"## h3 Contact  [in: Short Breaks Statement > 2. How to apply]\nTelephone 01632 960222.\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("PDF document lacks %q; got\n%s", want, got)
		}
	}
	if strings.Contains(got, "Page 1 of 2") {
		t.Errorf("running footer kept:\n%s", got)
	}
	if w := strings.Join(d.PathWords, " "); w != "documents short breaks statement" {
		t.Errorf("PathWords = %q", w)
	}
}

func TestPDFBroken(t *testing.T) {
	good := samplePDF()
	cases := []struct {
		name    string
		body    []byte
		mustErr bool // false: the damage may be repaired, but never a panic
	}{
		{"header only", []byte("%PDF-1.4\n"), true},
		{"truncated", good[:len(good)/2], true},
		{"garbage after header", append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte{0xff, 0x00, 0x13}, 500)...), true},
		{"bad xref offset", bytes.Replace(good, []byte("0000000009 00000 n"), []byte("0009999999 00000 n"), 1), false},
		{"bad stream", bytes.Replace(good, []byte("/FlateDecode"), []byte("/LZWDecode  "), 1), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := PDF(c.body, "https://x.example/a.pdf")
			switch {
			case err != nil && !errors.Is(err, ErrBrokenPDF):
				t.Errorf("error %q does not wrap ErrBrokenPDF", err)
			case err == nil && c.mustErr:
				t.Errorf("PDF(%s) = %+v, want an error", c.name, d)
			case err == nil && d == nil:
				t.Error("nil document and nil error")
			}
		})
	}
}

func TestPlainPDF(t *testing.T) {
	text := "Short Breaks Statement\n\nThis statement describes short breaks\nfor disabled children.\n\n• Holiday clubs\n• Overnight stays\n\fPage two starts\nhere.\n"
	d := &Document{}
	plainPDF(d, text)
	want := "Short Breaks Statement\nThis statement describes short breaks for disabled children.\n• Holiday clubs\n• Overnight stays\nPage two starts here.\n"
	if got := d.MainText(); got != want {
		t.Errorf("plainPDF text = %q, want %q", got, want)
	}
}

// TestPDFToText runs poppler's pdftotext when it is installed.
func TestPDFToText(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext not installed")
	}
	text, err := pdftotext(samplePDF())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "Ask the Short Breaks Team") {
		t.Errorf("pdftotext text lacks the body: %q", text)
	}
	if _, err := pdftotext([]byte("%PDF-1.4 broken")); err == nil {
		t.Error("pdftotext on a broken file gave no error")
	}
}

func TestStartsItem(t *testing.T) {
	cases := map[string]bool{
		"• Holiday clubs": true, "- dash item": true, "1. First": true, "a) option": true,
		"12) twelve": true, "2024 was a year": false, "Plain sentence.": false, "1.5 million": false,
	}
	for in, want := range cases {
		if got := startsItem(in); got != want {
			t.Errorf("startsItem(%q) = %v, want %v", in, got, want)
		}
	}
}
