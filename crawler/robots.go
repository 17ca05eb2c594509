package crawler

import (
	"bufio"
	"bytes"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// This file holds the robots.txt parser and matcher. temoto/robotstxt, the
// usual Go choice and the one colly embeds, fails RFC 9309 in ways that
// matter here: it decodes percent-escapes in rules and paths alike, so
// "Allow: /foo/bar/%62%61%7A" matches "/foo/bar/baz"; it does not escape
// non-ASCII octets in rules, so "Allow: /foo/bar/ツ" never matches the
// "/foo/bar/%E3%83%84" a client actually sends; and it keeps a rule that
// precedes every user-agent line. The matcher below follows RFC 9309 and
// Google's reference implementation (longest match wins, Allow wins a tie,
// "*" and "$", case-insensitive agents and directive names, groups for one
// agent merged, rules compared on the escaped path and query).

// MaxRobotsBytes is how much of a robots.txt is read; RFC 9309 asks
// crawlers to parse at least 500 KiB.
const MaxRobotsBytes = 512 << 10

// Robots is a parsed robots.txt.
type Robots struct {
	groups   []robotsGroup
	sitemaps []string
}

type robotsGroup struct {
	agents []string // lower-cased product tokens, "*" for everyone
	line   int      // line of the first user-agent
	rules  []robotsRule
	delay  *time.Duration
}

type robotsRule struct {
	allow   bool
	pattern string // escaped as in RFC 9309 section 2.2.2
	raw     string
	line    int
}

// Verdict is the answer for one URL: whether it may be fetched and why.
type Verdict struct {
	Allowed bool
	// Rule is the matching line as written ("Disallow: /admin/"), empty
	// when no rule matched.
	Rule string
	// Line is the rule's line number in the file (0 when none matched).
	Line int
	// Group describes the group that applied ("User-agent: *" at line 3),
	// empty when no group applies to the agent.
	Group string
}

// String renders the verdict for people.
func (v Verdict) String() string {
	w := "allowed"
	if !v.Allowed {
		w = "disallowed"
	}
	switch {
	case v.Rule != "":
		return fmt.Sprintf("%s by %q (line %d) in %s", w, v.Rule, v.Line, v.Group)
	case v.Group != "":
		return fmt.Sprintf("%s: no rule matches in %s", w, v.Group)
	default:
		return w + ": no group applies to this agent"
	}
}

// AllowAll is the robots policy of a site whose robots.txt is missing
// (any 4xx answer, RFC 9309 section 2.3.1.3).
func AllowAll() *Robots { return &Robots{} }

// DisallowAll is the policy when robots.txt could not be fetched (5xx or
// unreachable): nothing may be crawled (RFC 9309 section 2.3.1.4).
func DisallowAll() *Robots {
	return &Robots{groups: []robotsGroup{{agents: []string{"*"}, rules: []robotsRule{{pattern: "/", raw: "Disallow: / (robots.txt unavailable)"}}}}}
}

// ParseRobots parses a robots.txt body. It never fails: lines it does not
// understand are ignored, as RFC 9309 requires.
func ParseRobots(data []byte) *Robots {
	if len(data) > MaxRobotsBytes {
		data = data[:MaxRobotsBytes]
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	r := &Robots{}
	var cur *robotsGroup
	rulesSeen := false // a rule was seen since the last user-agent line
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), MaxRobotsBytes+1)
	sc.Split(scanRobotsLines)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = text[:i]
		}
		key, val, ok := strings.Cut(text, ":")
		if !ok {
			continue
		}
		key = strings.ToLower(strings.TrimSpace(key))
		val = strings.TrimSpace(val)
		switch key {
		case "user-agent":
			if cur == nil || rulesSeen {
				r.groups = append(r.groups, robotsGroup{line: line})
				cur = &r.groups[len(r.groups)-1]
				rulesSeen = false
			}
			cur.agents = append(cur.agents, agentToken(val))
		case "allow", "disallow":
			if cur == nil {
				continue // rules before any user-agent belong to no group
			}
			rulesSeen = true
			if val == "" {
				continue // an empty rule matches nothing
			}
			name := "Disallow"
			if key == "allow" {
				name = "Allow"
			}
			cur.rules = append(cur.rules, robotsRule{allow: key == "allow", pattern: escapePattern(val), raw: name + ": " + val, line: line})
		case "crawl-delay":
			if cur == nil {
				continue
			}
			rulesSeen = true
			if f, err := strconv.ParseFloat(val, 64); err == nil && f >= 0 && f < 86400 {
				d := time.Duration(f * float64(time.Second))
				cur.delay = &d
			}
		case "sitemap":
			if val != "" {
				r.sitemaps = append(r.sitemaps, val)
			}
		}
	}
	return r
}

