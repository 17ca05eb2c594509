package store

import (
	"errors"
	"strings"
	"syscall"
)

// IsStorageFull reports whether err means the store could not grow: the
// disk is full, a quota or a file-size limit was reached. Nothing of the
// failed write was kept, and the store is as it was before it; callers
// should say so plainly ("the server's disk is full: your change was not
// saved") rather than report an internal error. bbolt formats some of
// these errors as text, so the test also looks at the message.
func IsStorageFull(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EFBIG) || errors.Is(err, syscall.EDQUOT) {
		return true
	}
	s := strings.ToLower(err.Error())
	for _, m := range []string{"no space left on device", "file too large", "disk quota exceeded"} {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}
