package extract

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/localoffer/localoffer/config"
)

// Matcher scores passages of documents against the criteria of a rubric.
// Everything it knows comes from the rubric file: phrases with weights
// (words, multi-word phrases, prefixes written "eligib*" and proximity pairs
// written "request ~ assessment"), heading words, negative contexts and
// requires groups. A Matcher is safe for concurrent use.
type Matcher struct {
	model    BM25
	vocab    map[string]int32
	prefixes []string
	phrases  []phrase
	index    map[string]int // phrase text -> index, for deduplication
	byFirst  map[int32][]int
	near     []int // phrases that are proximity pairs
	criteria []critModel
	// global are the rubric-wide negative contexts: they count in titles,
	// headings and addresses only, where they say what a page is about.
	global []int
	// NearWindow is how many words may separate the two halves of a
	// proximity phrase ("a ~ b").
	nearWindow int
	// MinScore drops matches scoring below it from Score's result (and
	// saves writing their snippets): set it to the lowest threshold that
	// could make a match evidence.
	MinScore float64
}

// elem is one word of a compiled phrase: an exact stem or a prefix.
type elem struct {
	id     int32
	prefix bool
}

// phrase is a compiled rubric phrase: a word sequence, or two sub-phrases
// that must occur near each other.
type phrase struct {
	text  string
	elems []elem
	// a and b are sub-phrase indexes of a proximity pair (near is true).
	near bool
	a, b int
}

type weighted struct {
	phrase int
	weight float64
	// headingOnly phrases count in titles, headings, URL words and anchor
	// texts, not in body text.
	headingOnly bool
}

type critModel struct {
	id         string
	subsection string
	terms      []weighted
	not        []int
	core       [][]int
	requires   [][]int
	structural string
	// contactRoutes is true for a criterion about ways of getting in
	// touch (its phrases name a phone or a helpline): for it a phone
	// number is evidence, for every other criterion it is only a pointer.
	contactRoutes bool
}

// NewMatcher compiles the signals of every criterion of r.
func NewMatcher(r *config.Rubric) (*Matcher, error) {
	m := &Matcher{
		model:      DefaultBM25,
		vocab:      map[string]int32{},
		index:      map[string]int{},
		byFirst:    map[int32][]int{},
		nearWindow: 12,
	}
	for _, n := range r.Negative {
		p, err := m.compile(n)
		if err != nil {
			return nil, fmt.Errorf("rubric not: %w", err)
		}
		m.global = append(m.global, p)
	}
	var everywhere []int
	for _, n := range r.NegativeText {
		p, err := m.compile(n)
		if err != nil {
			return nil, fmt.Errorf("rubric not_in_text: %w", err)
		}
		everywhere = append(everywhere, p)
	}
	for _, ss := range r.Subsections() {
		for _, c := range ss.Criteria {
			cm := critModel{id: c.ID, subsection: ss.ID, structural: c.Structural}
			for _, s := range c.Signals.Phrases {
				text, w, err := config.ParseWeighted(s)
				if err != nil {
					return nil, fmt.Errorf("criterion %s: %w", c.ID, err)
				}
				p, err := m.compile(text)
				if err != nil {
					return nil, fmt.Errorf("criterion %s: %w", c.ID, err)
				}
				cm.terms = append(cm.terms, weighted{phrase: p, weight: w})
				if contactWords[m.phrases[p].text] {
					cm.contactRoutes = true
				}
			}
			for _, s := range c.Signals.Headings {
				text, w, err := config.ParseWeighted(s)
				if err != nil {
					return nil, fmt.Errorf("criterion %s: %w", c.ID, err)
				}
				p, err := m.compile(text)
				if err != nil {
					return nil, fmt.Errorf("criterion %s: %w", c.ID, err)
				}
				cm.terms = append(cm.terms, weighted{phrase: p, weight: w, headingOnly: true})
			}
			for _, s := range c.Signals.Not {
				p, err := m.compile(s)
				if err != nil {
					return nil, fmt.Errorf("criterion %s: %w", c.ID, err)
				}
				cm.not = append(cm.not, p)
			}
			cm.not = append(cm.not, everywhere...)
			for _, spec := range []struct {
				groups [][]string
				dst    *[][]int
			}{{c.Signals.Core, &cm.core}, {c.Signals.Requires, &cm.requires}} {
				for _, g := range spec.groups {
					var ids []int
					for _, s := range g {
						p, err := m.compile(s)
						if err != nil {
							return nil, fmt.Errorf("criterion %s: %w", c.ID, err)
						}
						ids = append(ids, p)
					}
					*spec.dst = append(*spec.dst, ids)
				}
			}
			m.criteria = append(m.criteria, cm)
		}
	}
	return m, nil
}

