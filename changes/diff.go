package changes

import (
	"strconv"
	"strings"
)

// Op is what happened to a line in a diff.
type Op byte

// Diff operations.
const (
	Same   Op = ' '
	Insert Op = '+'
	Delete Op = '-'
)

// Line is one line of a line-based diff.
type Line struct {
	Op   Op
	Text string
	// Old and New are 1-based line numbers in each text (0 when the line is
	// not in that text).
	Old, New int
}

// maxCells bounds the work of the exact diff; past it the changed middle
// is shown as deleted then inserted, which is still correct, only coarser.
const maxCells = 4_000_000

// Diff compares two texts line by line and returns every line of both in
// order, each marked Same, Delete (only in old) or Insert (only in new).
// It finds a longest common subsequence after trimming the common head and
// tail, so a page that changed one paragraph gives a diff of that
// paragraph. The review UI shows it beside the old and new snapshots.
func Diff(old, new string) []Line {
	a, b := splitLines(old), splitLines(new)
	var out []Line
	// common head
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		out = append(out, Line{Op: Same, Text: a[i], Old: i + 1, New: i + 1})
		i++
	}
	// common tail
	ea, eb := len(a), len(b)
	for ea > i && eb > i && a[ea-1] == b[eb-1] {
		ea--
		eb--
	}
	out = append(out, middle(a[i:ea], b[i:eb], i, i)...)
	for k := 0; ea+k < len(a); k++ {
		out = append(out, Line{Op: Same, Text: a[ea+k], Old: ea + k + 1, New: eb + k + 1})
	}
	return out
}

// middle diffs a and b (which start at line offsets oa, ob) by dynamic
// programming over their longest common subsequence.
func middle(a, b []string, oa, ob int) []Line {
	var out []Line
	if len(a)*len(b) > maxCells || len(a) == 0 || len(b) == 0 {
		for i, s := range a {
			out = append(out, Line{Op: Delete, Text: s, Old: oa + i + 1})
		}
		for j, s := range b {
			out = append(out, Line{Op: Insert, Text: s, New: ob + j + 1})
		}
		return out
	}
	n, m := len(a), len(b)
	// lcs[i][j] = LCS length of a[i:] and b[j:], in one flat slice.
	w := m + 1
	lcs := make([]int32, (n+1)*w)
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
			} else if x, y := lcs[(i+1)*w+j], lcs[i*w+j+1]; x >= y {
				lcs[i*w+j] = x
			} else {
				lcs[i*w+j] = y
			}
		}
	}
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case a[i] == b[j]:
			out = append(out, Line{Op: Same, Text: a[i], Old: oa + i + 1, New: ob + j + 1})
			i++
			j++
		case lcs[(i+1)*w+j] >= lcs[i*w+j+1]:
			out = append(out, Line{Op: Delete, Text: a[i], Old: oa + i + 1})
			i++
		default:
			out = append(out, Line{Op: Insert, Text: b[j], New: ob + j + 1})
			j++
		}
	}
	for ; i < n; i++ {
		out = append(out, Line{Op: Delete, Text: a[i], Old: oa + i + 1})
	}
	for ; j < m; j++ {
		out = append(out, Line{Op: Insert, Text: b[j], New: ob + j + 1})
	}
	return out
}

func splitLines(s string) []string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// Counts returns how many lines a diff inserts and deletes.
func Counts(d []Line) (inserted, deleted int) {
	for _, l := range d {
		switch l.Op {
		case Insert:
			inserted++
		case Delete:
			deleted++
		}
	}
	return
}

// Unified renders a diff as text in the familiar unified style: changed
// lines with context lines of unchanged text around them, hunks separated
// by "@@ -old +new @@" headers. It returns "" when nothing changed.
func Unified(d []Line, context int) string {
	var b strings.Builder
	n := len(d)
	for i := 0; i < n; {
		if d[i].Op == Same {
			i++
			continue
		}
		start := max(i-context, 0)
		// extend the hunk while changes are within 2*context of each other
		end := i
		for end < n {
			if d[end].Op != Same {
				end++
				continue
			}
			k := end
			for k < n && d[k].Op == Same {
				k++
			}
			if k < n && k-end <= 2*context {
				end = k
				continue
			}
			end = min(end+context, n)
			break
		}
		oldStart, newStart := 0, 0
		oldN, newN := 0, 0
		for _, l := range d[start:end] {
			if l.Op != Insert {
				if oldStart == 0 {
					oldStart = l.Old
				}
				oldN++
			}
			if l.Op != Delete {
				if newStart == 0 {
					newStart = l.New
				}
				newN++
			}
		}
		b.WriteString("@@ -")
		b.WriteString(rangeStr(oldStart, oldN))
		b.WriteString(" +")
		b.WriteString(rangeStr(newStart, newN))
		b.WriteString(" @@\n")
		for _, l := range d[start:end] {
			b.WriteByte(byte(l.Op))
			b.WriteString(l.Text)
			b.WriteByte('\n')
		}
		i = end
	}
	return b.String()
}

func rangeStr(start, n int) string {
	if n == 1 {
		return strconv.Itoa(start)
	}
	return strconv.Itoa(start) + "," + strconv.Itoa(n)
}
