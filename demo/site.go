// Package demo serves fixture Local Offer sites on loopback ports, the way a
// council's web server would: robots.txt, a sitemap, pages wrapped in the
// site's header, navigation and footer, ETag and Last-Modified with 304
// answers to conditional requests, a PDF, and pages in windows-1252. The
// demo command crawls them, and tests use them as sites whose content
// changes between two runs.
//
// A site is a directory holding site.json and pages/. Each page is a small
// text file: "key: value" lines (title, modified, path, charset, kind),
// a line "---", then a body in Markdown (CommonMark with tables).
package demo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// Site is one fictional authority's website.
type Site struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
	// Tagline is printed under the name in the header.
	Tagline   string `json:"tagline"`
	StartPath string `json:"start_path"`
	HomePath  string `json:"home_path"`
	Robots    string `json:"robots"`
	// Nav and Footer are [text, path] pairs rendered on every page.
	Nav    [][2]string `json:"nav"`
	Footer [][2]string `json:"footer"`
	// Redirects map old paths to new ones (answered 301).
	Redirects map[string]string `json:"redirects"`
	Pages     map[string]*Page  `json:"-"`
}

// Page is one page or document of a site.
type Page struct {
	// Path is the URL path, with a query for "?id=" style pages.
	Path     string
	Title    string
	Modified time.Time
	// Charset is "utf-8" (default) or "windows-1252".
	Charset string
	// Kind is "html" (default) or "pdf".
	Kind string
	// Sitemap is false for pages left out of sitemap.xml.
	Sitemap bool
	Body    string
	// Crumbs are the page's breadcrumb trail, from front matter "parent".
	Parent string
}

// LoadSite reads the site in directory dir of fsys.
func LoadSite(fsys fs.FS, dir string) (*Site, error) {
	data, err := fs.ReadFile(fsys, path.Join(dir, "site.json"))
	if err != nil {
		return nil, fmt.Errorf("demo site %s: %w", dir, err)
	}
	var s Site
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("demo site %s/site.json: %w", dir, err)
	}
	if s.Slug == "" || s.Name == "" || s.StartPath == "" {
		return nil, fmt.Errorf("demo site %s/site.json: slug, name and start_path are required", dir)
	}
	if s.HomePath == "" {
		s.HomePath = "/"
	}
	s.Pages = map[string]*Page{}
	root := path.Join(dir, "pages")
	err = fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".txt") {
			return err
		}
		src, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		rel := strings.TrimSuffix(strings.TrimPrefix(p, root), ".txt")
		pg, err := parsePage(rel, src)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if old, dup := s.Pages[pg.Path]; dup {
			return fmt.Errorf("%s: path %s is used twice (also %q)", p, pg.Path, old.Title)
		}
		s.Pages[pg.Path] = pg
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("demo site %s: %w", dir, err)
	}
	if _, ok := s.Pages[s.StartPath]; !ok {
		return nil, fmt.Errorf("demo site %s: no page at start_path %s", dir, s.StartPath)
	}
	return &s, nil
}

// LoadSites reads every site directory directly under dir.
func LoadSites(fsys fs.FS, dir string) ([]*Site, error) {
	ents, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("demo sites: %w", err)
	}
	var out []*Site
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		s, err := LoadSite(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("demo sites: no site in %s", dir)
	}
	return out, nil
}

// parsePage reads a page file; rel is its path under pages/ without ".txt".
func parsePage(rel string, src []byte) (*Page, error) {
	head, body, ok := bytes.Cut(src, []byte("\n---\n"))
	if !ok {
		return nil, fmt.Errorf(`no "---" line after the page's header`)
	}
	p := &Page{Charset: "utf-8", Kind: "html", Sitemap: true, Body: string(body)}
	p.Path = strings.TrimSuffix(rel, "/index")
	if p.Path == "" {
		p.Path = "/"
	}
	if strings.HasSuffix(p.Path, ".pdf") {
		p.Kind = "pdf"
	}
	for i, line := range strings.Split(string(head), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("line %d: want key: value, got %q", i+1, line)
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "title":
			p.Title = v
		case "path":
			p.Path = v
		case "parent":
			p.Parent = v
		case "modified":
			t, err := time.Parse("2006-01-02", v)
			if err != nil {
				return nil, fmt.Errorf("line %d: modified %q is not a date like 2025-09-14", i+1, v)
			}
			p.Modified = t
		case "charset":
			if v != "utf-8" && v != "windows-1252" {
				return nil, fmt.Errorf("line %d: charset must be utf-8 or windows-1252", i+1)
			}
			p.Charset = v
		case "sitemap":
			p.Sitemap = v != "no"
		default:
			return nil, fmt.Errorf("line %d: unknown key %q", i+1, k)
		}
	}
	if p.Title == "" {
		return nil, fmt.Errorf("title is required")
	}
	if p.Modified.IsZero() {
		p.Modified = time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)
	}
	return p, nil
}

// Paths returns the site's page paths, sorted.
func (s *Site) Paths() []string {
	out := make([]string, 0, len(s.Pages))
	for p := range s.Pages {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

var linkRE = regexp.MustCompile(`\[([^\]]+)\]\(([^)\s]+)\)`)
var boldRE = regexp.MustCompile(`\*\*([^*]+)\*\*`)

// pageMarkdown renders the demo pages' bodies: CommonMark with tables.
var pageMarkdown = goldmark.New(goldmark.WithExtensions(extension.Table))

// renderBody turns a page's Markdown into HTML.
func renderBody(src string) string {
	var b strings.Builder
	if err := pageMarkdown.Convert([]byte(src), &b); err != nil {
		// Convert only fails when writing fails, and a Builder does not.
		return "<p>" + html.EscapeString(src) + "</p>"
	}
	return b.String()
}

// plainText is the body without markup, for the PDF.
func plainText(src string) []string {
	var out []string
	for _, line := range strings.Split(src, "\n") {
		t := strings.TrimSpace(line)
		t = strings.TrimLeft(t, "# ")
		t = linkRE.ReplaceAllString(t, "$1")
		t = boldRE.ReplaceAllString(t, "$1")
		if strings.HasPrefix(strings.TrimSpace(line), "- ") {
			t = "* " + strings.TrimPrefix(t, "- ")
		}
		out = append(out, t)
	}
	return out
}
