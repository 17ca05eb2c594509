package review

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// regionFixture seeds 23 authorities, the size of the North West review.
func regionFixture(b *testing.B) *fixture {
	var y strings.Builder
	y.WriteString("authorities:\n")
	for i := 1; i <= 23; i++ {
		fmt.Fprintf(&y, "  - {slug: la-%02d, name: Authority %02d Council, region: North West, start_urls: [\"https://la-%02d.example/send\"]}\n", i, i, i)
	}
	return newFixtureWith(b, y.String())
}

func benchGet(b *testing.B, f *fixture, target string) {
	ck, _ := f.session("viewer1")
	h := f.srv.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest("GET", target, nil)
		req.AddCookie(ck)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s = %d", target, rec.Code)
		}
	}
}

// BenchmarkDashboard renders the 23 x 13 dashboard.
func BenchmarkDashboard(b *testing.B) { benchGet(b, regionFixture(b), "/") }

// BenchmarkAuthorityPage renders one authority's page with all its cards.
func BenchmarkAuthorityPage(b *testing.B) { benchGet(b, regionFixture(b), "/a/la-07") }

// BenchmarkAcceptUndo measures a reviewer's save: each request commits a
// change and its audit entry to the store before answering.
func BenchmarkAcceptUndo(b *testing.B) {
	f := regionFixture(b)
	ck, csrf := f.session("reviewer1")
	h := f.srv.Handler()
	items, err := f.db.Items("la-07", "")
	if err != nil || len(items) == 0 {
		b.Fatal("no items")
	}
	path := "/a/la-07/items/" + items[0].ID + "/"
	body := url.Values{"csrf": {csrf}}.Encode()
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		action := "accept"
		if i%2 == 1 {
			action = "undo"
		}
		i++
		req := httptest.NewRequest("POST", path+action, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(ck)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusSeeOther {
			b.Fatalf("%s = %d", action, rec.Code)
		}
	}
}