// contactWords are the phrases that make a criterion one about contact
// routes (see critModel.contactRoutes).
var contactWords = map[string]bool{"phone": true, "telephone": true, "helpline": true, "call us": true}

// contactOnlyWords is the most words a criterion's passages may have and
// still be "only a contact route": a sentence and a phone number or email
// address ("coming out of custody? Ring the Youth Justice Service on ...")
// points the reader somewhere else for the information and can be no more
// than partial evidence.
const contactOnlyWords = 30

var (
	// contactRoute finds a UK phone number or an email address.
	contactRoute = regexp.MustCompile(`(?i)(\b0\d{2,4}[ -]?\d{3}[ -]?\d{3,4}\b|\+44[ \d]{9,13}|[\w.+-]+@[\w-]+(\.[\w-]+)+)`)
	// contactLabel finds the field labels of a contact block ("Telephone:",
	// "Email:"), as every record of a service directory has them: they are
	// the page's furniture, not a statement that a phone line is offered.
	contactLabel = regexp.MustCompile(`(?i)\b(telephone|tel|phone|mobile|e-?mail|fax)\s*:`)
)

// compile adds a phrase to the matcher's table (once per distinct text)
// and returns its index.
func (m *Matcher) compile(text string) (int, error) {
	key := strings.ToLower(strings.Join(strings.Fields(text), " "))
	if i, ok := m.index[key]; ok {
		return i, nil
	}
	if a, b, ok := strings.Cut(key, " ~ "); ok {
		pa, err := m.compile(a)
		if err != nil {
			return 0, err
		}
		pb, err := m.compile(b)
		if err != nil {
			return 0, err
		}
		m.phrases = append(m.phrases, phrase{text: text, near: true, a: pa, b: pb})
		i := len(m.phrases) - 1
		m.index[key] = i
		m.near = append(m.near, i)
		return i, nil
	}
	var elems []elem
	for _, w := range strings.Fields(key) {
		if strings.HasSuffix(w, "*") {
			pre := strings.TrimSuffix(w, "*")
			toks := tokenize(pre)
			if len(toks) != 1 {
				return 0, fmt.Errorf("phrase %q: a prefix must be one word followed by *", text)
			}
			// Prefixes are matched on the lower-cased word, not its stem.
			pre = strings.ToLower(pre)
			pid := -1
			for i, p := range m.prefixes {
				if p == pre {
					pid = i
				}
			}
			if pid < 0 {
				m.prefixes = append(m.prefixes, pre)
				pid = len(m.prefixes) - 1
			}
			elems = append(elems, elem{id: int32(pid), prefix: true})
			continue
		}
		for _, t := range tokenize(w) {
			id, ok := m.vocab[t.norm]
			if !ok {
				id = int32(len(m.vocab))
				m.vocab[t.norm] = id
			}
			elems = append(elems, elem{id: id})
		}
	}
	if len(elems) == 0 {
		return 0, fmt.Errorf("phrase %q has no words", text)
	}
	m.phrases = append(m.phrases, phrase{text: text, elems: elems})
	i := len(m.phrases) - 1
	m.index[key] = i
	first := elems[0].id
	if elems[0].prefix {
		first = -2 - first
	}
	m.byFirst[first] = append(m.byFirst[first], i)
	return i, nil
}

// Criteria returns the ids of the criteria the matcher scores, in rubric
// order.
func (m *Matcher) Criteria() []string {
	out := make([]string, len(m.criteria))
	for i, c := range m.criteria {
		out[i] = c.id
	}
	return out
}

// span is where a phrase occurred: word positions [from, to) in a field.
type span struct{ from, to int32 }

// fieldHits are the occurrences of phrases in one field.
type fieldHits map[int][]span

// scannedPassage is a passage after phrase matching, before scoring.
type scannedPassage struct {
	heading string
	path    []string
	text    string
	// masked is text with link words blanked (the same string when the
	// passage has no links); its words are what body hits count. Tokens
	// are not kept: a site's worth of them would dwarf the text, and only
	// snippets need them again.
	masked string
	ntoks  int
	// body are the hits in the text without its links' words, which
	// relevance is scored on; full are the hits in the whole text, where
	// core and requires groups are looked for (a link to "the feedback form
	// for practitioners" shows the route exists).
	body fieldHits
	full fieldHits
	head fieldHits
}

