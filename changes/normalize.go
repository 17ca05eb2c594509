// Package changes tells what changed on an authority's Local Offer between
// two crawls: pages added, removed, changed and moved, judged on the main
// text a reader sees rather than on bytes, so that a new date in a footer,
// a session id in a link or a rotated cookie banner is not a change. It
// also gives the line diff the review UI shows beside two snapshots.
package changes

import (
	"regexp"
	"strings"
)

const month = `(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)`
const weekday = `(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?,?\s+)?`

var (
	// Dates in the forms councils print them: 3 March 2025, 3rd Mar 2025,
	// March 3, 2025, 03/03/2025, 2025-03-03, with an optional weekday and time.
	dateRE = regexp.MustCompile(`(?i)\b` + weekday + `(?:` +
		`\d{1,2}(?:st|nd|rd|th)?\s+` + month + `\.?,?\s+\d{4}` +
		`|` + month + `\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}` +
		`|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}` +
		`|\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?` +
		`)(?:,?\s+(?:at\s+)?\d{1,2}[:.]\d{2}(?::\d{2})?\s*(?:am|pm)?)?\b`)
	timeRE = regexp.MustCompile(`(?i)\b\d{1,2}:\d{2}(?::\d{2})?\s*(?:am|pm)?\b`)
	// Session ids and cache-busting tokens in text or links.
	sessionRE = regexp.MustCompile(`(?i)(?:;jsessionid=|[?&](?:phpsessid|sid|sessionid|session_id|jsessionid)=)[^\s&#"')]*`)
	tokenRE   = regexp.MustCompile(`\b(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{24,})\b`)
	// Copyright years in a footer that escaped chrome removal.
	copyrightRE = regexp.MustCompile(`(?i)(?:©|\(c\)|copyright)\s*\d{4}(?:\s*[-–]\s*\d{4})?`)
	spaceRE     = regexp.MustCompile(`[\s\x{00a0}]+`)
	// A line that is nothing but a date stamp ("Last updated: <date>").
	stampRE = regexp.MustCompile(`(?i)^(?:this\s+)?(?:page\s+|content\s+|information\s+)?(?:was\s+)?(?:last\s+)?(?:updated|modified|reviewed|published|edited|checked|generated|printed|accessed)(?:\s+on)?\s*:?\s*(?:‹date›\s*)+\.?$`)
)

// Normalize prepares main text for comparison: whitespace collapsed, one
// line a block, dates, times, session ids and long tokens replaced by
// placeholders, lines that are only a date stamp dropped, and empty lines
// removed. Two captures of one page whose normalised texts are equal are
// the same page for change detection.
func Normalize(text string) string {
	var b strings.Builder
	for _, line := range strings.Split(text, "\n") {
		line = spaceRE.ReplaceAllString(line, " ")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if strings.Contains(line, "=") {
			line = sessionRE.ReplaceAllString(line, "")
		}
		if strings.ContainsAny(line, "0123456789") { // dates, times and tokens all have digits
			line = copyrightRE.ReplaceAllString(line, "©")
			line = dateRE.ReplaceAllString(line, "‹date›")
			line = timeRE.ReplaceAllString(line, "‹time›")
			line = tokenRE.ReplaceAllString(line, "‹id›")
		}
		if stampRE.MatchString(line) {
			continue
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}
