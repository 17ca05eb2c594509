package demo

import (
	"bytes"
	"fmt"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// PDF renders lines of text as a plain PDF 1.4 document: A4 pages of 12pt
// Helvetica with the title in bold, long lines wrapped, text encoded
// WinAnsi so that £ and curly quotes survive. Text extractors read it as
// they read a council's published leaflet.
func PDF(title string, lines []string) []byte {
	const perPage = 52
	var wrapped []string
	wrapped = append(wrapped, "\x00"+title, "")
	for _, l := range lines {
		wrapped = append(wrapped, wrap(l, 90)...)
	}
	var pages [][]string
	for len(wrapped) > 0 {
		n := min(perPage, len(wrapped))
		pages = append(pages, wrapped[:n])
		wrapped = wrapped[n:]
	}
	var buf bytes.Buffer
	var offsets []int
	obj := func(body string) {
		offsets = append(offsets, buf.Len())
		fmt.Fprintf(&buf, "%d 0 obj\n%s\nendobj\n", len(offsets), body)
	}
	buf.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	// 1 catalog, 2 pages, 3 font, 4 bold font, 5 info, then page+content pairs.
	kids := make([]string, len(pages))
	for i := range pages {
		kids[i] = fmt.Sprintf("%d 0 R", 6+2*i)
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(pages)))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
	obj(fmt.Sprintf("<< /Title (%s) /Producer (localoffer demo) >>", pdfString(title)))
	for i, pl := range pages {
		var cs strings.Builder
		cs.WriteString("BT\n/F1 12 Tf\n15 TL\n50 800 Td\n")
		for _, l := range pl {
			if strings.HasPrefix(l, "\x00") {
				fmt.Fprintf(&cs, "/F2 16 Tf\n(%s) Tj T*\n/F1 12 Tf\n", pdfString(l[1:]))
				continue
			}
			fmt.Fprintf(&cs, "(%s) Tj T*\n", pdfString(l))
		}
		cs.WriteString("ET\n")
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>", 7+2*i))
		obj(fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", cs.Len(), cs.String()))
	}
	xref := buf.Len()
	fmt.Fprintf(&buf, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&buf, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&buf, "trailer\n<< /Size %d /Root 1 0 R /Info 5 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return buf.Bytes()
}

// pdfString encodes s as WinAnsi and escapes it for a PDF literal string.
func pdfString(s string) string {
	enc, err := charmap.Windows1252.NewEncoder().String(s)
	if err != nil {
		enc = strings.Map(func(r rune) rune {
			if r > 126 {
				return '?'
			}
			return r
		}, s)
	}
	r := strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`, "\r", "", "\t", " ")
	return r.Replace(enc)
}

// wrap breaks a line at spaces so that no piece is longer than width.
func wrap(s string, width int) []string {
	if len(s) <= width {
		return []string{s}
	}
	var out []string
	words := strings.Fields(s)
	cur := ""
	for _, w := range words {
		if cur != "" && len(cur)+1+len(w) > width {
			out = append(out, cur)
			cur = w
			continue
		}
		if cur == "" {
			cur = w
		} else {
			cur += " " + w
		}
	}
	if cur != "" {
		out = append(out, cur)
	}
	return out
}
