// Package render writes a diff.Result as the JSON of `lockstep diff --format
// json` and as the Markdown body of the pull-request comment.
//
// Invariants:
//   - Every string that comes from a lockfile or from the user (names,
//     versions, details, the base and head labels) goes through Escape: it
//     cannot open markdown or HTML, mention anyone, close an HTML comment or
//     forge the `<!-- lockstep:` marker.
//   - Markdown output is at most MaxMarkdown bytes (so at most as many
//     characters), whatever the input; rows that do not fit are counted in an
//     explicit "N more not shown" line. Direct changes are kept first, then
//     flags, then transitive changes.
//   - Output is a function of the Result only: deterministic.
package render

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lockstep-dev/lockstep/diff"
)

// MaxMarkdown bounds the Markdown body (GitHub's comment limit is 65,536
// characters).
const MaxMarkdown = 65536

// JSON writes r as indented JSON with a trailing newline.
func JSON(w io.Writer, r *diff.Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// Escape makes an untrusted string inert in GitHub Markdown: ASCII
// punctuation becomes a numeric character reference, '@' is followed by a
// zero-width space (no mention), and control, format (bidi) and line
// break characters become U+FFFD.
func Escape(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == ' ' || r == '.' || r == '-' || r == '/' || r == ',' || r == '+' || r == '='):
			b.WriteRune(r)
		case r == '@':
			b.WriteString("@&#8203;")
		case r < utf8.RuneSelf && unicode.IsPrint(r):
			b.WriteString("&#" + strconv.Itoa(int(r)) + ";")
		case r == utf8.RuneError || unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp, unicode.Co, unicode.Cs):
			b.WriteRune('\uFFFD')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// cell escapes s, cut to max runes with an ellipsis.
func cell(s string, max int) string {
	if utf8.RuneCountInString(s) > max {
		n := 0
		for i := range s {
			if n == max {
				s = s[:i]
				break
			}
			n++
		}
		return Escape(s) + "…"
	}
	return Escape(s)
}

const (
	maxName    = 100
	maxVersion = 60
	maxDetail  = 300
)

func versions(vs []string) string {
	if len(vs) == 0 {
		return "–"
	}
	const show = 5
	parts := make([]string, 0, show+1)
	for i, v := range vs {
		if i == show {
			parts = append(parts, fmt.Sprintf("and %d more", len(vs)-show))
			break
		}
		parts = append(parts, cell(v, maxVersion))
	}
	return strings.Join(parts, ", ")
}