// scanRobotsLines splits on LF, CR or CRLF.
func scanRobotsLines(data []byte, atEOF bool) (int, []byte, error) {
	for i, c := range data {
		if c == '\n' {
			return i + 1, data[:i], nil
		}
		if c == '\r' {
			if i+1 < len(data) {
				if data[i+1] == '\n' {
					return i + 2, data[:i], nil
				}
				return i + 1, data[:i], nil
			}
			if atEOF {
				return i + 1, data[:i], nil
			}
			return 0, nil, nil
		}
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}

// agentToken returns the product token a robots.txt user-agent line names:
// its leading letters, '-' and '_', lower-cased; "*" stays "*".
func agentToken(v string) string {
	if strings.HasPrefix(v, "*") {
		return "*"
	}
	end := 0
	for end < len(v) {
		c := v[end]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			break
		}
		end++
	}
	return strings.ToLower(v[:end])
}

// ProductToken returns the name a crawler matches robots.txt groups with:
// the User-Agent up to its first '/' or space ("localoffer" for
// "localoffer/0.1 (+https://...)").
func ProductToken(userAgent string) string {
	return agentToken(strings.TrimSpace(userAgent))
}

// escapePattern percent-encodes octets outside US-ASCII and upper-cases
// existing escapes, so a rule compares with the path a client sends.
func escapePattern(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '%' && i+2 < len(p) && isHex(p[i+1]) && isHex(p[i+2]):
			b.WriteByte('%')
			b.WriteString(strings.ToUpper(p[i+1 : i+3]))
			i += 2
		case c >= 0x80:
			b.WriteByte('%')
			b.WriteByte(upperhex[c>>4])
			b.WriteByte(upperhex[c&15])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isHex(c byte) bool { _, ok := unhex(c); return ok }

// Sitemaps returns the Sitemap: URLs the file lists.
func (r *Robots) Sitemaps() []string { return r.sitemaps }

// groupsFor returns the groups that apply to agent: those naming its
// product token, or when none does, those for "*".
func (r *Robots) groupsFor(agent string) []*robotsGroup {
	tok := ProductToken(agent)
	var specific, global []*robotsGroup
	for i := range r.groups {
		g := &r.groups[i]
		for _, a := range g.agents {
			if a == "*" {
				global = append(global, g)
				break
			}
			if a != "" && a == tok {
				specific = append(specific, g)
				break
			}
		}
	}
	if len(specific) > 0 {
		return specific
	}
	return global
}

// CrawlDelay returns the Crawl-delay that applies to agent, or 0.
func (r *Robots) CrawlDelay(agent string) time.Duration {
	var d time.Duration
	for _, g := range r.groupsFor(agent) {
		if g.delay != nil && *g.delay > d {
			d = *g.delay
		}
	}
	return d
}

// Test decides whether agent may fetch rawURL (absolute, or a path).
func (r *Robots) Test(agent, rawURL string) Verdict {
	p := robotsPath(rawURL)
	groups := r.groupsFor(agent)
	if len(groups) == 0 {
		return Verdict{Allowed: true}
	}
	v := Verdict{Allowed: true, Group: describeGroup(groups)}
	best := -1
	for _, g := range groups {
		for _, rule := range g.rules {
			if !matchPattern(rule.pattern, p) {
				continue
			}
			n := len(rule.pattern)
			if n > best || (n == best && rule.allow && !v.Allowed) {
				best = n
				v.Allowed = rule.allow
				v.Rule = rule.raw
				v.Line = rule.line
			}
		}
	}
	return v
}

func describeGroup(gs []*robotsGroup) string {
	var parts []string
	for _, g := range gs {
		names := make([]string, len(g.agents))
		copy(names, g.agents)
		parts = append(parts, fmt.Sprintf("group User-agent: %s (line %d)", strings.Join(names, ", "), g.line))
	}
	return strings.Join(parts, " + ")
}

// robotsPath returns the path, params and query of rawURL as sent on the
// wire ("/" when empty), without the fragment.
func robotsPath(rawURL string) string {
	s := rawURL
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s = s[:i]
	}
	if i := strings.Index(s, "://"); i >= 0 {
		rest := s[i+3:]
		j := strings.IndexAny(rest, "/?")
		if j < 0 {
			return "/"
		}
		s = rest[j:]
	} else if u, err := url.Parse(s); err == nil && u.Host != "" {
		s = u.RequestURI()
	}
	if s == "" {
		return "/"
	}
	if s[0] == '?' {
		s = "/" + s
	}
	return s
}

// matchPattern reports whether path matches a robots.txt pattern: a
// prefix match where '*' matches any run of characters and a final '$'
// anchors the end.
func matchPattern(pattern, path string) bool {
	anchored := strings.HasSuffix(pattern, "$")
	if anchored {
		pattern = pattern[:len(pattern)-1]
	}
	if !strings.Contains(pattern, "*") {
		if anchored {
			return path == pattern
		}
		return strings.HasPrefix(path, pattern)
	}
	// pos holds the set of path offsets reachable after each pattern
	// byte, as in Google's reference matcher.
	pos := make([]int, 1, len(path)+1)
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		if c == '*' {
			first := pos[0]
			pos = pos[:0]
			for k := first; k <= len(path); k++ {
				pos = append(pos, k)
			}
			continue
		}
		next := pos[:0]
		for _, k := range pos {
			if k < len(path) && path[k] == c {
				next = append(next, k+1)
			}
		}
		pos = next
		if len(pos) == 0 {
			return false
		}
	}
	if anchored {
		return pos[len(pos)-1] == len(path)
	}
	return true
}
