package crawler

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"path"
	"regexp"
	"strings"

	"github.com/localoffer/localoffer/config"
)

// stateChanging are links that act on the server or on a visitor's
// session rather than show a page: "add to shortlist" on kb5 directories
// (*.action?...slaction=ADD), baskets, log in and out, print and
// email-this-page actions. They are never followed, whatever the
// configuration says.
var stateChanging = []*regexp.Regexp{
	regexp.MustCompile(`(?i)\.action(\?|$)`),
	regexp.MustCompile(`(?i)[?&](sl)?action=(add|remove|delete|clear|update|save)`),
	regexp.MustCompile(`(?i)/(basket|cart|checkout|shortlist)(\.page|\.aspx?|\.php)?(/|\?|$)`),
	regexp.MustCompile(`(?i)/(log-?in|log-?out|sign-?in|sign-?out|register)(\.page|\.aspx?|\.php)?(/|\?|$)`),
	regexp.MustCompile(`(?i)[?&](print|printable|email|share|format=print)(=|&|$)`),
	regexp.MustCompile(`(?i)/(print|email)(-this-page|-page)?(/|$)`),
	regexp.MustCompile(`(?i)[?&](add|remove)(to)?(basket|cart|shortlist|favourites?)=`),
	regexp.MustCompile(`(?i)/wp-(admin|login\.php)`),
	regexp.MustCompile(`(?i)[?&]replytocom=`),
}

// skippedExt are file types that are recorded from links but never
// fetched: only HTML, PDF and Word documents are kept.
var skippedExt = map[string]bool{
	".jpg": true, ".jpeg": true, ".png": true, ".gif": true, ".svg": true, ".webp": true, ".ico": true, ".bmp": true, ".tif": true, ".tiff": true,
	".css": true, ".js": true, ".json": true, ".woff": true, ".woff2": true, ".ttf": true, ".eot": true,
	".zip": true, ".gz": true, ".tgz": true, ".rar": true, ".7z": true, ".exe": true, ".msi": true, ".dmg": true, ".iso": true,
	".mp3": true, ".mp4": true, ".m4a": true, ".wav": true, ".avi": true, ".mov": true, ".wmv": true, ".webm": true, ".ogg": true,
	".xls": true, ".xlsx": true, ".csv": true, ".ppt": true, ".pptx": true, ".ics": true, ".vcf": true, ".kml": true, ".gpx": true,
}

// calendarParam matches query parameter names used by calendars and
// date pickers.
var calendarParam = regexp.MustCompile(`(?i)^(month|year|day|date|week|cal|calendar|caldate|from|to|start|end|start_?date|end_?date|view_?date|d|m|y|ym|yearmonth)$`)

// dateValue matches values that look like a date or a month.
var dateValue = regexp.MustCompile(`^\d{4}([-/]\d{1,2}([-/]\d{1,2})?)?$|^\d{1,2}[-/]\d{1,2}[-/]\d{2,4}$|^\d{6,8}$`)

// separatedDate matches a month or date written with separators
// (2025-06, 2025/06/01, 01-06-2025), whatever the parameter is called.
var separatedDate = regexp.MustCompile(`^\d{4}[-/]\d{1,2}([-/]\d{1,2})?$|^\d{1,2}[-/]\d{1,2}[-/]\d{4}$`)

// filterParam names query parameters of search and filter forms.
var filterParam = regexp.MustCompile(`(?i)^(q|query|keywords?|term|text|search|searchterm|s|category|categories|cat|age|ages|agegroup|age_?range|type|types|filter|filters|facet.*|refine.*|tag|tags|topic|topics|location|postcode|distance|radius|near|lat|lng|lon|need|needs|f\[.*\]|f)$`)

// reorderParam names parameters that only re-sort or re-display a
// listing; every value is a near-duplicate of the same results.
var reorderParam = regexp.MustCompile(`(?i)^(sort|sortby|sort_by|order|orderby|order_by|dir|direction|view|display|layout|per_?page|pagesize|page_size|limit|show)$`)

