package changes_test

import (
	"fmt"

	"github.com/localoffer/localoffer/changes"
)

// A council edits its top-up funding page and its footer date moves on:
// normalising drops the date stamp, so the diff shows only the edit.
func ExampleUnified() {
	old := changes.Normalize("Top-up funding\nThe panel meets monthly.\nDecisions within 10 school days.\nPage last updated: 3 March 2025")
	new := changes.Normalize("Top-up funding\nThe panel meets monthly.\nDecisions within 15 school days.\nPage last updated: 9 May 2026")
	fmt.Print(changes.Unified(changes.Diff(old, new), 1))
	// Output:
	// @@ -2,2 +2,2 @@
	//  The panel meets monthly.
	// -Decisions within 10 school days.
	// +Decisions within 15 school days.
}
