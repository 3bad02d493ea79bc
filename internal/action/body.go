package action

import (
	"fmt"
	"strings"

	"github.com/lockstep-dev/lockstep/diff"
	"github.com/lockstep-dev/lockstep/diff/render"
	"github.com/lockstep-dev/lockstep/internal/timing"
)

// MaxBody is GitHub's limit on a comment body, in characters.
const MaxBody = 65536

// Marker is the hidden first line of the sticky comment for the working
// directory dir ("." for the repository root): `<!-- lockstep:DIR -->`.
// Characters that could end the HTML comment early are percent-encoded.
func Marker(dir string) string {
	var b strings.Builder
	for i := 0; i < len(dir); i++ {
		c := dir[i]
		switch {
		case c == '%' || c == '<' || c == '>' || c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, "%%%02X", c)
		case c == '-' && i+1 < len(dir) && dir[i+1] == '-':
			b.WriteString("-%2D")
			i++
		default:
			b.WriteByte(c)
		}
	}
	return "<!-- lockstep:" + b.String() + " -->"
}

// Body is the comment: the marker line, the lockfile diff (render.Markdown)
// and the timing table. With no diff (not a pull request, no lockfile) the
// timings stand alone under a heading; with neither the body is "". The
// body never exceeds MaxBody: when the diff and the timings do not fit
// together, the diff is reduced to its counts.
func Body(marker string, res *diff.Result, timings string) string {
	if res == nil && timings == "" {
		return ""
	}
	var md string
	if res != nil {
		md = render.Markdown(res)
	}
	build := func(md string) string {
		var b strings.Builder
		b.WriteString(marker)
		b.WriteString("\n")
		if md != "" {
			b.WriteString(strings.TrimRight(md, "\n"))
			b.WriteString("\n")
		}
		if timings != "" {
			if md != "" {
				b.WriteString("\n")
			} else {
				b.WriteString("### lockstep\n\n")
			}
			b.WriteString(timings)
		}
		return b.String()
	}
	body := build(md)
	if len(body) <= MaxBody {
		return body
	}
	s := res.Summary
	short := fmt.Sprintf("### lockstep diff · %s\n\n**%d packages changed**: %d added, %d removed, %d upgraded, %d downgraded, %d changed · %d flags to review.\n\nThe full diff does not fit in a comment; run `lockstep diff` to see it.\n",
		render.Escape(res.Head), s.Total(), s.Added, s.Removed, s.Upgraded, s.Downgraded, s.Changed, len(res.Flags))
	return build(short)
}

// TimingTable renders the run's report as Markdown: one row per phase (wall,
// user and system CPU, requests, bytes downloaded), a total row and the
// package counts.
func TimingTable(rep *timing.Report) string {
	var b strings.Builder
	b.WriteString("#### Install timings\n\n")
	b.WriteString("| Phase | Wall | User | Sys | Requests | Downloaded |\n|---|--:|--:|--:|--:|--:|\n")
	var reqs, bytes int64
	for _, p := range rep.Phases {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d | %s |\n", render.Escape(p.Name), ms(p.WallMS), ms(p.UserMS), ms(p.SysMS), p.Requests, size(p.Bytes))
		reqs += p.Requests
		bytes += p.Bytes
	}
	fmt.Fprintf(&b, "| **total** | %s | %s | %s | %d | %s |\n", ms(rep.WallMS), ms(rep.UserMS), ms(rep.SysMS), reqs, size(bytes))
	pk := rep.Packages
	fmt.Fprintf(&b, "\n%d packages: %d installed, %d from cache, %d downloaded · peak RSS %s · lockstep %s\n",
		pk.Total, pk.Installed, pk.FromCache, pk.Downloaded, size(rep.MaxRSSKB*1024), render.Escape(rep.Version))
	return b.String()
}

func ms(v int64) string {
	if v < 1000 {
		return fmt.Sprintf("%d ms", v)
	}
	return fmt.Sprintf("%.2f s", float64(v)/1000)
}

func size(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1024*1024:
		return fmt.Sprintf("%.1f KiB", float64(n)/1024)
	case n < 1024*1024*1024:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1024*1024))
	default:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1024*1024*1024))
	}
}
