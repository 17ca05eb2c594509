package extract

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// ErrUnsupported reports a format extract cannot read (images, archives,
// legacy binary Word files).
var ErrUnsupported = errors.New("unsupported format")

// Any extracts a document of any supported kind, choosing by magic bytes
// first (servers often mislabel PDFs and Word files), then by content
// type, then by sniffing. Unsupported formats give an error wrapping
// ErrUnsupported; an empty body gives an empty Document.
func Any(body []byte, contentType, pageURL string) (*Document, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		kind := "html"
		switch mediaType(contentType) {
		case "application/pdf":
			kind = "pdf"
		case mimeDocx, mimeDoc:
			kind = "doc"
		}
		return &Document{URL: pageURL, Kind: kind, PathWords: PathWords(pageURL), Warnings: []string{"empty body"}}, nil
	}
	kind := sniff(body)
	switch kind {
	case "pdf":
		return PDF(body, pageURL)
	case "zip", "ole":
		mt := mediaType(contentType)
		if kind == "ole" || mt == mimeDocx || mt == mimeDoc || strings.HasSuffix(strings.ToLower(pathOf(pageURL)), ".docx") || hasDocx(body) {
			return Word(body, pageURL)
		}
		return nil, fmt.Errorf("extract %s: zip archive that is not a Word document: %w", pageURL, ErrUnsupported)
	}
	switch mt := mediaType(contentType); {
	case mt == "text/html" || mt == "application/xhtml+xml":
		return HTML(body, contentType, pageURL)
	case mt == "application/pdf":
		return PDF(body, pageURL)
	case mt == mimeDocx || mt == mimeDoc:
		return Word(body, pageURL)
	case mt == "text/plain":
		if kind == "html" {
			return HTML(body, contentType, pageURL)
		}
		return Text(body, contentType, pageURL)
	case mt == "" || mt == "application/octet-stream" || strings.HasPrefix(mt, "text/"):
		switch kind {
		case "html":
			return HTML(body, contentType, pageURL)
		case "text":
			return Text(body, contentType, pageURL)
		}
		return nil, fmt.Errorf("extract %s: %w", pageURL, ErrBinary)
	default:
		return nil, fmt.Errorf("extract %s: content type %q: %w", pageURL, mt, ErrUnsupported)
	}
}

const (
	mimeDocx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	mimeDoc  = "application/msword"
)

// sniff names a body's format from its first bytes: "pdf", "zip", "ole"
// (legacy Office), "html", "text" or "binary".
func sniff(body []byte) string {
	head := body
	if len(head) > 1024 {
		head = head[:1024]
	}
	switch {
	case bytes.Contains(head, []byte("%PDF-")):
		return "pdf"
	case bytes.HasPrefix(body, []byte("PK\x03\x04")):
		return "zip"
	case bytes.HasPrefix(body, []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")):
		return "ole"
	}
	if strings.HasPrefix(http.DetectContentType(body), "text/html") {
		return "html"
	}
	lower := bytes.ToLower(head)
	for _, tag := range []string{"<html", "<!doctype html", "<body", "<head", "<div", "<p>", "<h1", "<title"} {
		if bytes.Contains(lower, []byte(tag)) {
			return "html"
		}
	}
	if looksBinary(body) {
		return "binary"
	}
	return "text"
}

// Text reads a plain-text body: paragraphs separated by blank lines, one
// section.
func Text(body []byte, contentType, pageURL string) (*Document, error) {
	text, _, err := Decode(body, contentType)
	if err != nil {
		return nil, fmt.Errorf("extract text %s: %w", pageURL, err)
	}
	doc := &Document{URL: pageURL, Kind: "text", PathWords: PathWords(pageURL)}
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if l = collapse(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > 0 {
		doc.Sections = []Section{{Text: strings.Join(lines, "\n")}}
	}
	return doc, nil
}

func pathOf(rawURL string) string {
	p, _, _ := strings.Cut(rawURL, "?")
	p, _, _ = strings.Cut(p, "#")
	return p
}