// Scanned is a document after phrase matching: what the relevance model
// needs to score it once the whole site has been scanned (for document
// frequencies and the average passage length).
type Scanned struct {
	URL      string
	Title    string
	Kind     string
	passages []scannedPassage
	title    fieldHits
	url      fieldHits
	anchor   fieldHits
}

// Scan matches every phrase of the rubric in d. It keeps what scoring needs
// and is safe to call from several goroutines.
func (m *Matcher) Scan(d *Document) *Scanned {
	s := &Scanned{URL: d.URL, Title: d.Title, Kind: d.Kind}
	cache := map[string][2]int32{}
	s.title = m.hits(tokenize(d.Title), cache)
	s.url = m.hits(tokenize(strings.Join(d.PathWords, " ")), cache)
	s.anchor = fieldHits{}
	seen := map[string]bool{}
	for _, a := range d.Anchors {
		k := strings.ToLower(strings.TrimSpace(a))
		if k == "" || seen[k] {
			continue
		}
		seen[k] = true
		for p, sp := range m.hits(tokenize(a), cache) {
			s.anchor[p] = append(s.anchor[p], sp...)
		}
	}
	masked := maskLinks(d)
	for i, sec := range d.Sections {
		toks := tokenize(masked[i])
		head := strings.Join(append(append([]string(nil), sec.Path...), sec.Heading), " / ")
		sp := scannedPassage{heading: sec.Heading, path: sec.Path, text: sec.Text, masked: masked[i], ntoks: len(toks)}
		sp.body = m.hits(toks, cache)
		sp.full = sp.body
		if masked[i] != sec.Text {
			sp.full = m.hits(tokenize(sec.Text), cache)
		}
		sp.head = m.hits(tokenize(head), cache)
		if len(toks) == 0 && len(sp.head) == 0 {
			continue
		}
		s.passages = append(s.passages, sp)
	}
	return s
}

// maskLinks returns the text of each section with the text of its links
// blanked out (same length, so offsets still point into the original). A
// link's words describe the page it points to, where they count as anchor
// text; a list of links on a menu page is no evidence of anything itself.
func maskLinks(d *Document) []string {
	out := make([]string, len(d.Sections))
	for i, sec := range d.Sections {
		out[i] = sec.Text
	}
	for i := range out {
		out[i] = contactLabel.ReplaceAllStringFunc(out[i], func(l string) string { return strings.Repeat(" ", len(l)) })
	}
	next := 0 // links appear in reading order; search from the last hit on
	for _, l := range d.Links {
		t := strings.TrimSpace(l.Text)
		if len(t) < 3 {
			continue
		}
		for i := next; i < len(out); i++ {
			if j := strings.Index(out[i], t); j >= 0 {
				out[i] = out[i][:j] + strings.Repeat(" ", len(t)) + out[i][j+len(t):]
				next = i
				break
			}
		}
	}
	return out
}

// hits finds every phrase occurrence in toks.
func (m *Matcher) hits(toks []token, cache map[string][2]int32) fieldHits {
	if len(toks) == 0 {
		return nil
	}
	ids := make([][2]int32, len(toks))
	for i, t := range toks {
		v, ok := cache[t.norm]
		if !ok {
			v = [2]int32{-1, -1}
			if id, ok := m.vocab[t.norm]; ok {
				v[0] = id
			}
			for pi, p := range m.prefixes {
				if strings.HasPrefix(t.norm, p) || strings.HasPrefix(t.norm, stem(p)) {
					v[1] = int32(pi)
					break
				}
			}
			cache[t.norm] = v
		}
		ids[i] = v
	}
	var out fieldHits
	add := func(p int, from, to int) {
		if out == nil {
			out = fieldHits{}
		}
		out[p] = append(out[p], span{int32(from), int32(to)})
	}
	for i := range ids {
		for k, first := range [2]int32{ids[i][0], -2 - ids[i][1]} {
			if k == 0 && first < 0 || k == 1 && ids[i][1] < 0 {
				continue
			}
			for _, pi := range m.byFirst[first] {
				ph := &m.phrases[pi]
				if i+len(ph.elems) > len(ids) {
					continue
				}
				ok := true
				for j := 1; j < len(ph.elems); j++ {
					e := ph.elems[j]
					if e.prefix && ids[i+j][1] != e.id || !e.prefix && ids[i+j][0] != e.id {
						ok = false
						break
					}
				}
				if ok {
					add(pi, i, i+len(ph.elems))
				}
			}
		}
	}
	for _, pi := range m.near {
		ph := m.phrases[pi]
		as, bs := out[ph.a], out[ph.b]
		if len(as) == 0 || len(bs) == 0 {
			continue
		}
		for _, a := range as {
			for _, b := range bs {
				lo, hi := min(a.from, b.from), max(a.to, b.to)
				if int(hi-lo) <= m.nearWindow+int(a.to-a.from)+int(b.to-b.from) && (a.to <= b.from || b.to <= a.from) {
					add(pi, int(lo), int(hi))
					break
				}
			}
		}
	}
	return out
}