var kindLabel = map[diff.Kind]string{
	diff.Added: "added", diff.Removed: "removed", diff.Upgraded: "upgraded",
	diff.Downgraded: "downgraded", diff.Changed: "changed",
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// section is a table whose rows are kept while they fit.
type section struct {
	open, close string // around the rows (summary and header; closing tag)
	rows        []string
	kept        int
	omitted     int
	noun        string
}

// Markdown renders r as the comment body, at most MaxMarkdown bytes.
func Markdown(r *diff.Result) string {
	return markdown(r, MaxMarkdown)
}

func markdown(r *diff.Result, limit int) string {
	var head strings.Builder
	head.WriteString("### lockstep diff")
	label := r.Head
	if label == "" {
		label = "lockfile"
	}
	fmt.Fprintf(&head, " · %s", cell(label, maxName))
	if r.Format != "" {
		fmt.Fprintf(&head, " (%s", cell(r.Format, 40))
		if r.BaseFormat != "" {
			fmt.Fprintf(&head, ", base %s", cell(r.BaseFormat, 40))
		}
		head.WriteString(")")
	}
	head.WriteString("\n\n")
	s := r.Summary
	if s.Total() == 0 {
		head.WriteString("No dependency changes")
	} else {
		var parts []string
		for _, p := range []struct {
			n    int
			word string
		}{{s.Added, "added"}, {s.Removed, "removed"}, {s.Upgraded, "upgraded"}, {s.Downgraded, "downgraded"}, {s.Changed, "changed"}} {
			if p.n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", p.n, p.word))
			}
		}
		fmt.Fprintf(&head, "**%s**: %s", plural(s.Total(), "package changed", "packages changed"), strings.Join(parts, ", "))
	}
	if n := len(r.Flags); n > 0 {
		fmt.Fprintf(&head, " · ⚠️ %s to review", plural(n, "flag", "flags"))
	}
	head.WriteString(".\n")

	var direct, transitive []diff.Change
	for _, c := range r.Changes {
		if c.Direct {
			direct = append(direct, c)
		} else {
			transitive = append(transitive, c)
		}
	}
	secDirect := &section{noun: "direct change",
		open:  "\n| Package | Change | From | To | Type |\n|---|---|---|---|---|\n",
		close: ""}
	for _, c := range direct {
		secDirect.rows = append(secDirect.rows, fmt.Sprintf("| %s | %s | %s | %s | %s |\n",
			cell(c.Name, maxName), kindLabel[c.Kind], versions(c.From), versions(c.To), depType(c.DependencyType)))
	}
	secFlags := &section{noun: "flag",
		open:  fmt.Sprintf("\n<details><summary>⚠️ %s to review</summary>\n\n| Package | Version | Flag | Detail |\n|---|---|---|---|\n", plural(len(r.Flags), "flag", "flags")),
		close: "\n</details>\n"}
	for _, f := range r.Flags {
		secFlags.rows = append(secFlags.rows, fmt.Sprintf("| %s | %s | %s | %s |\n",
			cell(f.Name, maxName), cell(f.Version, maxVersion), cell(f.Flag, 40), cell(f.Detail, maxDetail)))
	}
	secTrans := &section{noun: "transitive change",
		open:  fmt.Sprintf("\n<details><summary>%s</summary>\n\n| Package | Change | From | To | Brought in by |\n|---|---|---|---|---|\n", plural(len(transitive), "transitive change", "transitive changes")),
		close: "\n</details>\n"}
	for _, c := range transitive {
		why := make([]string, len(c.Why))
		for i, w := range c.Why {
			why[i] = cell(w, maxName)
		}
		by := strings.Join(why, ", ")
		if by == "" {
			by = "–"
		}
		secTrans.rows = append(secTrans.rows, fmt.Sprintf("| %s | %s | %s | %s | %s |\n",
			cell(c.Name, maxName), kindLabel[c.Kind], versions(c.From), versions(c.To), by))
	}
	secWarn := &section{noun: "warning",
		open:  fmt.Sprintf("\n<details><summary>%s skipped</summary>\n\n", plural(len(r.Warnings), "lockfile entry", "lockfile entries")),
		close: "\n</details>\n"}
	for _, w := range r.Warnings {
		secWarn.rows = append(secWarn.rows, "- "+cell(w, maxDetail)+"\n")
	}

	order := []*section{secDirect, secTrans, secFlags, secWarn} // document order
	priority := []*section{secDirect, secFlags, secTrans, secWarn}
	// fixed cost: the head, each non-empty section's frame and room for
	// its "N more not shown" line
	const moreRoom = 64
	budget := limit - head.Len()
	for _, sec := range order {
		if len(sec.rows) > 0 {
			budget -= len(sec.open) + len(sec.close) + moreRoom
		}
	}
	for _, sec := range priority {
		for _, row := range sec.rows {
			if len(row) > budget {
				break
			}
			budget -= len(row)
			sec.kept++
		}
		sec.omitted = len(sec.rows) - sec.kept
	}
	out := &head
	for _, sec := range order {
		if len(sec.rows) == 0 {
			continue
		}
		out.WriteString(sec.open)
		for _, row := range sec.rows[:sec.kept] {
			out.WriteString(row)
		}
		if sec.omitted > 0 {
			fmt.Fprintf(out, "\n_%s more not shown._\n", plural(sec.omitted, sec.noun, sec.noun+"s"))
		}
		out.WriteString(sec.close)
	}
	return out.String()
}

func depType(t diff.DepType) string {
	if t == "" {
		return "–"
	}
	return cell(string(t), 20)
}
