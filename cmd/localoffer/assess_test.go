package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// serveFixture serves the fixture council of testdata/assess/site: "/" is
// index.html, "/send/local-offer" is send/local-offer.html.
func serveFixture(t *testing.T) *httptest.Server {
	t.Helper()
	root := "../../testdata/assess/site"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := strings.TrimPrefix(r.URL.Path, "/")
		if p == "" {
			p = "index"
		}
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(p)+".html"))
		if err != nil || strings.Contains(p, "..") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(data)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestAssessExportRubricCommands(t *testing.T) {
	srv := serveFixture(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "authorities.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`crawl:
  delay: 1ms
  timeout: 5s
authorities:
  - slug: farrowdale
    name: Farrowdale Borough Council
    start_urls: [%q]
    home_url: %q
  - slug: nevercrawled
    name: Never Crawled Council
    start_urls: ["http://127.0.0.1:1/"]
`, srv.URL+"/send/local-offer", srv.URL+"/")), 0o600)
	db := filepath.Join(dir, "s.db")
	base := []string{"--config", cfg, "--db", db}
	run := func(args ...string) (string, string, int) {
		t.Helper()
		return runCLI(t, append(append([]string(nil), base...), args...)...)
	}

	if _, errOut, code := run("assess"); code != 1 || !strings.Contains(errOut, "run localoffer crawl first") {
		t.Errorf("assess before any crawl: exit %d, want 1 with a hint\n%s", code, errOut)
	}
	if out, errOut, code := run("crawl", "--la", "farrowdale"); code != 0 {
		t.Fatalf("crawl: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code := run("assess")
	if code != 0 || !strings.Contains(out, "farrowdale: crawl") || !strings.Contains(out, "Yes 5, Partial 5, No 3") || strings.Contains(out, "nevercrawled") {
		t.Fatalf("assess: exit %d\n%s%s", code, out, errOut)
	}
	if _, _, code := run("assess", "--la", "nevercrawled"); code != 1 {
		t.Errorf("assess --la of an authority never crawled: exit %d, want 1", code)
	}
	if _, _, code := run("assess", "--la", "nowhere"); code != 2 {
		t.Errorf("assess --la unknown: exit %d, want 2", code)
	}

	// JSON export: the contract file.
	jdir := filepath.Join(dir, "json")
	if out, errOut, code := run("export", "--format", "json", "--out", jdir); code != 0 || !strings.Contains(out, "farrowdale.json") {
		t.Fatalf("export json: exit %d\n%s%s", code, out, errOut)
	}
	var a struct {
		LA            string `json:"la"`
		RubricVersion string `json:"rubric_version"`
		Crawl         struct {
			ID    string `json:"id"`
			Pages int    `json:"pages"`
		} `json:"crawl"`
		Subsections []struct {
			ID             string  `json:"id"`
			SuggestedScore string  `json:"suggested_score"`
			FinalScore     *string `json:"final_score"`
			Evidence       []struct {
				URL    string `json:"url"`
				Status string `json:"status"`
			} `json:"evidence"`
		} `json:"subsections"`
	}
	data, err := os.ReadFile(filepath.Join(jdir, "farrowdale.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &a); err != nil {
		t.Fatal(err)
	}
	if a.LA != "farrowdale" || a.RubricVersion != "1" || a.Crawl.ID == "" || a.Crawl.Pages == 0 || len(a.Subsections) != 13 {
		t.Errorf("assessment header: %+v", a)
	}
	if a.Subsections[0].ID != "general.accessibility" || a.Subsections[0].SuggestedScore != "Yes" || a.Subsections[0].FinalScore != nil {
		t.Errorf("first sub-section: %+v", a.Subsections[0])
	}
	var acc []string
	for _, e := range a.Subsections[0].Evidence {
		acc = append(acc, strings.TrimPrefix(e.URL, srv.URL))
	}
	for _, want := range []string{"/", "/send/local-offer", "/a-z", "/send/local-offer/contact"} {
		if !slices.Contains(acc, want) {
			t.Errorf("accessibility evidence %q lacks %s", acc, want)
		}
	}

	// CSV export.
	cdir := filepath.Join(dir, "csv")
	if _, errOut, code := run("export", "--format", "csv", "--out", cdir); code != 0 {
		t.Fatalf("export csv: exit %d\n%s", code, errOut)
	}
	f, err := os.Open(filepath.Join(cdir, "scores.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(rows) != 2 || len(rows[0]) != 15 || rows[1][0] != "farrowdale" || rows[1][2] != "Yes" {
		t.Errorf("scores.csv = %q, %v", rows, err)
	}
	for _, name := range []string{"subsections.csv", "evidence.csv"} {
		data, err := os.ReadFile(filepath.Join(cdir, name))
		if err != nil || !strings.Contains(string(data), "general.accessibility") {
			t.Errorf("%s: %v\n%s", name, err, data)
		}
	}
	if _, _, code := run("export", "--format", "xml", "--out", cdir); code != 2 {
		t.Errorf("export --format xml: exit %d, want 2", code)
	}
	if _, _, code := run("export", "--format", "json"); code != 2 {
		t.Errorf("export without --out: exit %d, want 2", code)
	}

	// The rubric: show, check a good and a bad amendment, assess with it.
	out, _, code = run("rubric", "show")
	if code != 0 || !strings.Contains(out, "early_years.identification [5.36]") || !strings.Contains(out, "judged from site structure") {
		t.Errorf("rubric show: exit %d\n%s", code, out)
	}
	yml, _, code := run("rubric", "show", "--yaml")
	if code != 0 || !strings.HasPrefix(strings.TrimSpace(yml), "#") || !strings.Contains(yml, `version: "1"`) {
		t.Fatalf("rubric show --yaml: exit %d", code)
	}
	amended := strings.Replace(yml, `version: "1"`, `version: "1.1"`, 1)
	amended = strings.Replace(amended, `text: "Support for children/YP released from custody"`, `text: "Support for children and young people released from custody or detention"`, 1)
	good := filepath.Join(dir, "rubric-1.1.yaml")
	os.WriteFile(good, []byte(amended), 0o600)
	out, errOut, code = run("rubric", "check", good)
	if code != 0 || !strings.Contains(out, "rubric version 1.1: 4 sections, 13 sub-sections, 23 criteria: OK") || !strings.Contains(out, "reworded post16.future.custody") {
		t.Errorf("rubric check good: exit %d\n%s%s", code, out, errOut)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte(strings.Replace(amended, `"section 41: 5"`, `"section 41: -5"`, 1)), 0o600)
	_, errOut, code = run("rubric", "check", bad)
	if code != 1 || !strings.Contains(errOut, "bad.yaml:") || !strings.Contains(errOut, "weight must be") {
		t.Errorf("rubric check bad: exit %d\n%s", code, errOut)
	}
	if _, errOut, code := run("--rubric", bad, "assess"); code != 2 || !strings.Contains(errOut, "bad.yaml:") {
		t.Errorf("assess --rubric bad: exit %d, want 2\n%s", code, errOut)
	}
	if out, errOut, code := run("--rubric", good, "assess"); code != 0 {
		t.Fatalf("assess --rubric amended: exit %d\n%s%s", code, out, errOut)
	}
	if _, errOut, code := run("--rubric", good, "export", "--out", jdir); code != 0 {
		t.Fatalf("export: %s", errOut)
	}
	data, _ = os.ReadFile(filepath.Join(jdir, "farrowdale.json"))
	if !strings.Contains(string(data), `"rubric_version": "1.1"`) || !strings.Contains(string(data), "or detention") {
		t.Errorf("export after assessing with the amended rubric does not carry it")
	}
}
