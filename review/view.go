package review

import (
	"fmt"
	"html/template"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/localoffer/localoffer/evidence"
)

// funcs are the template helpers.
var funcs = template.FuncMap{
	"tagClass":  tagClass,
	"when":      when,
	"pct":       func(f float64) int { return int(f*100 + 0.5) },
	"anchor":    anchor,
	"pathEsc":   url.PathEscape,
	"queryEsc":  url.QueryEscape,
	"canReview": func(u *evidence.User) bool { return u != nil && u.Role.CanReview() },
	"isAdviser": func(u *evidence.User) bool { return u != nil && u.Role == evidence.Adviser },
	"isAdmin":   func(u *evidence.User) bool { return u != nil && u.Role == evidence.Admin },
	"canAdjudicate": func(u *evidence.User) bool {
		return u != nil && (u.Role == evidence.Adviser || u.Role == evidence.Admin)
	},
	"scores": func() []evidence.Score { return []evidence.Score{evidence.Yes, evidence.Partial, evidence.No} },
	"statusLabel": func(s evidence.ItemStatus) string {
		switch s {
		case evidence.Accepted:
			return "Accepted"
		case evidence.Rejected:
			return "Rejected"
		}
		return "To review"
	},
	"critStatus": func(s evidence.Status) string {
		switch s {
		case evidence.Met:
			return "Met"
		case evidence.PartMet:
			return "Partly met"
		}
		return "Not found"
	},
	"critClass": func(s evidence.Status) string {
		switch s {
		case evidence.Met:
			return "tag--green"
		case evidence.PartMet:
			return "tag--yellow"
		}
		return "tag--red"
	},
	"fmtStat": fmtStat,
	"bytes":   humanBytes,
	"cardArgs": func(it itemView, slug, csrf string, u *evidence.User) cardArgs {
		return cardArgs{I: it, Slug: slug, CSRF: csrf, User: u}
	},
	"add":   func(a, b int) int { return a + b },
	"lower": func(s evidence.Score) string { return strings.ToLower(string(s)) },
}

// tagClass gives a score its GOV.UK tag colour. The word itself is always
// printed too, so colour never carries the meaning alone.
func tagClass(s evidence.Score) string {
	switch s {
	case evidence.Yes:
		return "tag--green"
	case evidence.Partial:
		return "tag--yellow"
	case evidence.No:
		return "tag--red"
	}
	return "tag--grey"
}

func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2 Jan 2006 15:04 UTC")
}

// anchor turns an id such as "general.accessibility" into an HTML id.
func anchor(prefix, id string) string {
	return prefix + strings.NewReplacer(".", "-", "_", "-", "/", "-").Replace(id)
}

func fmtStat(v float64, ok bool) string {
	if !ok {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", v)
}

// segment is a run of snippet text, marked when it is a matched term.
type segment struct {
	Text string
	Mark bool
}

// highlight splits text into segments with every case-insensitive,
// whole-word-start occurrence of a term marked. Longer terms win where
// terms overlap.
func highlight(text string, terms []string) []segment {
	lower := strings.ToLower(text)
	marked := make([]bool, len(text))
	ts := append([]string(nil), terms...)
	sort.Slice(ts, func(i, j int) bool { return len(ts[i]) > len(ts[j]) })
	for _, t := range ts {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" {
			continue
		}
		for from := 0; from < len(lower); {
			i := strings.Index(lower[from:], t)
			if i < 0 {
				break
			}
			i += from
			end := i + len(t)
			startOK := i == 0 || !isWordByte(lower[i-1])
			if startOK && len(lower) == len(text) {
				for k := i; k < end; k++ {
					marked[k] = true
				}
			}
			from = end
		}
	}
	var out []segment
	for i := 0; i < len(text); {
		j := i
		for j < len(text) && marked[j] == marked[i] {
			j++
		}
		out = append(out, segment{Text: text[i:j], Mark: marked[i]})
		i = j
	}
	return out
}

func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b >= 0x80 || unicode.IsLetter(rune(b))
}

// shortLabel is a sub-section's column heading on the dashboard: the first
// word of its title after any "Section:" prefix.
func shortLabel(title string) string {
	if i := strings.LastIndex(title, ":"); i >= 0 {
		title = title[i+1:]
	}
	f := strings.Fields(title)
	if len(f) == 0 {
		return title
	}
	w := strings.TrimRight(f[0], ",&")
	if s, ok := shorter[w]; ok {
		return s
	}
	return w
}

// shorter keeps the dashboard's thirteen columns narrow enough for a
// laptop screen; the full title is in each heading's abbr.
var shorter = map[string]string{
	"Accessibility":  "Access",
	"Budget":         "Funding",
	"Identification": "Need",
	"Graduated":      "Graduated",
}

// cardArgs is what the "card" template needs: the item and the page's
// authority, CSRF token and user.
type cardArgs struct {
	I    itemView
	Slug string
	CSRF string
	User *evidence.User
}

// humanBytes writes a size the way people read it: 232 KB, 1.4 MB.
func humanBytes(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d bytes", n)
	case n < 1<<20:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
}
