package extract

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// maxWordXML bounds how much decompressed XML is read from a .docx, so a
// zip bomb cannot exhaust memory.
const maxWordXML = 64 << 20

// maxWordText bounds the text kept from one Word document.
const maxWordText = 4 << 20

// Word extracts the text of a Word document (.docx: paragraphs, heading
// styles as sections, tables as "cell | cell" rows, list items). Legacy
// binary .doc files give an error wrapping ErrUnsupported; a broken file
// gives a clear error.
func Word(body []byte, pageURL string) (*Document, error) {
	if bytes.HasPrefix(body, []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")) {
		return nil, fmt.Errorf("extract word %s: legacy binary .doc: %w", pageURL, ErrUnsupported)
	}
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		return nil, fmt.Errorf("extract word %s: not a .docx file: %w", pageURL, err)
	}
	var main, core *zip.File
	for _, f := range zr.File {
		switch f.Name {
		case "word/document.xml":
			main = f
		case "docProps/core.xml":
			core = f
		}
	}
	if main == nil {
		return nil, fmt.Errorf("extract word %s: no word/document.xml in archive: %w", pageURL, ErrUnsupported)
	}
	doc := &Document{URL: pageURL, Kind: "doc", PathWords: PathWords(pageURL)}
	rc, err := main.Open()
	if err != nil {
		return nil, fmt.Errorf("extract word %s: %w", pageURL, err)
	}
	defer rc.Close()
	if err := readDocx(io.LimitReader(rc, maxWordXML), doc); err != nil {
		return nil, fmt.Errorf("extract word %s: %w", pageURL, err)
	}
	if core != nil {
		doc.Title = coreTitle(core)
	}
	if doc.Title == "" && len(doc.Headings) > 0 {
		doc.Title = doc.Headings[0]
	}
	return doc, nil
}

// readDocx walks WordprocessingML: w:p paragraphs with w:pStyle, w:t
// text, w:tab and w:br breaks, w:tbl tables.
func readDocx(r io.Reader, doc *Document) error {
	dec := xml.NewDecoder(r)
	b := &sectionBuilder{doc: doc}
	var para strings.Builder
	level := 0 // heading level of the current paragraph, 0 for body text
	list := false
	inText := false
	tables := 0
	var cells []string
	var cell strings.Builder
	textBytes := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || len(doc.Sections) > 0 || para.Len() > 0 {
				doc.Warnings = append(doc.Warnings, "document.xml truncated: "+err.Error())
				break
			}
			return fmt.Errorf("read document.xml: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "p":
				para.Reset()
				level, list = 0, false
			case "pStyle":
				level = headingStyle(xmlAttr(t, "val"))
			case "numPr":
				list = true
			case "t":
				inText = true
			case "tab":
				para.WriteByte(' ')
			case "br", "cr":
				para.WriteByte(' ')
			case "tbl":
				tables++
			case "tr":
				cells = cells[:0]
			case "tc":
				cell.Reset()
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "t":
				inText = false
			case "p":
				text := collapse(para.String())
				textBytes += len(text)
				switch {
				case text == "":
				case tables > 0:
					if cell.Len() > 0 {
						cell.WriteByte(' ')
					}
					cell.WriteString(text)
				case level > 0:
					b.heading(level, text)
				case list:
					b.line("- " + text)
				default:
					b.line(text)
				}
				para.Reset()
				if textBytes > maxWordText {
					doc.Warnings = append(doc.Warnings, fmt.Sprintf("text after the first %d bytes dropped", maxWordText))
					b.end()
					return nil
				}
			case "tc":
				cells = append(cells, collapse(cell.String()))
			case "tr":
				if tables == 1 {
					for len(cells) > 0 && cells[len(cells)-1] == "" {
						cells = cells[:len(cells)-1]
					}
					if len(cells) > 0 {
						b.line(strings.Join(cells, " | "))
					}
				}
			case "tbl":
				if tables > 0 {
					tables--
				}
			}
		case xml.CharData:
			if inText {
				para.Write(t)
			}
		}
	}
	b.end()
	return nil
}

// headingStyle returns the heading level of a paragraph style id
// ("Heading2" gives 2, "Title" gives 1), 0 for other styles.
func headingStyle(id string) int {
	l := strings.ToLower(strings.ReplaceAll(id, " ", ""))
	if l == "title" {
		return 1
	}
	if i := strings.Index(l, "heading"); i >= 0 {
		if n, err := strconv.Atoi(l[i+len("heading"):]); err == nil && n >= 1 && n <= 6 {
			return n
		}
	}
	return 0
}

func xmlAttr(e xml.StartElement, local string) string {
	for _, a := range e.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// coreTitle reads dc:title from docProps/core.xml.
func coreTitle(f *zip.File) string {
	rc, err := f.Open()
	if err != nil {
		return ""
	}
	defer rc.Close()
	dec := xml.NewDecoder(io.LimitReader(rc, 1<<20))
	in := false
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		switch t := tok.(type) {
		case xml.StartElement:
			in = t.Name.Local == "title"
		case xml.CharData:
			if in {
				return collapse(string(t))
			}
		case xml.EndElement:
			in = false
		}
	}
}

// hasDocx reports whether a zip archive names word/document.xml; file
// names are stored uncompressed, so a byte search suffices.
func hasDocx(body []byte) bool {
	return bytes.Contains(body, []byte("word/document.xml"))
}
