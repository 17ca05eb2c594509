package report_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/report"
)

// region23 is a full region: 23 authorities with every sub-section
// reviewed, in rotating patterns.
func region23() ([]fixtureLA, []config.Authority) {
	const scores = "YPNYPPYNYPYNP"
	var las []fixtureLA
	var cas []config.Authority
	for i := 0; i < 23; i++ {
		p := scores[i%13:] + scores[:i%13]
		slug := fmt.Sprintf("la-%02d", i)
		las = append(las, fixtureLA{slug, fmt.Sprintf("Authority %02d", i), p})
		cas = append(cas, config.Authority{Slug: slug, Name: fmt.Sprintf("Authority %02d", i)})
	}
	return las, cas
}

// BenchmarkRegionalReport builds and renders the report for 23 authorities
// from the store: the work `localoffer report` does before printing.
func BenchmarkRegionalReport(b *testing.B) {
	las, cas := region23()
	db, rub := seedWith(b, las)
	b.ResetTimer()
	for b.Loop() {
		r, err := report.Build(db, rub, report.Options{Authorities: cas})
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		if err := r.WriteHTML(&buf); err != nil {
			b.Fatal(err)
		}
		if err := r.WriteXLSX(&buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBundle writes one authority's evidence bundle (13 captures).
func BenchmarkBundle(b *testing.B) {
	db, rub := seed(b)
	a := fixtureAuthorities()[0]
	dir := b.TempDir()
	b.ResetTimer()
	for b.Loop() {
		if _, err := report.WriteBundle(db, rub, a, dir, report.BundleOptions{Now: func() time.Time { return bundleDay }}); err != nil {
			b.Fatal(err)
		}
	}
}
