package changes_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/localoffer/localoffer/changes"
)

// prose builds a page of n lines of council prose.
func prose(n, seed int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "Paragraph %d: support for children and young people with SEND, updated 3 March 2025 (%d).\n", i, (i*seed)%7)
	}
	return b.String()
}

// BenchmarkDiff diffs two 2,000-line pages that differ in scattered lines:
// a long PDF handbook re-published with edits.
func BenchmarkDiff(b *testing.B) {
	old, new := prose(2000, 1), prose(2000, 3)
	b.SetBytes(int64(len(old) + len(new)))
	for b.Loop() {
		changes.Diff(old, new)
	}
}

// BenchmarkNormalize normalises a 2,000-line page.
func BenchmarkNormalize(b *testing.B) {
	p := prose(2000, 1)
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		changes.Normalize(p)
	}
}
