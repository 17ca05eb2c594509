package extract

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the .golden files under testdata")

// fixtures is the directory of hand-written fixture pages.
const fixtures = "../testdata/extract"

// dump renders a Document as readable text for golden files.
func dump(d *Document) string {
	var b strings.Builder
	fmt.Fprintf(&b, "url: %s\nkind: %s\ntitle: %s\npath words: %s\n", d.URL, d.Kind, d.Title, strings.Join(d.PathWords, " "))
	fmt.Fprintf(&b, "headings: %s\n", strings.Join(d.Headings, " / "))
	for _, s := range d.Sections {
		fmt.Fprintf(&b, "\n## h%d %s", s.Level, s.Heading)
		if len(s.Path) > 0 {
			fmt.Fprintf(&b, "  [in: %s]", strings.Join(s.Path, " > "))
		}
		b.WriteString("\n")
		if s.Text != "" {
			b.WriteString(s.Text)
			b.WriteString("\n")
		}
	}
	b.WriteString("\nlinks:\n")
	for _, l := range d.Links {
		fmt.Fprintf(&b, "  %s  %s\n", l.URL, l.Text)
	}
	b.WriteString("nav links:\n")
	for _, l := range d.NavLinks {
		fmt.Fprintf(&b, "  %s  %s\n", l.URL, l.Text)
	}
	for _, w := range d.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	return b.String()
}

// checkGolden compares got with the golden file, or rewrites it under
// -update.
func checkGolden(t *testing.T, golden, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden (run go test -update to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", golden, got, want)
	}
}

// TestSiteGolden learns a fixture site of six pages, then extracts each
// and compares with the hand-checked golden text: the cookie banner, mega
// menu, breadcrumbs, related-links sidebar and footer must be gone.
func TestSiteGolden(t *testing.T) {
	dir := filepath.Join(fixtures, "site")
	pages, err := filepath.Glob(filepath.Join(dir, "*.html"))
	if err != nil || len(pages) < DefaultMinPages {
		t.Fatalf("fixture site: %d pages, %v", len(pages), err)
	}
	bodies := make(map[string][]byte)
	s := NewSite()
	for _, p := range pages {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		bodies[p] = b
		s.Learn(b, "text/html; charset=utf-8", siteURL(p))
	}
	if s.Pages() != len(pages) {
		t.Fatalf("Pages() = %d, want %d", s.Pages(), len(pages))
	}
	for _, p := range pages {
		t.Run(filepath.Base(p), func(t *testing.T) {
			d, err := s.Document(bodies[p], "text/html; charset=utf-8", siteURL(p))
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, strings.TrimSuffix(p, ".html")+".golden", dump(d))
		})
	}
}

func siteURL(p string) string {
	name := strings.TrimSuffix(filepath.Base(p), ".html")
	if name == "index" {
		return "https://www.wealdshire.example/send/"
	}
	return "https://www.wealdshire.example/send/" + name + "/"
}

// TestHTMLGolden extracts single pages (no site knowledge) modelled on
// common council platforms.
func TestHTMLGolden(t *testing.T) {
	pages, err := filepath.Glob(filepath.Join(fixtures, "html", "*.html"))
	if err != nil || len(pages) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, p := range pages {
		t.Run(filepath.Base(p), func(t *testing.T) {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			d, err := HTML(b, "text/html", "https://localoffer.example.gov.uk/send/"+strings.TrimSuffix(filepath.Base(p), ".html"))
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, strings.TrimSuffix(p, ".html")+".golden", dump(d))
		})
	}
}
