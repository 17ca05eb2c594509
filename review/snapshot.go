package review

import (
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/localoffer/localoffer/config"
	"github.com/localoffer/localoffer/evidence"
	"github.com/localoffer/localoffer/store"
)

type textSection struct {
	Heading  string
	Segments []segment
	Passage  bool
}

type snapshotPage struct {
	basePage
	Snap      *store.Snapshot
	Authority config.Authority
	Item      *evidence.Item
	Live      string
	// Frame is the inert HTML view's address; Sections the text of a PDF
	// or Word capture.
	Frame       string
	Sections    []textSection
	TextView    bool
	NoText      string
	Found       bool
	BackToCards string
}

// snapshot shows a capture exactly as stored: an HTML page in a sandboxed
// frame, a PDF or Word file as its extracted text. It never fetches the
// live page.
func (s *Server) snapshot(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	sn, err := s.db.Snapshot(r.PathValue("id"))
	if err != nil {
		return err
	}
	p := &snapshotPage{Snap: sn, Authority: config.Authority{Slug: sn.Authority, Name: s.authorityName(sn.Authority)}}
	p.Nav = "dashboard"
	p.Title = "Captured page: " + sn.URL
	if u, err := url.Parse(sn.FinalURL); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		p.Live = sn.FinalURL
	} else if u, err := url.Parse(sn.URL); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		p.Live = sn.URL
	}
	passage := ""
	if id := r.URL.Query().Get("item"); id != "" {
		it, err := s.db.Item(sn.Authority, id)
		if err != nil {
			return err
		}
		p.Item = &it
		passage = it.Snippet
		p.BackToCards = "/a/" + url.PathEscape(sn.Authority) + "#" + anchor("item-", it.ID)
	}
	switch sn.Kind {
	case "pdf", "doc":
		p.TextView = true
		if err := s.textView(p, passage); err != nil {
			return err
		}
	default:
		q := url.Values{}
		if p.Item != nil {
			q.Set("item", p.Item.ID)
		}
		p.Frame = "/snapshot/" + url.PathEscape(sn.ID) + "/raw"
		if len(q) > 0 {
			p.Frame += "?" + q.Encode()
		}
		if passage != "" {
			p.Frame += "#lo-passage"
			// Say so when the passage cannot be marked in the page (the
			// page changed, or the passage was assembled from several
			// places, as signposting evidence is).
			if body, err := s.db.Body(sn.SHA256); err == nil {
				_, p.Found, _ = inertHTML(body, sn.ContentType, sn.FinalURL, passage, noResolver{})
			}
		}
	}
	return s.render(w, r, c, http.StatusOK, "snapshot", p)
}

// textView fills p with the extracted text of a PDF or Word capture, the
// passage marked.
func (s *Server) textView(p *snapshotPage, passage string) error {
	if s.cfg.Extract == nil {
		p.NoText = "This server cannot read the text of documents; download the captured file instead."
		return nil
	}
	body, err := s.db.Body(p.Snap.SHA256)
	if err != nil {
		return err
	}
	doc, err := s.cfg.Extract(body, p.Snap.ContentType, p.Snap.URL)
	if err != nil {
		p.NoText = "The text of this file could not be read (" + err.Error() + "). Download the captured file instead."
		return nil
	}
	for _, sec := range doc.Sections {
		segs, found := []segment{{Text: sec.Text}}, false
		if passage != "" && !p.Found {
			segs, found = textSegments(sec.Text, passage)
		}
		p.Found = p.Found || found
		p.Sections = append(p.Sections, textSection{Heading: sec.Heading, Segments: segs, Passage: found})
	}
	if len(p.Sections) == 0 {
		p.NoText = "No text was found in this file (it may be a scanned image)."
	}
	return nil
}

// snapResolver finds captured pages and assets of one authority.
type snapResolver struct {
	db        *store.DB
	authority string
}

func (sr snapResolver) lookup(abs string) (*store.Snapshot, bool) {
	for _, u := range urlVariants(abs) {
		if sn, err := sr.db.LatestSnapshot(sr.authority, u); err == nil {
			return sn, true
		}
	}
	return nil, false
}

