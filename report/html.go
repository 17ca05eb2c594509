package report

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/evidence"
)

//go:embed templates/*.html
var templateFS embed.FS

var templates = template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html"))

var funcs = template.FuncMap{
	"pct":          pct,
	"date":         func(t time.Time) string { return fmtDate(t) },
	"datetime":     func(t time.Time) string { return fmtDateTime(t) },
	"scoreClass":   scoreClass,
	"scoreMark":    scoreMark,
	"scoreRank":    scoreRank,
	"subTitle":     subTitle,
	"shortSection": shortSection,
	"shortSub":     shortSub,
	"names":        names,
	"subTitles":    subTitles,
	"join":         strings.Join,
	"notes":        notesHTML,
	"bar":          barSVG,
	"add":          func(a, b int) int { return a + b },
	"criteriaText": criteriaText,
}

func fmtDate(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.UTC().Format("2 January 2006")
}

func fmtDateTime(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.UTC().Format("2 Jan 2006 15:04 MST")
}

// scoreClass is the CSS class of a cell: y, p, n or u (not reviewed).
func scoreClass(c *Cell) string {
	if !c.Counted() {
		return "u"
	}
	switch c.Score {
	case evidence.Yes:
		return "y"
	case evidence.Partial:
		return "p"
	}
	return "n"
}

// scoreMark is a symbol that carries the score without colour.
func scoreMark(c *Cell) string {
	switch scoreClass(c) {
	case "y":
		return "✓"
	case "p":
		return "◐"
	case "n":
		return "✗"
	}
	return "?"
}

// scoreRank sorts cells: Yes 3, Partial 2, No 1, not reviewed 0.
func scoreRank(c *Cell) int {
	if !c.Counted() {
		return 0
	}
	return c.Score.Rank() + 1
}

// shortSection drops the words that every section title repeats.
func shortSection(s config.Section) string {
	t := s.Title
	for _, suf := range []string{" Specific Requirements", " Requirements", " Considerations"} {
		t = strings.TrimSuffix(t, suf)
	}
	return t
}

// shortSub is a sub-section title without its section prefix
// ("Early Years: Admission" is "Admission" under the Early Years header).
func shortSub(s config.Subsection) string {
	if i := strings.Index(s.Title, ": "); i >= 0 {
		return s.Title[i+2:]
	}
	return s.Title
}

func names(as []*Authority) string {
	ns := make([]string, len(as))
	for i, a := range as {
		ns[i] = a.Name
	}
	return joinAnd(ns)
}

// subTitles lists full sub-section titles: out of the heatmap's section
// columns, "Future Steps" alone would not say which section it is.
func subTitles(ss []config.Subsection) string {
	ts := make([]string, len(ss))
	for i, s := range ss {
		ts[i] = s.Title
	}
	return strings.Join(ts, "; ")
}

func criteriaText(cs []config.Criterion) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Text
	}
	return out
}

// barSVG draws one horizontal stacked bar of Yes / Partial / No / not
// reviewed, each segment labelled with its count so that the bar reads
// without colour.
func barSVG(c Counts) template.HTML {
	const w, h = 300.0, 18.0
	total := c.Total()
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="bar" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" role="img" aria-label="Yes %d, Partial %d, No %d, not reviewed %d">`, w, h, w, h, c.Yes, c.Partial, c.No, c.Unreviewed)
	if total == 0 {
		b.WriteString(`<rect width="300" height="18" class="su"/></svg>`)
		return template.HTML(b.String())
	}
	x := 0.0
	for _, seg := range []struct {
		n     int
		class string
		label string
	}{{c.Yes, "sy", "Y"}, {c.Partial, "sp", "P"}, {c.No, "sn", "N"}, {c.Unreviewed, "su", "?"}} {
		if seg.n == 0 {
			continue
		}
		sw := w * float64(seg.n) / float64(total)
		fmt.Fprintf(&b, `<rect x="%.2f" y="0" width="%.2f" height="%.0f" class="%s"/>`, x, sw, h, seg.class)
		if sw >= 22 {
			fmt.Fprintf(&b, `<text x="%.2f" y="13" class="t%s">%s %d</text>`, x+sw/2, seg.class, seg.label, seg.n)
		} else if sw >= 9 {
			fmt.Fprintf(&b, `<text x="%.2f" y="13" class="t%s">%d</text>`, x+sw/2, seg.class, seg.n)
		}
		x += sw
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// page is what the report template sees.
type page struct {
	*Report
	Trends          []Trend
	Weaknesses      []Weakness
	Recommendations []Recommendation
	Actions         []AuthorityActions
	Future          []string
	NotesHTML       template.HTML
}

// WriteHTML renders the report as one self-contained HTML file: styles,
// charts and the sorting script are inline, and nothing is fetched from
// anywhere when it is opened or printed.
func (r *Report) WriteHTML(w io.Writer) error {
	p := page{
		Report:          r,
		Trends:          r.Trends(),
		Weaknesses:      r.Weaknesses(),
		Recommendations: r.Recommendations(),
		Actions:         r.Actions(),
		Future:          r.FutureWork(),
	}
	if strings.TrimSpace(r.Notes) != "" {
		p.NotesHTML = notesHTML(r.Notes)
	}
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, "report.html", p); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}
