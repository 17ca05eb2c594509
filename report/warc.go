package report

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/localoffer/localoffer/store"
	"github.com/nlnwa/gowarc/v3"
)

// archiveWriter writes a WARC 1.1 file with one gzip member per record (so
// that a replay tool can seek to any record) and keeps the CDXJ index and
// the page list that a WACZ carries beside it. Records are built and
// serialised by gowarc; digests use SHA-256 in hex, the same form as the
// store's content hashes, so a record can be checked against the store.
type archiveWriter struct {
	w         io.Writer
	n         int64
	filename  string
	warcinfo  string
	index     []string
	pages     []pageLine
	marshaler gowarc.Marshaler
}

type pageLine struct {
	ID    string `json:"id"`
	URL   string `json:"url"`
	TS    string `json:"ts"`
	Title string `json:"title,omitempty"`
}

func newArchiveWriter(w io.Writer, filename string) *archiveWriter {
	return &archiveWriter{w: w, filename: filename, marshaler: gowarc.NewMarshaler()}
}

func recordOptions() []gowarc.WarcRecordOption {
	return []gowarc.WarcRecordOption{
		gowarc.WithVersion(gowarc.V1_1),
		gowarc.WithAddMissingDigest(true),
		gowarc.WithDefaultDigestAlgorithm("sha256"),
		gowarc.WithSpecViolationPolicy(gowarc.ErrFail),
		gowarc.WithSyntaxErrorPolicy(gowarc.ErrFail),
	}
}

// Write implements io.Writer, counting bytes for record offsets.
func (a *archiveWriter) Write(p []byte) (int, error) {
	n, err := a.w.Write(p)
	a.n += int64(n)
	return n, err
}

// put serialises rec as its own gzip member and returns where it starts
// and how long it is in the compressed file.
func (a *archiveWriter) put(rec gowarc.WarcRecord) (offset, length int64, err error) {
	defer rec.Close()
	offset = a.n
	zw := gzip.NewWriter(a)
	if _, _, err := a.marshaler.Marshal(zw, rec, 0); err != nil {
		return 0, 0, fmt.Errorf("write warc record: %w", err)
	}
	if err := zw.Close(); err != nil {
		return 0, 0, fmt.Errorf("write warc record: %w", err)
	}
	return offset, a.n - offset, nil
}

// writeInfo writes the warcinfo record that opens the file.
func (a *archiveWriter) writeInfo(created time.Time, fields [][2]string) error {
	b := gowarc.NewRecordBuilder(gowarc.Warcinfo, recordOptions()...)
	b.AddWarcHeaderTime(gowarc.WarcDate, created)
	b.AddWarcHeader(gowarc.WarcFilename, a.filename)
	b.AddWarcHeader(gowarc.ContentType, gowarc.ApplicationWarcFields)
	var body strings.Builder
	for _, f := range fields {
		body.WriteString(f[0] + ": " + strings.ReplaceAll(strings.ReplaceAll(f[1], "\r", " "), "\n", " ") + "\r\n")
	}
	if _, err := b.WriteString(body.String()); err != nil {
		return err
	}
	rec, _, err := b.Build()
	if err != nil {
		return fmt.Errorf("build warcinfo: %w", err)
	}
	a.warcinfo = rec.RecordId()
	_, _, err = a.put(rec)
	return err
}