const (
	// maxCalendarVariants is how many calendar dates of one path are
	// fetched besides the path itself: enough to see that events exist,
	// never a walk through months (each of which a re-crawl would fetch
	// again, since generated pages rarely carry validators).
	maxCalendarVariants = 1
	// maxFacetVariants is how many query variants a faceted search path
	// may have: one whose queries filter (category=, age=, q=...),
	// combine keys, or use more than one key across its variants. Its
	// results are near-duplicates of the directory the site links to
	// anyway; a path with one key (?id=, ?page=) is left to the
	// max_query_variants limit.
	maxFacetVariants = 2
	// maxRepeatedSegment is how often one path segment may recur before
	// the path is taken for a relative-link loop (/a/b/a/b/a/b/...).
	maxRepeatedSegment = 3
	// maxSegments bounds the number of path segments.
	maxSegments = 24
)

// scope decides which URLs belong to an authority's crawl.
type scope struct {
	hosts   map[string]bool // host keys from start_urls, home_url, allowed_hosts
	names   map[string]bool // allowed_hosts given without a port: any port
	exclude []*regexp.Regexp
}

func newScope(a config.Authority, s config.Settings) (*scope, error) {
	sc := &scope{hosts: map[string]bool{}, names: map[string]bool{}}
	for _, raw := range append(append([]string{}, a.StartURLs...), a.HomeURL) {
		if raw == "" {
			continue
		}
		u, err := url.Parse(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", raw, err)
		}
		sc.hosts[hostKey(u)] = true
	}
	for _, h := range a.AllowedHosts {
		h = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(h), "."))
		if strings.Contains(h, ":") && !strings.HasPrefix(h, "[") {
			sc.hosts[h] = true
		} else {
			sc.names[h] = true
		}
	}
	for _, p := range s.Exclude {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("exclude pattern %q: %w", p, err)
		}
		sc.exclude = append(sc.exclude, re)
	}
	return sc, nil
}

// inScope reports whether the host key belongs to the authority.
func (sc *scope) inScope(hk string) bool {
	if sc.hosts[hk] {
		return true
	}
	name := hk
	if h, _, err := net.SplitHostPort(hk); err == nil {
		name = h
	}
	return sc.names[name]
}

// excluded returns why u must not be fetched, or "".
func (sc *scope) excluded(u string) string {
	for _, re := range sc.exclude {
		if re.MatchString(u) {
			return "matches exclude pattern " + re.String()
		}
	}
	for _, re := range stateChanging {
		if re.MatchString(u) {
			return "looks like an action that changes state (" + re.String() + ")"
		}
	}
	return ""
}