// Match is the evidence one page gives for one criterion.
type Match struct {
	URL       string
	Title     string
	Criterion string
	// Score is the page's relevance to the criterion: its best passage
	// plus a share of the second best.
	Score float64
	// Heading is the heading of the best passage ("" before any heading).
	Heading string
	// Snippet is the best passage trimmed around its matches.
	Snippet string
	// Terms are the matched words as the page wrote them, for highlighting.
	Terms []string
	// Signals say in words what fired and where.
	Signals []string
	// CoreMet is true when every core group of the criterion is found in
	// the passages about it: without it the page is no evidence at all.
	CoreMet bool
	// RequiresMet is true when every requires group of the criterion is
	// found in the passages about it (always true with no groups).
	RequiresMet bool
	// Missing names the core and requires groups that were not found.
	Missing []string
	// Negative names the negative contexts that fired.
	Negative []string
}

// Negative-context factors: a page whose title, URL or heading names a
// context that means something else keeps little of its score, and a
// passage that names one in its text keeps a fifth of it: a survey about
// bin collections is no feedback form for the Local Offer however well it
// asks for views, while a passage that is truly about the criterion
// rarely names another context as well.
const (
	negTitleFactor = 0.05
	negBodyFactor  = 0.2
	// secondShare is how much of the second-best passage adds to a page's
	// score: a page that speaks to a criterion in two places is stronger
	// than one that does so in one.
	secondShare = 0.25
	// snippetWords is the target length of a snippet.
	snippetWords = 45
	// maxAvgLen caps a passage's length in the site's average length.
	maxAvgLen = 500
	// minSectionWords is how much text a heading must have under it to
	// count as information rather than a signpost.
	minSectionWords = 8
)

// Score scores every scanned page of one site against every criterion
// that has text signals and returns the matches with a positive score,
// by page then criterion. Document frequencies and the average passage
// length are taken over pages, so Score must see a whole site at once.
func (m *Matcher) Score(pages []*Scanned) []Match {
	n, totalLen := 0, 0
	df := make([]int, len(m.phrases))
	for _, p := range pages {
		for i := range p.passages {
			ps := &p.passages[i]
			n++
			// One enormous passage (a 10 MB single-line page) must not
			// move the average every other passage is normalised by.
			totalLen += min(ps.ntoks, maxAvgLen)
			for ph := range ps.body {
				df[ph]++
			}
			for ph := range ps.head {
				if _, ok := ps.body[ph]; !ok {
					df[ph]++
				}
			}
		}
	}
	avg := 1.0
	if n > 0 {
		avg = float64(totalLen) / float64(n)
	}
	idfs := make([]float64, len(m.phrases))
	for i := range idfs {
		idfs[i] = idf(df[i], n)
	}
	var out []Match
	for _, p := range pages {
		for ci := range m.criteria {
			if mt, ok := m.scorePage(p, &m.criteria[ci], idfs, avg); ok {
				out = append(out, mt)
			}
		}
	}
	return out
}

type passageScore struct {
	i       int
	score   float64
	contrib map[int]float64
	negs    []string
}