func (sr snapResolver) page(abs string) string {
	sn, ok := sr.lookup(abs)
	if !ok {
		return ""
	}
	return "/snapshot/" + url.PathEscape(sn.ID)
}

func (sr snapResolver) asset(abs string) ([]byte, string, bool) {
	sn, ok := sr.lookup(abs)
	if !ok || sn.SHA256 == "" {
		return nil, "", false
	}
	b, err := sr.db.Body(sn.SHA256)
	if err != nil {
		return nil, "", false
	}
	typ, _, _ := mime.ParseMediaType(sn.ContentType)
	return b, typ, true
}

// urlVariants are the spellings under which a crawler may have stored a
// URL: as written, with or without a trailing slash, without the query.
func urlVariants(abs string) []string {
	out := []string{abs}
	if strings.HasSuffix(abs, "/") {
		out = append(out, strings.TrimSuffix(abs, "/"))
	} else if u, err := url.Parse(abs); err == nil && u.RawQuery == "" {
		out = append(out, abs+"/")
	}
	if u, err := url.Parse(abs); err == nil {
		l := *u
		l.Host = strings.ToLower(l.Host)
		if s := l.String(); s != abs {
			out = append(out, s)
		}
	}
	return out
}

// snapshotRaw serves a captured HTML page made inert, for the viewer's
// sandboxed frame.
func (s *Server) snapshotRaw(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	sn, err := s.db.Snapshot(r.PathValue("id"))
	if err != nil {
		return err
	}
	body, err := s.db.Body(sn.SHA256)
	if err != nil {
		return err
	}
	passage := ""
	if id := r.URL.Query().Get("item"); id != "" {
		if it, err := s.db.Item(sn.Authority, id); err == nil {
			passage = it.Snippet
		}
	}
	base := sn.FinalURL
	if base == "" {
		base = sn.URL
	}
	h := w.Header()
	h.Set("Content-Security-Policy", snapshotCSP)
	h.Set("Cache-Control", "private, no-store")
	if sn.Kind != "html" && !strings.Contains(sn.ContentType, "html") {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		_, err = fmt.Fprintf(w, "This capture is a %s file; open it from the viewer.\n", sn.Kind)
		return err
	}
	out, _, err := inertHTML(body, sn.ContentType, base, passage, snapResolver{s.db, sn.Authority})
	if err != nil {
		return fmt.Errorf("make snapshot %s inert: %w", sn.ID, err)
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	_, err = w.Write(out)
	return err
}

// snapshotFile downloads the captured bytes as they were received.
func (s *Server) snapshotFile(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	sn, err := s.db.Snapshot(r.PathValue("id"))
	if err != nil {
		return err
	}
	body, err := s.db.Body(sn.SHA256)
	if err != nil {
		return err
	}
	name := "capture"
	if u, err := url.Parse(sn.URL); err == nil {
		if b := path.Base(u.Path); b != "" && b != "/" && b != "." {
			name = b
		}
	}
	typ := sn.ContentType
	if typ == "" {
		typ = "application/octet-stream"
	}
	h := w.Header()
	h.Set("Content-Type", typ)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	h.Set("Content-Security-Policy", snapshotCSP)
	h.Set("Cache-Control", "private, no-store")
	_, err = w.Write(body)
	return err
}

// pageTitle is the title of a captured page, or its URL.
func pageTitle(s *Server, sn *store.Snapshot) string {
	if sn.Kind == "html" || strings.Contains(sn.ContentType, "html") {
		if b, err := s.db.Body(sn.SHA256); err == nil {
			if t := htmlTitle(b, sn.ContentType); t != "" {
				return t
			}
		}
	}
	return sn.URL
}

// noResolver resolves nothing: for checking a page without reading the
// store again for every link.
type noResolver struct{}

func (noResolver) page(string) string                  { return "" }
func (noResolver) asset(string) ([]byte, string, bool) { return nil, "", false }
