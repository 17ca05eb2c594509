// Package localoffer holds the files embedded from the repository root:
// the demo Local Offer sites that the demo command serves and crawls.
// The program itself lives in cmd/localoffer.
package localoffer

import (
	"embed"
	"io/fs"
)

//go:embed testdata/demo
var demoFS embed.FS

// DemoSites returns the demo sites' files: one directory per fictional
// authority, each with site.json and pages/.
func DemoSites() fs.FS {
	sub, err := fs.Sub(demoFS, "testdata/demo")
	if err != nil {
		panic("embedded demo sites missing: " + err.Error())
	}
	return sub
}