// isPrivateHost reports whether host is a loopback, private, link-local
// or unspecified address, or a name for one ("localhost").
func isPrivateHost(host string) bool {
	h := strings.Trim(host, "[]")
	if strings.EqualFold(h, "localhost") || strings.HasSuffix(strings.ToLower(h), ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(h)
	if err != nil {
		return false
	}
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() || ip.IsLinkLocalMulticast()
}

// trapShape returns a reason when the path alone looks like a trap:
// too many segments, or one segment repeated.
func trapShape(p string) string {
	segs := strings.Split(strings.Trim(p, "/"), "/")
	if len(segs) > maxSegments {
		return fmt.Sprintf("path has more than %d segments", maxSegments)
	}
	if len(segs) > maxRepeatedSegment {
		seen := map[string]int{}
		for _, s := range segs {
			if s == "" {
				continue
			}
			seen[s]++
			if seen[s] > maxRepeatedSegment {
				return fmt.Sprintf("segment %q repeats more than %d times", s, maxRepeatedSegment)
			}
		}
	}
	return ""
}

// queryShape classifies a normalised query: whether it carries calendar
// parameters, re-ordering parameters, and how many distinct filter keys
// (or repeated keys) it combines.
type queryShape struct {
	calendar bool
	reorder  string
	combined bool
	filter   bool     // a search or filter parameter is present
	keys     []string // filter keys (lower-cased), pagination left out
	// lookup is set for a query that only names one record or one page
	// of a listing (?id=Xy12abC, ?page=7): a directory's records are
	// reached this way, hundreds on one path, so such variants are
	// bounded by max_pages rather than max_query_variants.
	lookup bool
}

// lookupParam names the one parameter of a record or listing-page URL.
var lookupParam = regexp.MustCompile(`(?i)^(id|[a-z]+_?id|page|p|pg|item|record|service|article|node|doc|document|file|ref)$`)

// lookupValue is what an identifier or page number looks like.
var lookupValue = regexp.MustCompile(`^[A-Za-z0-9_.~-]{1,64}$`)

func shapeOf(rawQuery string) queryShape {
	var qs queryShape
	if rawQuery == "" {
		return qs
	}
	keys := map[string]int{}
	for _, pm := range strings.Split(rawQuery, "&") {
		k, v, _ := strings.Cut(pm, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		if calendarParam.MatchString(k) && (dateValue.MatchString(v) || strings.EqualFold(k, "month") || strings.EqualFold(k, "calendar")) {
			qs.calendar = true
		}
		if separatedDate.MatchString(v) {
			qs.calendar = true
		}
		if filterParam.MatchString(k) {
			qs.filter = true
		}
		if reorderParam.MatchString(k) && qs.reorder == "" {
			qs.reorder = k
		}
		if !strings.EqualFold(k, "page") && !strings.EqualFold(k, "p") && !strings.EqualFold(k, "start") && !strings.EqualFold(k, "offset") {
			lk := strings.ToLower(k)
			if keys[lk] == 0 {
				qs.keys = append(qs.keys, lk)
			}
			keys[lk]++
		}
	}
	n := 0
	for _, c := range keys {
		n += c
	}
	qs.combined = n >= 2
	if !strings.Contains(rawQuery, "&") && !qs.calendar && !qs.filter && qs.reorder == "" {
		k, v, _ := strings.Cut(rawQuery, "=")
		qs.lookup = lookupParam.MatchString(k) && lookupValue.MatchString(v)
	}
	return qs
}

// pathExt returns the lower-cased extension of the URL path.
func pathExt(p string) string { return strings.ToLower(path.Ext(p)) }

// InScope reports whether rawURL lies on a host that authority a's crawl
// covers (the hosts of its start URLs and home page, and allowed_hosts).
func InScope(a config.Authority, rawURL string) bool {
	sc, err := newScope(a, config.Settings{})
	if err != nil {
		return false
	}
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return false
	}
	return sc.inScope(hostKey(u))
}

// Groups splits authorities into groups that share no host: authorities
// in different groups may be crawled at the same time without two crawls
// hitting one host at once (several councils' Local Offers can live on
// one directory platform); those in one group must be crawled one after
// another. Order is kept within and across groups.
func Groups(as []config.Authority) [][]config.Authority {
	parent := make([]int, len(as))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		if parent[i] != i {
			parent[i] = find(parent[i])
		}
		return parent[i]
	}
	owner := map[string]int{}
	for i, a := range as {
		sc, err := newScope(a, config.Settings{})
		if err != nil {
			continue
		}
		keys := make([]string, 0, len(sc.hosts)+len(sc.names))
		for h := range sc.hosts {
			keys = append(keys, h)
		}
		for n := range sc.names {
			keys = append(keys, n)
		}
		for _, k := range keys {
			if j, ok := owner[k]; ok {
				parent[find(i)] = find(j)
			} else {
				owner[k] = i
			}
		}
	}
	var out [][]config.Authority
	index := map[int]int{}
	for i, a := range as {
		r := find(i)
		g, ok := index[r]
		if !ok {
			g = len(out)
			index[r] = g
			out = append(out, nil)
		}
		out[g] = append(out[g], a)
	}
	return out
}
