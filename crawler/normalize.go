package crawler

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// sessionParams are query parameters that carry a session rather than
// content. They are dropped so that one page is one URL however the site
// stamps it; compared case-insensitively.
var sessionParams = map[string]bool{
	"jsessionid":   true,
	"phpsessid":    true,
	"sessionid":    true,
	"session_id":   true,
	"sid":          true,
	"aspsessionid": true,
	"cfid":         true,
	"cftoken":      true,
	"zenid":        true,
	"oscsid":       true,
	"fbclid":       true,
	"gclid":        true,
}

// isSessionParam reports whether the query key k names a session or a
// tracking tag (utm_*).
func isSessionParam(k string) bool {
	lk := strings.ToLower(k)
	if sessionParams[lk] || strings.HasPrefix(lk, "utm_") || strings.HasPrefix(lk, "aspsessionid") {
		return true
	}
	return false
}

// NormalizeURL returns the canonical form of an absolute http(s) URL, so
// that a page reached by different spellings is fetched once: scheme and
// host lower-cased, default port and trailing host dot dropped, dot
// segments removed, an empty path made "/", the fragment dropped, session
// ids (";jsessionid=" path parameters, PHPSESSID and similar query
// parameters, utm_* tags) stripped, percent-encoding made canonical
// (unreserved characters decoded, hex upper-cased) and query parameters
// sorted.
func NormalizeURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("normalize %q: %w", raw, err)
	}
	return normalize(u)
}

// resolve makes ref absolute against base and normalises it.
func resolve(base *url.URL, ref string) (string, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return "", errors.New("empty link")
	}
	r, err := url.Parse(ref)
	if err != nil {
		return "", err
	}
	return normalize(base.ResolveReference(r))
}

func normalize(u *url.URL) (string, error) {
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		if scheme == "" {
			return "", fmt.Errorf("normalize %q: not an absolute URL", u.String())
		}
		return "", fmt.Errorf("normalize %q: scheme %q is not http or https", u.String(), scheme)
	}
	host := u.Hostname()
	if !utf8.ValidString(host) {
		return "", fmt.Errorf("normalize %q: host is not valid UTF-8", u.String())
	}
	host = strings.TrimRight(strings.ToLower(host), ".")
	if host == "" {
		return "", fmt.Errorf("normalize %q: no host", u.String())
	}
	if !isASCII(host) {
		// An internationalised name has one key: its punycode form,
		// which is also what goes on the wire.
		a, err := idna.Lookup.ToASCII(host)
		if err != nil || a == "" || !isASCII(a) {
			return "", fmt.Errorf("normalize %q: host is not a valid name", u.String())
		}
		host = a
	}
	port := u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") { // IPv6 literal
		if a, err := netip.ParseAddr(host); err != nil || a.Zone() != "" {
			return "", fmt.Errorf("normalize %q: invalid IPv6 address", u.String())
		}
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	p := u.EscapedPath()
	if u.Opaque != "" {
		p = u.Opaque
	}
	p = stripPathSession(p)
	p = canonicalEscapes(p, false)
	p = removeDotSegments(p)
	if p == "" {
		p = "/"
	}
	q := normalizeQuery(u.RawQuery)
	var b strings.Builder
	b.Grow(len(scheme) + len(host) + len(p) + len(q) + 5)
	b.WriteString(scheme)
	b.WriteString("://")
	b.WriteString(host)
	b.WriteString(p)
	if q != "" {
		b.WriteByte('?')
		b.WriteString(q)
	}
	return b.String(), nil
}

// stripPathSession removes ";jsessionid=..." style parameters from each
// path segment.
func stripPathSession(p string) string {
	if !strings.Contains(p, ";") {
		return p
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		j := strings.IndexByte(s, ';')
		if j < 0 {
			continue
		}
		params := strings.Split(s[j+1:], ";")
		kept := params[:0]
		for _, pm := range params {
			k, _, _ := strings.Cut(pm, "=")
			if !isSessionParam(k) {
				kept = append(kept, pm)
			}
		}
		s = s[:j]
		if len(kept) > 0 {
			s += ";" + strings.Join(kept, ";")
		}
		segs[i] = s
	}
	return strings.Join(segs, "/")
}

// normalizeQuery drops session parameters and empty pieces, canonicalises
// escapes and sorts the parameters (by key, then value) so that the same
// filters in another order are one URL.
func normalizeQuery(q string) string {
	if q == "" {
		return ""
	}
	parts := strings.Split(q, "&")
	kept := parts[:0]
	for _, pm := range parts {
		if pm == "" {
			continue
		}
		k, _, _ := strings.Cut(pm, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if isSessionParam(k) {
			continue
		}
		kept = append(kept, canonicalEscapes(pm, true))
	}
	sort.SliceStable(kept, func(i, j int) bool {
		ki, vi, _ := strings.Cut(kept[i], "=")
		kj, vj, _ := strings.Cut(kept[j], "=")
		if ki != kj {
			return ki < kj
		}
		return vi < vj
	})
	return strings.Join(kept, "&")
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

const upperhex = "0123456789ABCDEF"

// canonicalEscapes decodes escaped unreserved characters, upper-cases the
// hex of the other escapes, and escapes bytes that may not appear raw
// (controls, spaces, non-ASCII, a stray '%'). In a query, '+' and the
// delimiters are kept as they are.
func canonicalEscapes(s string, query bool) string {
	need := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' || c <= ' ' || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' || c == '`' || c == '{' || c == '|' || c == '}' {
			need = true
			break
		}
	}
	if !need {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) {
			h, ok1 := unhex(s[i+1])
			l, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				d := h<<4 | l
				if isUnreserved(d) {
					b.WriteByte(d)
				} else {
					b.WriteByte('%')
					b.WriteByte(upperhex[d>>4])
					b.WriteByte(upperhex[d&15])
				}
				i += 2
				continue
			}
		}
		if c == '%' || c <= ' ' || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' || c == '`' || c == '{' || c == '|' || c == '}' {
			b.WriteByte('%')
			b.WriteByte(upperhex[c>>4])
			b.WriteByte(upperhex[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// removeDotSegments applies RFC 3986 section 5.2.4 to an escaped path.
func removeDotSegments(p string) string {
	if !strings.Contains(p, ".") {
		return p
	}
	in := strings.Split(p, "/")
	out := make([]string, 0, len(in))
	for i, s := range in {
		last := i == len(in)-1
		switch s {
		case ".":
			if last {
				out = append(out, "")
			}
		case "..":
			if len(out) > 1 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	r := strings.Join(out, "/")
	if strings.HasPrefix(p, "/") && !strings.HasPrefix(r, "/") {
		r = "/" + r
	}
	return r
}

// hostKey is the scope and scheduling key of a normalised URL: the host,
// with the port only when it is not the scheme's default, so that http
// and https of one site share one politeness slot.
func hostKey(u *url.URL) string {
	h := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	p := u.Port()
	if p == "" || (u.Scheme == "http" && p == "80") || (u.Scheme == "https" && p == "443") {
		return h
	}
	return h + ":" + p
}