func (m *Matcher) scorePage(p *Scanned, c *critModel, idfs []float64, avg float64) (Match, bool) {
	if c.structural != "" || len(p.passages) == 0 {
		return Match{}, false
	}
	// Page-level negatives: the title or URL names another context.
	var pageNegs []string
	for _, ng := range append(m.global[:len(m.global):len(m.global)], c.not...) {
		if m.negative(p.title, ng, c) || m.negative(p.url, ng, c) {
			pageNegs = append(pageNegs, fmt.Sprintf("%q in the page title or address", m.phrases[ng].text))
		}
	}
	scores := make([]passageScore, 0, len(p.passages))
	inText := false
	for i := range p.passages {
		ps := &p.passages[i]
		norm := m.model.lengthNorm(ps.ntoks, avg)
		total := 0.0
		var contrib map[int]float64
		for _, t := range c.terms {
			var tf float64
			if !t.headingOnly && len(ps.body[t.phrase]) > 0 {
				tf += m.model.Weights[fieldBody] * float64(len(ps.body[t.phrase])) / norm
				inText = true
			}
			if len(ps.head[t.phrase]) > 0 && ps.ntoks >= minSectionWords {
				inText = true
			}
			tf += m.model.Weights[fieldHeading] * float64(min(len(ps.head[t.phrase]), 1))
			tf += m.model.Weights[fieldTitle] * float64(min(len(p.title[t.phrase]), 1))
			tf += m.model.Weights[fieldURL] * float64(min(len(p.url[t.phrase]), 1))
			tf += m.model.Weights[fieldAnchor] * float64(min(len(p.anchor[t.phrase]), 2))
			if tf == 0 {
				continue
			}
			s := t.weight * idfs[t.phrase] * m.model.saturate(tf)
			if contrib == nil {
				contrib = map[int]float64{}
			}
			contrib[t.phrase] += s
			total += s
		}
		if total == 0 {
			continue
		}
		factor := 1.0
		var negs []string
		if len(pageNegs) > 0 {
			factor = negTitleFactor
			negs = pageNegs
		}
		for _, ng := range m.global {
			if m.negative(ps.head, ng, c) {
				factor = min(factor, negTitleFactor)
				negs = append(negs, fmt.Sprintf("%q in the heading", m.phrases[ng].text))
			}
		}
		for _, ng := range c.not {
			if m.negative(ps.head, ng, c) {
				factor = min(factor, negTitleFactor)
				negs = append(negs, fmt.Sprintf("%q in the heading", m.phrases[ng].text))
			} else if m.negative(ps.body, ng, c) && factor > negBodyFactor {
				factor = negBodyFactor
				negs = append(negs, fmt.Sprintf("%q in the text", m.phrases[ng].text))
			}
		}
		scores = append(scores, passageScore{i: i, score: total * factor, contrib: contrib, negs: negs})
	}
	// A page must say something about the criterion in its own text, or
	// under a heading that names it: a title or link text alone is a
	// signpost, not information.
	if len(scores) == 0 || !inText {
		return Match{}, false
	}
	sort.SliceStable(scores, func(a, b int) bool { return scores[a].score > scores[b].score })
	best := scores[0]
	total := best.score
	if len(scores) > 1 {
		total += secondShare * scores[1].score
	}
	if total < m.MinScore {
		return Match{}, false
	}
	ps := &p.passages[best.i]
	mt := Match{URL: p.URL, Title: p.Title, Criterion: c.id, Score: total, Heading: ps.heading, Negative: best.negs}

	// Core and requires groups are looked for in the passages about the
	// criterion: those at least a quarter as relevant as the best one, and
	// the sections under the best one's heading (an introduction whose
	// sub-sections cover early years, schools and colleges in turn).
	scope := make([]int, 0, len(scores))
	in := map[int]bool{}
	for _, s := range scores {
		if s.score >= best.score/4 {
			scope = append(scope, s.i)
			in[s.i] = true
		}
	}
	if ps.heading != "" {
		depth := len(ps.path)
		for i := best.i + 1; i < len(p.passages); i++ {
			q := &p.passages[i]
			if len(q.path) <= depth || q.path[depth] != ps.heading {
				break
			}
			if !in[i] {
				scope = append(scope, i)
			}
		}
	}
	found := func(g []int) bool {
		for _, i := range scope {
			q := &p.passages[i]
			for _, ph := range g {
				if len(q.full[ph]) > 0 || len(q.head[ph]) > 0 || len(p.title[ph]) > 0 {
					return true
				}
			}
		}
		return false
	}
	mt.CoreMet, mt.RequiresMet = true, true
	for _, g := range c.core {
		if !found(g) {
			mt.CoreMet = false
			mt.Missing = append(mt.Missing, m.phrases[g[0]].text)
		}
	}
	for _, g := range c.requires {
		if !found(g) {
			mt.RequiresMet = false
			mt.Missing = append(mt.Missing, m.phrases[g[0]].text)
		}
	}
	if !c.contactRoutes && contactOnly(p, scope) {
		mt.RequiresMet = false
		mt.Missing = append(mt.Missing, "more than a contact route")
	}
	mt.Signals = m.explain(p, ps, best, c)
	mt.Snippet, mt.Terms = m.snippet(ps, c)
	return mt, true
}

