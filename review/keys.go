package review

import "net/http"

// shortcut is one keyboard shortcut of the authority page.
type shortcut struct {
	Key, Does string
}

// shortcuts are listed on the keys page and in the page's help panel.
var shortcuts = []shortcut{
	{"j", "Move to the next evidence card"},
	{"k", "Move to the previous evidence card"},
	{"a", "Accept the evidence on the current card, then move on"},
	{"r", "Reject the evidence on the current card, then move on"},
	{"u", "Undo the decision on the current card"},
	{"b", "Mark or unmark the current card as best practice"},
	{"m", "Mark the current sub-section reviewed (agreeing with the suggested score if none is set)"},
	{"s", "Go to the current sub-section's score form"},
	{"?", "Show or hide these shortcuts"},
}

type keysPage struct {
	basePage
	Keys []shortcut
}

// keys lists the keyboard shortcuts: the page "?" opens without
// JavaScript.
func (s *Server) keys(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	p := &keysPage{Keys: shortcuts}
	p.Title = "Keyboard shortcuts"
	p.Nav = "keys"
	return s.render(w, r, c, http.StatusOK, "keys", p)
}
