package extract

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"
)

// token is one word of a text: its normalised (lower-cased, stemmed) form
// and where it sits in the original text, so that snippets and highlighted
// terms can quote the words exactly as the page wrote them.
type token struct {
	norm       string
	start, end int
}

// tokenize splits text into words. Letters and digits make words; a comma
// or full stop between two digits is kept inside the number ("6,000" is one
// word "6000"); apostrophes are dropped with a possessive "s" ("child's" is
// "child"); everything else separates words.
func tokenize(text string) []token {
	toks := make([]token, 0, len(text)/6+1)
	var buf []byte
	start := -1
	flush := func(end int) {
		if start >= 0 && len(buf) > 0 {
			toks = append(toks, token{norm: stem(string(buf)), start: start, end: end})
		}
		buf = buf[:0]
		start = -1
	}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9'):
			if start < 0 {
				start = i
			}
			buf = append(buf, byte(r))
		case r < utf8.RuneSelf && r >= 'A' && r <= 'Z':
			if start < 0 {
				start = i
			}
			buf = append(buf, byte(r+'a'-'A'))
		case (r == ',' || r == '.') && start >= 0 && len(buf) > 0 && isDigit(buf[len(buf)-1]) && i+1 < len(text) && isDigit(text[i+1]):
			// 6,000 and 2.5 stay one number.
			if r == '.' {
				buf = append(buf, '.')
			}
		case r == '\'' || r == '\u2019':
			// "child's" -> "child", "parents'" -> "parents".
			if start >= 0 && i+size < len(text) && (text[i+size] == 's' || text[i+size] == 'S') && (i+size+1 >= len(text) || !isWordByte(text[i+size+1])) {
				flush(i)
				i += size + 1
				continue
			}
			if start >= 0 && i+size < len(text) && isWordByte(text[i+size]) {
				i += size
				continue
			}
			flush(i)
		case r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if start < 0 {
				start = i
			}
			buf = utf8.AppendRune(buf, unicode.ToLower(r))
		default:
			flush(i)
		}
		i += size
	}
	flush(len(text))
	return toks
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

// stem reduces a lower-case word to a crude stem so that plurals and the
// common verb endings meet: "needs", "needed" and "needing" become "need";
// "reviews" and "reviewed" become "review". It is deliberately light: both
// the rubric's phrases and the pages go through it, so consistency matters
// more than linguistic accuracy.
func stem(w string) string {
	n := len(w)
	if n <= 3 || !isLetters(w) {
		return w
	}
	switch {
	case strings.HasSuffix(w, "ies") && n > 4:
		w = w[:n-3] + "y"
	case strings.HasSuffix(w, "sses"):
		w = w[:n-2]
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		w = w[:n-1]
	}
	n = len(w)
	switch {
	case strings.HasSuffix(w, "ing") && n > 5:
		w = undouble(w[:n-3])
	case strings.HasSuffix(w, "ied") && n > 4:
		w = w[:n-3] + "y"
	case strings.HasSuffix(w, "ed") && n > 4 && !strings.HasSuffix(w, "eed"):
		w = undouble(w[:n-2])
	}
	if len(w) > 4 && strings.HasSuffix(w, "e") {
		w = w[:len(w)-1]
	}
	return w
}

func isLetters(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < 'a' || w[i] > 'z' {
			return false
		}
	}
	return true
}

// undouble turns "plann" into "plan" but keeps "assess" and "fill".
func undouble(w string) string {
	n := len(w)
	if n >= 3 && w[n-1] == w[n-2] {
		switch w[n-1] {
		case 'l', 's', 'z', 'f':
			return w
		}
		return w[:n-1]
	}
	return w
}

// Fields of a passage, each with its own weight in the relevance model.
const (
	fieldBody = iota
	fieldHeading
	fieldTitle
	fieldURL
	fieldAnchor
	numFields
)

var fieldNames = [numFields]string{"text", "heading", "title", "URL", "link text"}

// BM25 holds the parameters of the BM25F relevance model: how much each
// field counts, how fast repeated matches saturate and how strongly long
// passages are normalised.
type BM25 struct {
	// K1 controls saturation: the 2nd, 3rd... occurrence of a phrase adds
	// less and less.
	K1 float64
	// B is the strength of length normalisation of the body text (0: none,
	// 1: full).
	B float64
	// Weights are the field weights: body, heading, title, URL words,
	// anchor texts of links pointing to the page.
	Weights [numFields]float64
}

// DefaultBM25 are parameters that suit Local Offer pages: headings and
// titles count double, anchor texts one and a half, URL words as body text.
var DefaultBM25 = BM25{K1: 1.2, B: 0.6, Weights: [numFields]float64{1, 2, 2, 1, 1.5}}

// saturate maps a weighted term frequency to a score in [0, K1+1), equal to
// 1 for a single occurrence in an average-length passage.
func (m BM25) saturate(tf float64) float64 {
	if tf <= 0 {
		return 0
	}
	return tf * (m.K1 + 1) / (tf + m.K1)
}

// lengthNorm is the BM25 length factor of a body of n words against the
// corpus average avg.
func (m BM25) lengthNorm(n int, avg float64) float64 {
	if avg <= 0 {
		return 1
	}
	return 1 - m.B + m.B*float64(n)/avg
}

// idf is a damped inverse document frequency in [0.3, 1]: a phrase found in
// one passage of the site weighs 1, one found in every passage 0.3. Damping
// keeps scores comparable between small and large sites, so that the
// thresholds that turn scores into statuses hold for both.
func idf(df, n int) float64 {
	if n <= 1 || df <= 0 {
		return 1
	}
	if df > n {
		df = n
	}
	r := math.Log(float64(n)/float64(df)) / math.Log(float64(n))
	return 0.3 + 0.7*r
}
