package extract

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// benchPages builds n pages of about 20 KB each on the fixture site's
// template: the site's chrome around content that differs page to page
// (headings, paragraphs, lists, a table).
func benchPages(tb testing.TB, n int) [][]byte {
	tb.Helper()
	tpl, err := os.ReadFile(filepath.Join(fixtures, "site", "index.html"))
	if err != nil {
		tb.Fatal(err)
	}
	const open, close = `<div class="layout__main" id="maincontent">`, `<div class="layout__side">`
	s := string(tpl)
	i, j := strings.Index(s, open), strings.Index(s, close)
	if i < 0 || j < 0 {
		tb.Fatal("fixture template changed")
	}
	head, tail := s[:i+len(open)], "</div>\n"+s[j:]
	words := strings.Fields("support children young people special educational needs disabilities school " +
		"assessment plan family health care short breaks transport college adulthood parent carer review " +
		"funding therapy speech language advice nursery inclusion team service referral meeting")
	pages := make([][]byte, n)
	for p := range pages {
		var b strings.Builder
		b.WriteString(head)
		fmt.Fprintf(&b, "<h1>Page %d about %s</h1>\n", p, words[p%len(words)])
		for k := 0; b.Len() < 19000; k++ {
			if k%4 == 0 {
				fmt.Fprintf(&b, "<h2>Section %d: %s %s</h2>\n", k, words[(p+k)%len(words)], words[(p*k+3)%len(words)])
			}
			b.WriteString("<p>")
			for w := 0; w < 60; w++ {
				b.WriteString(words[(p*31+k*7+w*w)%len(words)])
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "(ref %d-%d) <a href=\"/send/p%d\">more on this</a>.</p>\n", p, k, k)
			if k%5 == 2 {
				fmt.Fprintf(&b, "<ul><li>%s</li><li>%s</li><li>item %d</li></ul>\n", words[k%len(words)], words[(k+p)%len(words)], k)
			}
			if k%9 == 4 {
				fmt.Fprintf(&b, "<table><tr><th>Age</th><th>Hours</th></tr><tr><td>%d</td><td>%d</td></tr></table>\n", k, p)
			}
		}
		b.WriteString(tail)
		pages[p] = []byte(b.String())
	}
	return pages
}

// BenchmarkSiteLearnAndDocument is the cost of assessing one page: the
// learning pass plus the extraction pass. pages/s is the figure to watch.
func BenchmarkSiteLearnAndDocument(b *testing.B) {
	pages := benchPages(b, 500)
	b.ResetTimer()
	n := 0
	for b.Loop() {
		s := NewSite()
		for _, p := range pages {
			s.Learn(p, "text/html; charset=utf-8", "https://x.example/send/page")
		}
		for _, p := range pages {
			if _, err := s.Document(p, "text/html; charset=utf-8", "https://x.example/send/page"); err != nil {
				b.Fatal(err)
			}
		}
		n += len(pages)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "pages/s")
}

// BenchmarkSiteLearnAndDocumentParallel is the same work spread over
// GOMAXPROCS goroutines, as a caller assessing a site would run it: a Site
// is safe for concurrent use.
func BenchmarkSiteLearnAndDocumentParallel(b *testing.B) {
	pages := benchPages(b, 500)
	workers := runtime.GOMAXPROCS(0)
	each := func(fn func(p []byte)) {
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := w; i < len(pages); i += workers {
					fn(pages[i])
				}
			})
		}
		wg.Wait()
	}
	b.ResetTimer()
	n := 0
	for b.Loop() {
		s := NewSite()
		each(func(p []byte) { s.Learn(p, "text/html; charset=utf-8", "https://x.example/send/page") })
		each(func(p []byte) {
			if _, err := s.Document(p, "text/html; charset=utf-8", "https://x.example/send/page"); err != nil {
				b.Error(err)
			}
		})
		n += len(pages)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "pages/s")
}

func BenchmarkSiteLearn(b *testing.B) {
	pages := benchPages(b, 500)
	s := NewSite()
	b.SetBytes(int64(len(pages[0])))
	b.ResetTimer()
	i := 0
	for b.Loop() {
		s.Learn(pages[i%len(pages)], "text/html", "https://x.example/send/page")
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "pages/s")
}

func BenchmarkSiteDocument(b *testing.B) {
	pages := benchPages(b, 500)
	s := NewSite()
	for _, p := range pages {
		s.Learn(p, "text/html", "https://x.example/send/page")
	}
	b.SetBytes(int64(len(pages[0])))
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if _, err := s.Document(pages[i%len(pages)], "text/html", "https://x.example/send/page"); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "pages/s")
}

func BenchmarkHTML(b *testing.B) {
	pages := benchPages(b, 100)
	b.SetBytes(int64(len(pages[0])))
	i := 0
	for b.Loop() {
		if _, err := HTML(pages[i%len(pages)], "text/html", "https://x.example/send/page"); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "pages/s")
}

func BenchmarkPDF(b *testing.B) {
	pdf := samplePDF()
	b.SetBytes(int64(len(pdf)))
	for b.Loop() {
		if _, err := PDF(pdf, "https://x.example/a.pdf"); err != nil {
			b.Fatal(err)
		}
	}
}

// TestBenchPages keeps the benchmark input honest: about 20 KB a page,
// and the chrome really is removed from it.
func TestBenchPages(t *testing.T) {
	pages := benchPages(t, 20)
	s := NewSite()
	for _, p := range pages {
		if len(p) < 18000 || len(p) > 24000 {
			t.Fatalf("page is %d bytes, want about 20 KB", len(p))
		}
		s.Learn(p, "text/html", "https://x.example/")
	}
	d, err := s.Document(pages[3], "text/html", "https://x.example/")
	if err != nil {
		t.Fatal(err)
	}
	text := d.MainText()
	if strings.Contains(text, "Jargon buster") || strings.Contains(text, "Accessibility statement") || !strings.Contains(text, "(ref 3-0)") {
		t.Errorf("bench page extraction wrong:\n%.500s", text)
	}
}
