package crawler

import (
	"bytes"
	"compress/gzip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxSitemapBytes is the most of one (decompressed) sitemap that is read;
// the sitemaps protocol caps a file at 50 MB.
const maxSitemapBytes = 50 << 20

// maxSitemapURLs is the most URLs taken from one sitemap file, the
// sitemaps protocol's own limit. A file listing more (a generated million)
// would otherwise hold every URL, its link record and its crawl log entry
// in memory at once.
const maxSitemapURLs = 50000

// maxSitemaps bounds how many sitemap files one crawl reads, so that a
// sitemap index cannot become a trap of its own.
const maxSitemaps = 200

// parseSitemap reads a sitemap or sitemap index (plain or gzipped) and
// returns the page URLs and the nested sitemap URLs it lists.
func parseSitemap(data []byte) (pages, sitemaps []string, err error) {
	if len(data) > 2 && data[0] == 0x1f && data[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, nil, fmt.Errorf("sitemap: %w", err)
		}
		data, err = io.ReadAll(io.LimitReader(zr, maxSitemapBytes))
		if err != nil {
			return nil, nil, fmt.Errorf("sitemap: %w", err)
		}
	}
	trim := bytes.TrimSpace(data)
	if len(trim) > 0 && trim[0] != '<' {
		// A plain-text sitemap: one URL a line.
		for _, l := range strings.Split(string(trim), "\n") {
			if l = strings.TrimSpace(l); strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") {
				pages = append(pages, l)
				if len(pages) >= maxSitemapURLs {
					break
				}
			}
		}
		return pages, nil, nil
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = false
	root := ""
	inLoc := false
	var loc strings.Builder
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if root == "" {
				return nil, nil, fmt.Errorf("sitemap: %w", err)
			}
			break // keep what was read before the damage
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = t.Name.Local
			}
			if t.Name.Local == "loc" {
				inLoc = true
				loc.Reset()
			}
		case xml.CharData:
			if inLoc {
				loc.Write(t)
			}
		case xml.EndElement:
			if t.Name.Local == "loc" && inLoc {
				inLoc = false
				u := strings.TrimSpace(loc.String())
				if u == "" {
					continue
				}
				if root == "sitemapindex" {
					sitemaps = append(sitemaps, u)
				} else {
					pages = append(pages, u)
				}
				if len(pages)+len(sitemaps) >= maxSitemapURLs {
					return pages, sitemaps, nil
				}
			}
		}
	}
	if root != "urlset" && root != "sitemapindex" {
		return nil, nil, fmt.Errorf("sitemap: root element <%s> is not urlset or sitemapindex", root)
	}
	return pages, sitemaps, nil
}