// contactOnly reports whether the passages in scope say little more than
// how to get in touch: a phone number or email address in at most
// contactOnlyWords words.
func contactOnly(p *Scanned, scope []int) bool {
	words, route := 0, false
	for _, i := range scope {
		q := &p.passages[i]
		words += q.ntoks
		route = route || contactRoute.MatchString(q.text)
	}
	return route && words <= contactOnlyWords
}

// negative reports whether negative phrase ng occurs in field f outside
// every occurrence of c's own phrases: "care needs assessment" inside
// "education, health and care needs assessment" is not the adult social
// care sense. A proximity pair covers nothing: the words between its halves
// are any words, and "refused ... appeal hearings ... admission" is still
// about appeals.
func (m *Matcher) negative(f fieldHits, ng int, c *critModel) bool {
	for _, n := range f[ng] {
		covered := false
		for _, t := range c.terms {
			if t.phrase == ng || m.phrases[t.phrase].near {
				continue
			}
			for _, sp := range f[t.phrase] {
				if sp.from <= n.from && n.to <= sp.to && sp.to-sp.from > n.to-n.from {
					covered = true
					break
				}
			}
			if covered {
				break
			}
		}
		if !covered {
			return true
		}
	}
	return false
}

// explain lists the phrases that contributed most, with where they fired.
func (m *Matcher) explain(p *Scanned, ps *scannedPassage, best passageScore, c *critModel) []string {
	inBody := map[int]bool{}
	for _, t := range c.terms {
		if !t.headingOnly {
			inBody[t.phrase] = true
		}
	}
	type kv struct {
		ph int
		s  float64
	}
	var list []kv
	for ph, s := range best.contrib {
		list = append(list, kv{ph, s})
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].s != list[j].s {
			return list[i].s > list[j].s
		}
		return list[i].ph < list[j].ph
	})
	var out []string
	for i, e := range list {
		if i == 6 {
			break
		}
		var where []string
		if n := len(ps.body[e.ph]); n > 0 && inBody[e.ph] {
			where = append(where, fmt.Sprintf("text ×%d", n))
		}
		if len(ps.head[e.ph]) > 0 {
			where = append(where, "heading")
		}
		if len(p.title[e.ph]) > 0 {
			where = append(where, "title")
		}
		if len(p.url[e.ph]) > 0 {
			where = append(where, "URL")
		}
		if len(p.anchor[e.ph]) > 0 {
			where = append(where, "link text")
		}
		out = append(out, fmt.Sprintf("%q in %s (+%.2f)", m.phrases[e.ph].text, strings.Join(where, ", "), e.s))
	}
	for _, n := range best.negs {
		out = append(out, "not: "+n)
	}
	return out
}

// snippet returns the window of the passage with the most matches of c's
// phrases, trimmed at word boundaries, and the matched words in it.
func (m *Matcher) snippet(ps *scannedPassage, c *critModel) (string, []string) {
	toks := tokenize(ps.masked)
	if len(toks) == 0 {
		return ps.heading, nil
	}
	var spans []span
	for _, t := range c.terms {
		if !t.headingOnly {
			spans = append(spans, ps.body[t.phrase]...)
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].from < spans[j].from })
	start := 0
	if len(spans) > 0 {
		// Slide a window of snippetWords words to cover the most matches.
		bestN, j := -1, 0
		for i := range spans {
			for j < len(spans) && spans[j].to-spans[i].from <= snippetWords {
				j++
			}
			if j-i > bestN {
				bestN, start = j-i, int(spans[i].from)
			}
		}
		start = max(0, start-8)
	}
	end := min(len(toks), start+snippetWords)
	if end-start < snippetWords {
		start = max(0, end-snippetWords)
	}
	text := ps.text[toks[start].start:toks[end-1].end]
	// Extend to the end of the sentence when it is close.
	rest := ps.text[toks[end-1].end:]
	if i := strings.IndexAny(rest, ".!?"); i >= 0 && i < 80 {
		text += rest[:i+1]
	}
	text = strings.Join(strings.Fields(text), " ")
	if start > 0 {
		text = "…" + text
	}
	if end < len(toks) && !strings.HasSuffix(text, ".") {
		text += "…"
	}
	seen := map[string]bool{}
	var terms []string
	for _, sp := range spans {
		if int(sp.from) < start || int(sp.to) > end {
			continue
		}
		w := ps.text[toks[sp.from].start:toks[sp.to-1].end]
		k := strings.ToLower(w)
		if !seen[k] {
			seen[k] = true
			terms = append(terms, w)
		}
	}
	return text, terms
}
