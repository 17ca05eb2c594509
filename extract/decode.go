package extract

import (
	"bytes"
	"errors"
	"mime"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
)

// ErrBinary reports a body that is not text, whatever its label says: a
// crawl sometimes stores images or archives served as text/html.
var ErrBinary = errors.New("body is binary, not text")

// ErrEmpty reports a body with nothing in it. Extraction itself returns an
// empty Document with an "empty body" warning instead, which keeps the
// page's URL words; ErrEmpty is for callers that treat an empty capture as
// a failure.
var ErrEmpty = errors.New("empty body")

// Decode converts body to UTF-8 text and returns it with the name of the
// charset it was read in. The charset comes, in order, from a byte order
// mark, the charset parameter of contentType, a <meta> declaration in the
// first 1024 bytes, and finally sniffing (valid UTF-8, else windows-1252,
// the WHATWG reading of latin-1 labels). Two common mislabellings are
// corrected: a page declared as a single-byte charset whose bytes are valid
// UTF-8 is read as UTF-8, and a page declared as UTF-8 that holds no valid
// multi-byte sequence but does hold high bytes is read as windows-1252.
// Invalid bytes that remain become U+FFFD, so the result is always valid
// UTF-8. A body that looks binary gives ErrBinary.
func Decode(body []byte, contentType string) (string, string, error) {
	if len(body) == 0 {
		return "", "utf-8", nil
	}
	enc, name := determine(body, contentType)
	if !strings.HasPrefix(name, "utf-16") && looksBinary(body) {
		return "", name, ErrBinary
	}
	if name == "utf-8" {
		body = bytes.TrimPrefix(body, utf8BOM)
		if utf8.Valid(body) {
			return string(body), name, nil
		}
		if !hasMultiByte(body) {
			s, err := charmap.Windows1252.NewDecoder().Bytes(body)
			if err == nil {
				return string(s), "windows-1252", nil
			}
		}
		return string(bytes.ToValidUTF8(body, []byte("\uFFFD"))), name, nil
	}
	if isSingleByte(name) && !hasHighBit(body) {
		// ASCII reads the same in every charset handled here.
		return string(body), name, nil
	}
	out, err := enc.NewDecoder().Bytes(body)
	if err != nil {
		// Decoders only fail on internal errors; fall back to replacing
		// what is not UTF-8 rather than losing the page.
		return string(bytes.ToValidUTF8(body, []byte("\uFFFD"))), "utf-8", nil
	}
	if !utf8.Valid(out) {
		out = bytes.ToValidUTF8(out, []byte("\uFFFD"))
	}
	return strings.TrimPrefix(string(out), "\uFEFF"), name, nil
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// determine picks the encoding of body as Decode describes.
func determine(body []byte, contentType string) (encoding.Encoding, string) {
	enc, name, certain := charset.DetermineEncoding(body, contentType)
	if enc == nil {
		return encoding.Nop, "utf-8"
	}
	if name == "utf-8" || strings.HasPrefix(name, "utf-16") {
		return enc, name
	}
	// A declared or defaulted single-byte charset over bytes that form
	// valid UTF-8 with non-ASCII characters is almost always a mislabelled
	// UTF-8 page: such byte pairs are improbable in real latin-1 text.
	if !certain || isSingleByte(name) {
		if hasMultiByte(body) && utf8.Valid(body) {
			return encoding.Nop, "utf-8"
		}
	}
	return enc, name
}

// isSingleByte reports whether name is one of the latin single-byte
// charsets commonly mislabelled on English sites.
func isSingleByte(name string) bool {
	switch name {
	case "windows-1252", "iso-8859-1", "iso-8859-15", "iso-8859-2", "macintosh":
		return true
	}
	return false
}

func hasHighBit(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// hasMultiByte reports whether b holds at least one valid UTF-8 sequence of
// two or more bytes.
func hasMultiByte(b []byte) bool {
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError && n > 1 {
			return true
		}
		i += n
	}
	return false
}

// looksBinary reports whether the first 8 KB of b hold NUL bytes or many
// control characters, which text in any ASCII-compatible charset does not.
func looksBinary(b []byte) bool {
	if len(b) > 8192 {
		b = b[:8192]
	}
	ctl := 0
	for _, c := range b {
		switch {
		case c == 0:
			return true
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != 0x1b:
			ctl++
		}
	}
	return ctl*20 > len(b)
}

// mediaType returns the lower-case media type of a Content-Type header,
// or "" when there is none.
func mediaType(contentType string) string {
	if contentType == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt, _, _ = strings.Cut(contentType, ";")
	}
	return strings.ToLower(strings.TrimSpace(mt))
}
