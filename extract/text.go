package extract

import (
	"net/url"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// lineBuilder accumulates inline text with runs of white space collapsed
// to one space, the way a browser lays out normal text.
type lineBuilder struct {
	b     []byte
	space bool // a space is pending before the next visible character
}

func (l *lineBuilder) add(s string) {
	for i := 0; i < len(s); {
		c := s[i]
		if c > ' ' && c < utf8.RuneSelf {
			// Copy a stretch of plain ASCII at once.
			j := i + 1
			for j < len(s) && s[j] > ' ' && s[j] < utf8.RuneSelf {
				j++
			}
			if l.space && len(l.b) > 0 {
				l.b = append(l.b, ' ')
			}
			l.space = false
			l.b = append(l.b, s[i:j]...)
			i = j
			continue
		}
		if c < utf8.RuneSelf {
			i++
			if c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v' {
				l.space = true
				continue
			}
			if l.space && len(l.b) > 0 {
				l.b = append(l.b, ' ')
			}
			l.space = false
			l.b = append(l.b, c)
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == '\u00a0' || r == '\u200b' || r == '\ufeff' || unicode.IsSpace(r) {
			if r != '\u200b' && r != '\ufeff' {
				l.space = true
			}
			i += n
			continue
		}
		if l.space && len(l.b) > 0 {
			l.b = append(l.b, ' ')
		}
		l.space = false
		l.b = append(l.b, s[i:i+n]...)
		i += n
	}
}

// take returns the text collected so far and empties the builder.
func (l *lineBuilder) take() string {
	s := string(l.b)
	l.b = l.b[:0]
	l.space = false
	return s
}

func (l *lineBuilder) empty() bool { return len(l.b) == 0 }

// collapse returns s with white space collapsed and trimmed.
func collapse(s string) string {
	var l lineBuilder
	l.add(s)
	return string(l.b)
}

// fileExts are file name extensions that say nothing about a page's topic.
var fileExts = map[string]bool{
	"html": true, "htm": true, "shtml": true, "php": true, "asp": true, "aspx": true,
	"jsp": true, "cfm": true, "pdf": true, "doc": true, "docx": true, "page": true,
}

// PathWords returns the lower-case words of a URL's path: separators,
// camelCase boundaries and file extensions split or drop, query and
// fragment are ignored. "/Local-Offer/earlyYears_support.aspx" gives
// local, offer, early, years, support.
func PathWords(rawURL string) []string {
	p := rawURL
	if u, err := url.Parse(rawURL); err == nil {
		p = u.Path
	} else {
		p, _, _ = strings.Cut(p, "?")
		p, _, _ = strings.Cut(p, "#")
	}
	if ext := path.Ext(p); ext != "" && fileExts[strings.ToLower(ext[1:])] {
		p = p[:len(p)-len(ext)]
	}
	var words []string
	var w []rune
	flush := func() {
		if len(w) > 0 {
			words = append(words, strings.ToLower(string(w)))
			w = w[:0]
		}
	}
	var prev rune
	for _, r := range p {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if len(w) > 0 && unicode.IsUpper(r) && unicode.IsLower(prev) {
				flush()
			}
			if len(w) > 0 && unicode.IsDigit(r) != unicode.IsDigit(prev) && !unicode.IsDigit(r) {
				// "send2" stays one word; "2024report" splits.
				flush()
			}
			w = append(w, r)
		default:
			flush()
		}
		prev = r
	}
	flush()
	return words
}
