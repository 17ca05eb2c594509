package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// NotReviewed is how the score files write a sub-section without a fixed
// score: a word, never an empty cell that could be read as No.
const NotReviewed = "Not reviewed"

// matrixHeader is the first row of the score matrix.
func (r *Report) matrixHeader() []string {
	h := []string{"authority", "name"}
	for _, st := range r.Subsections {
		h = append(h, st.Subsection.ID)
	}
	return append(h, "yes", "partial", "no", "not_reviewed")
}

func (r *Report) matrixRow(a *Authority) []string {
	row := []string{a.Slug, a.Name}
	for _, c := range a.Cells {
		if c.Counted() {
			row = append(row, string(c.Score))
		} else {
			row = append(row, NotReviewed)
		}
	}
	return append(row, strconv.Itoa(a.Counts.Yes), strconv.Itoa(a.Counts.Partial), strconv.Itoa(a.Counts.No), strconv.Itoa(a.Counts.Unreviewed))
}

// WriteCSV writes the score matrix: one row per authority, one column per
// sub-section id holding Yes, Partial, No or "Not reviewed", then the
// authority's counts.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(r.matrixHeader()); err != nil {
		return err
	}
	for _, a := range r.Authorities {
		if err := cw.Write(r.matrixRow(a)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteXLSX writes a workbook with two sheets: "Scores", the matrix the CSV
// holds, filled in the report's colours; and "Detail", one row per
// authority and sub-section with who fixed the score, under which rubric
// version, the tool's suggestion and the reviewers' words.
func (r *Report) WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	const scores, detail = "Scores", "Detail"
	if err := f.SetSheetName("Sheet1", scores); err != nil {
		return err
	}
	if _, err := f.NewSheet(detail); err != nil {
		return err
	}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Color: "FFFFFF"}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"17365D"}}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	fill := map[string]int{}
	for label, colour := range map[string]string{"Yes": "C9E8D4", "Partial": "FBE7B5", "No": "F4C7C3", NotReviewed: "E4E4E4"} {
		id, err := f.NewStyle(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{colour}}, Alignment: &excelize.Alignment{Horizontal: "center"}})
		if err != nil {
			return err
		}
		fill[label] = id
	}
	set := func(sheet string, col, row int, v any) error {
		cell, err := excelize.CoordinatesToCellName(col, row)
		if err != nil {
			return err
		}
		return f.SetCellValue(sheet, cell, v)
	}
	header := r.matrixHeader()
	for i, h := range header {
		if err := set(scores, i+1, 1, h); err != nil {
			return err
		}
	}
	last, _ := excelize.CoordinatesToCellName(len(header), 1)
	if err := f.SetCellStyle(scores, "A1", last, head); err != nil {
		return err
	}
	for ri, a := range r.Authorities {
		row := r.matrixRow(a)
		for ci, v := range row {
			var val any = v
			if ci >= len(row)-4 {
				n, _ := strconv.Atoi(v)
				val = n
			}
			if err := set(scores, ci+1, ri+2, val); err != nil {
				return err
			}
			if id, ok := fill[v]; ok && ci >= 2 && ci < len(row)-4 {
				cell, _ := excelize.CoordinatesToCellName(ci+1, ri+2)
				if err := f.SetCellStyle(scores, cell, cell, id); err != nil {
					return err
				}
			}
		}
	}
	if err := f.SetColWidth(scores, "A", "B", 22); err != nil {
		return err
	}
	lastCol, _ := excelize.ColumnNumberToName(len(header))
	if err := f.SetColWidth(scores, "C", lastCol, 14); err != nil {
		return err
	}
	if err := f.SetPanes(scores, &excelize.Panes{Freeze: true, XSplit: 2, YSplit: 1, TopLeftCell: "C2", ActivePane: "bottomRight"}); err != nil {
		return err
	}

	dh := []string{"authority", "name", "section", "subsection", "title", "final_score", "reviewed_by", "rubric_version", "suggested_score", "accepted_items", "rationale", "adviser_judgement", "needs_rereview"}
	for i, h := range dh {
		if err := set(detail, i+1, 1, h); err != nil {
			return err
		}
	}
	last, _ = excelize.CoordinatesToCellName(len(dh), 1)
	if err := f.SetCellStyle(detail, "A1", last, head); err != nil {
		return err
	}
	row := 2
	for _, a := range r.Authorities {
		for _, c := range a.Cells {
			vals := []any{a.Slug, a.Name, c.Section.ID, c.Subsection.ID, c.Subsection.Title, c.Label(), c.Decision.ReviewedBy, c.Decision.RubricVersion, string(c.Suggested), len(c.Accepted), c.Decision.Rationale, c.Decision.AdviserJudgement, c.Decision.NeedsReReview}
			for i, v := range vals {
				if err := set(detail, i+1, row, v); err != nil {
					return err
				}
			}
			if id, ok := fill[c.Label()]; ok {
				cell, _ := excelize.CoordinatesToCellName(6, row)
				if err := f.SetCellStyle(detail, cell, cell, id); err != nil {
					return err
				}
			}
			row++
		}
	}
	if err := f.SetColWidth(detail, "A", "I", 16); err != nil {
		return err
	}
	if err := f.SetColWidth(detail, "K", "L", 50); err != nil {
		return err
	}
	if err := f.SetPanes(detail, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("write workbook: %w", err)
	}
	return nil
}
