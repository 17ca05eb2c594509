package demo_test

import (
	"strings"
	"testing"

	"github.com/localoffer/localoffer/demo"
	"github.com/localoffer/localoffer/extract"
)

// TestPDF_Readable checks that the demo's PDFs read back as text, with
// pound signs, wrapped long lines and a second page.
func TestPDF_Readable(t *testing.T) {
	lines := []string{"Top-up funding is paid above the first £6,000 of support.", strings.Repeat("A long line about early years support in settings ", 6)}
	for i := 0; i < 60; i++ {
		lines = append(lines, "Filler line to reach page two.")
	}
	lines = append(lines, "Last line on page two (with brackets) and a back\\slash.")
	doc, err := extract.Any(demo.PDF("A parents' guide", lines), "application/pdf", "http://127.0.0.1/guide.pdf")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(doc.MainText()), " ")
	for _, want := range []string{"£6,000", "early years support in settings", "Last line on page two (with brackets)"} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q:\n%s", want, text)
		}
	}
}
