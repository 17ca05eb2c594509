package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/localoffer/localoffer/store"
)

// Files names what Write produced, as paths inside the output folder.
type Files struct {
	HTML, PDF, CSV, XLSX string
	// Evidence are the captured copies saved for best-practice links.
	Evidence []string
	// PDFSkipped says why there is no PDF ("" when there is one).
	PDFSkipped string
}

// WriteOptions control Write.
type WriteOptions struct {
	// Chromium is the browser used for the PDF; "" looks it up on PATH,
	// "-" skips the PDF.
	Chromium string
	// PDFTimeout bounds the browser run (default 2 minutes).
	PDFTimeout time.Duration
}

// Write writes report.html, scores.csv and scores.xlsx into dir, saves the
// captured copies that best-practice quotes link to (unless they link to a
// review server) and prints report.pdf when Chromium can be found. Every
// file is written to a temporary name and renamed into place, so a failure
// never leaves half a report over a good one.
func (r *Report) Write(ctx context.Context, db *store.DB, dir string, o WriteOptions) (Files, error) {
	var fs Files
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fs, fmt.Errorf("report: %w", err)
	}
	var buf bytes.Buffer
	if err := r.WriteHTML(&buf); err != nil {
		return fs, err
	}
	fs.HTML = "report.html"
	if err := writeFile(filepath.Join(dir, fs.HTML), buf.Bytes()); err != nil {
		return fs, err
	}
	buf.Reset()
	if err := r.WriteCSV(&buf); err != nil {
		return fs, err
	}
	fs.CSV = "scores.csv"
	if err := writeFile(filepath.Join(dir, fs.CSV), buf.Bytes()); err != nil {
		return fs, err
	}
	buf.Reset()
	if err := r.WriteXLSX(&buf); err != nil {
		return fs, err
	}
	fs.XLSX = "scores.xlsx"
	if err := writeFile(filepath.Join(dir, fs.XLSX), buf.Bytes()); err != nil {
		return fs, err
	}
	ev, err := r.saveEvidence(db, dir)
	fs.Evidence = ev
	if err != nil {
		return fs, err
	}
	chrome := o.Chromium
	switch chrome {
	case "-":
		fs.PDFSkipped = "PDF not asked for"
		return fs, nil
	case "":
		chrome = FindChromium()
		if chrome == "" {
			fs.PDFSkipped = "Chromium is not installed (looked for chromium, chromium-browser, google-chrome on PATH)"
			return fs, nil
		}
	}
	timeout := o.PDFTimeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	if err := PrintPDF(ctx, chrome, filepath.Join(dir, fs.HTML), filepath.Join(dir, "report.pdf"), timeout); err != nil {
		return fs, err
	}
	fs.PDF = "report.pdf"
	return fs, nil
}

// saveEvidence copies the captures that best-practice quotes link to into
// dir/evidence/<slug>/, named by snapshot id (see SnapshotPath).
func (r *Report) saveEvidence(db *store.DB, dir string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, ex := range r.Examples {
		if ex.SnapshotHref == "" || filepath.IsAbs(ex.SnapshotHref) || !filepath.IsLocal(filepath.FromSlash(ex.SnapshotHref)) {
			continue // a review server link, nothing to save
		}
		if seen[ex.SnapshotHref] {
			continue
		}
		seen[ex.SnapshotHref] = true
		snap, err := itemSnapshot(db, ex.Item)
		if err != nil {
			return out, fmt.Errorf("report: snapshot of %s: %w", ex.Item.URL, err)
		}
		body, err := db.Body(snap.SHA256)
		if err != nil {
			return out, fmt.Errorf("report: captured body of %s: %w", snap.URL, err)
		}
		p := filepath.Join(dir, filepath.FromSlash(ex.SnapshotHref))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return out, fmt.Errorf("report: %w", err)
		}
		if err := writeFile(p, body); err != nil {
			return out, err
		}
		out = append(out, ex.SnapshotHref)
	}
	return out, nil
}

// writeFile writes data to a temporary file beside path and renames it.
func writeFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// FindChromium returns the path of a Chromium or Chrome binary on PATH, or "".
func FindChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// PrintPDF prints the HTML file src to the PDF file dst with headless
// Chromium, in a fresh profile and with every background network feature
// off, so that printing contacts nothing.
func PrintPDF(ctx context.Context, chrome, src, dst string, timeout time.Duration) error {
	abs, err := filepath.Abs(src)
	if err != nil {
		return err
	}
	out, err := filepath.Abs(dst)
	if err != nil {
		return err
	}
	profile, err := os.MkdirTemp("", "localoffer-chromium-*")
	if err != nil {
		return fmt.Errorf("print pdf: %w", err)
	}
	defer os.RemoveAll(profile)
	tmp := out + ".part"
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, chrome,
		"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--disable-default-apps", "--mute-audio",
		"--user-data-dir="+profile,
		"--no-pdf-header-footer",
		"--print-to-pdf="+tmp,
		"file://"+filepath.ToSlash(abs))
	var stderr bytes.Buffer
	cmd.Stdout = io.Discard
	cmd.Stderr = &stderr
	cmd.Env = append(os.Environ(), "HOME="+profile)
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		os.Remove(tmp)
		msg := bytes.TrimSpace(stderr.Bytes())
		if len(msg) > 600 {
			msg = msg[len(msg)-600:]
		}
		return fmt.Errorf("print pdf with %s: %w: %s", chrome, err, msg)
	}
	st, err := os.Stat(tmp)
	if err != nil || st.Size() == 0 {
		os.Remove(tmp)
		return fmt.Errorf("print pdf with %s: no PDF written: %s", chrome, bytes.TrimSpace(stderr.Bytes()))
	}
	if err := os.Rename(tmp, out); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("print pdf: %w", err)
	}
	return nil
}