// writeCapture writes a request and a response record for one stored
// snapshot: WARC-Date is the capture time, the response's payload is the
// stored body and WARC-Payload-Digest its stored SHA-256 (gowarc checks
// the two agree before the record is written). It returns the response
// record's id.
func (a *archiveWriter) writeCapture(s *store.Snapshot, body []byte, title string) (string, error) {
	target := s.FinalURL
	if target == "" {
		target = s.URL
	}
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("snapshot %s: %q is not an absolute URL", s.ID, target)
	}
	if store.HashBody(body) != s.SHA256 {
		return "", fmt.Errorf("snapshot %s: stored body does not match its SHA-256 %s", s.ID, s.SHA256)
	}
	when := s.CapturedAt.UTC()

	// Response first, so that the request can name it as concurrent.
	rb := gowarc.NewRecordBuilder(gowarc.Response, recordOptions()...)
	rb.AddWarcHeader(gowarc.WarcTargetURI, target)
	rb.AddWarcHeaderTime(gowarc.WarcDate, when)
	rb.AddWarcHeader(gowarc.WarcWarcinfoID, "<"+a.warcinfo+">")
	rb.AddWarcHeader(gowarc.ContentType, "application/http;msgtype=response")
	rb.AddWarcHeader(gowarc.WarcPayloadDigest, "sha256:"+s.SHA256)
	if s.Truncated {
		rb.AddWarcHeader(gowarc.WarcTruncated, "length")
	}
	status := s.Status
	if status == 0 || status == http.StatusNotModified || s.NotModified {
		// A 304 confirmed the stored body was still current at this time.
		status = http.StatusOK
	}
	var head bytes.Buffer
	fmt.Fprintf(&head, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	hdr := http.Header{}
	for k, vs := range s.Header {
		switch http.CanonicalHeaderKey(k) {
		case "Content-Length", "Content-Encoding", "Transfer-Encoding", "Connection", "Keep-Alive", "Set-Cookie":
			// The stored body is decoded and whole; cookies are not kept.
			continue
		}
		hdr[http.CanonicalHeaderKey(k)] = vs
	}
	if hdr.Get("Content-Type") == "" && s.ContentType != "" {
		ct := s.ContentType
		if s.Charset != "" && !strings.Contains(ct, "charset") {
			ct += "; charset=" + s.Charset
		}
		hdr.Set("Content-Type", ct)
	}
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	if err := hdr.WriteSubset(&head, nil); err != nil {
		return "", err
	}
	head.WriteString("\r\n")
	if _, err := rb.Write(head.Bytes()); err != nil {
		return "", err
	}
	if _, err := rb.Write(body); err != nil {
		return "", err
	}
	resp, _, err := rb.Build()
	if err != nil {
		return "", fmt.Errorf("build response record for %s: %w", target, err)
	}
	respID := resp.RecordId()
	blockDigest := resp.WarcHeader().Get(gowarc.WarcBlockDigest)
	off, length, err := a.put(resp)
	if err != nil {
		return "", err
	}
	mime := hdr.Get("Content-Type")
	if i := strings.IndexByte(mime, ';'); i >= 0 {
		mime = mime[:i]
	}
	a.addIndex(target, when, map[string]string{
		"url": target, "mime": strings.TrimSpace(mime), "status": strconv.Itoa(status),
		"digest": "sha256:" + s.SHA256, "length": strconv.FormatInt(length, 10),
		"offset": strconv.FormatInt(off, 10), "filename": a.filename, "recordDigest": blockDigest,
	})
	if strings.Contains(mime, "html") || strings.Contains(mime, "pdf") {
		a.pages = append(a.pages, pageLine{ID: strings.TrimPrefix(respID, "urn:uuid:"), URL: target, TS: when.Format(time.RFC3339), Title: title})
	}

	qb := gowarc.NewRecordBuilder(gowarc.Request, recordOptions()...)
	qb.AddWarcHeader(gowarc.WarcTargetURI, target)
	qb.AddWarcHeaderTime(gowarc.WarcDate, when)
	qb.AddWarcHeader(gowarc.WarcWarcinfoID, "<"+a.warcinfo+">")
	qb.AddWarcHeader(gowarc.WarcConcurrentTo, "<"+respID+">")
	qb.AddWarcHeader(gowarc.ContentType, "application/http;msgtype=request")
	path := u.RequestURI()
	if _, err := fmt.Fprintf(qb, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, u.Host); err != nil {
		return "", err
	}
	req, _, err := qb.Build()
	if err != nil {
		return "", fmt.Errorf("build request record for %s: %w", target, err)
	}
	if _, _, err := a.put(req); err != nil {
		return "", err
	}
	return respID, nil
}

func (a *archiveWriter) addIndex(target string, when time.Time, fields map[string]string) {
	js, _ := json.Marshal(fields) // map keys come out sorted
	a.index = append(a.index, surt(target)+" "+when.Format("20060102150405")+" "+string(js))
}

// cdxj returns the index sorted as replay tools expect.
func (a *archiveWriter) cdxj() []byte {
	lines := append([]string(nil), a.index...)
	sort.Strings(lines)
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	return b.Bytes()
}

// pagesJSONL returns pages/pages.jsonl of the WACZ: a header line, then a
// line per captured page or document.
func (a *archiveWriter) pagesJSONL() []byte {
	var b bytes.Buffer
	b.WriteString(`{"format": "json-pages-1.0", "id": "pages", "title": "Evidence pages"}` + "\n")
	for _, p := range a.pages {
		js, _ := json.Marshal(p)
		b.Write(js)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// surt returns the Sort-friendly URI Reordering Transform of raw, as CDXJ
// indexes key captures: host labels reversed and comma-joined ("www."
// dropped, IP addresses kept as they are), the port when it is not the
// scheme's default, then ")" and the lower-cased path and sorted query.
func surt(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return strings.ToLower(raw)
	}
	host := strings.ToLower(u.Hostname())
	host = strings.TrimPrefix(host, "www.")
	if !isIP(host) {
		labels := strings.Split(host, ".")
		for i, j := 0, len(labels)-1; i < j; i, j = i+1, j-1 {
			labels[i], labels[j] = labels[j], labels[i]
		}
		host = strings.Join(labels, ",")
	}
	if p := u.Port(); p != "" && !(p == "80" && u.Scheme == "http") && !(p == "443" && u.Scheme == "https") {
		host += ":" + p
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	key := host + ")" + strings.ToLower(path)
	if u.RawQuery != "" {
		parts := strings.Split(u.RawQuery, "&")
		sort.Strings(parts)
		key += "?" + strings.ToLower(strings.Join(parts, "&"))
	}
	return key
}

func isIP(h string) bool {
	if strings.Contains(h, ":") {
		return true
	}
	parts := strings.Split(h, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if n, err := strconv.Atoi(p); err != nil || n < 0 || n > 255 {
			return false
		}
	}
	return true
}
