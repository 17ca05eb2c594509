package review

import (
	"fmt"
	"mime"
	"net/http"

	"github.com/localoffer/localoffer/evidence"
)

type adminPage struct {
	basePage
	Users     []evidence.User
	StorePath string
	Size      int64
}

// admin shows the accounts and offers a backup of the store.
func (s *Server) admin(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	users, err := s.db.Users()
	if err != nil {
		return err
	}
	p := &adminPage{Users: users, StorePath: s.db.Path(), Size: s.db.BackupSize()}
	p.Title = "Administration"
	p.Nav = "admin"
	return s.render(w, r, c, http.StatusOK, "admin", p)
}

// backup streams a consistent copy of the store, taken in one read
// transaction while reviewers keep working: the way to back up a store
// that the running server holds open.
func (s *Server) backup(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	name := "localoffer-" + s.cfg.Now().UTC().Format("2006-01-02T1504") + ".db"
	if err := s.db.Audit(evidence.AuditEntry{User: c.user.Name, Action: "download backup", Target: name}); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	h.Set("Content-Length", fmt.Sprint(s.db.BackupSize()))
	h.Set("Cache-Control", "no-store")
	if err := s.db.Backup(w); err != nil {
		// The headers are gone; all that is left is to cut the download
		// short so the browser reports it failed.
		s.log.Error("backup download", "err", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}
