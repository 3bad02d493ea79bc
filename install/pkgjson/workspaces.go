package pkgjson

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/lockstep-dev/lockstep/install/lockfile"
)

// Workspace is one folder the root's "workspaces" patterns select.
type Workspace struct {
	Name string // its package.json name, else the folder name ("@s/x" in a scope folder)
	Dir  string // project-relative, forward slashes
}

// Folders returns the project-relative folders (forward slashes) of
// Map(dir), in npm's order.
func (w Workspaces) Folders(dir string) ([]string, error) {
	ws, err := w.Map(dir)
	if err != nil || len(ws) == 0 {
		return nil, err
	}
	out := make([]string, len(ws))
	for i, x := range ws {
		out[i] = x.Dir
	}
	return out, nil
}

// Map expands the patterns under the project folder dir the way npm's
// @npmcli/map-workspaces does: minimatch globs (`*`, `**`, `?`, `[...]`,
// `{a,b}`, `{1..3}`) that match folders only; dot folders only when named
// literally; nothing inside node_modules; `**` does not descend past a
// symlink; leading "./" or "/" dropped; an odd number of leading "!"
// negates (a later plain pattern that the negation matches revives it).
// A "workspaces" value of neither form is an error (npm's
// EWORKSPACESCONFIG). Folders without a package.json are skipped; an unreadable one is an
// error, and so are two folders with the same package name. The order is
// npm's: per pattern, its matches in "en" locale order, first match wins.
func (w Workspaces) Map(dir string) ([]Workspace, error) {
	if len(w) == 1 && w[0] == badWorkspaces {
		return nil, errors.New(`failed to map workspaces: "workspaces" must be an array of globs or {"packages": [...]} (npm: workspaces config expects an Array)`)
	}
	pos, neg := splitPatterns(w)
	if len(pos) == 0 {
		return nil, nil
	}
	ignore := []*matcher{compile("**/node_modules/**", true)}
	for _, n := range neg {
		ignore = append(ignore, compile(n, true))
	}
	g := &globber{dir: dir, ignore: ignore, seen: map[string]bool{}}
	for _, p := range pos {
		if !strings.HasSuffix(p, "/") {
			p += "/"
		}
		for _, segs := range compile(p, false).sets {
			g.walk("", segs)
		}
	}
	sort.Slice(g.out, func(i, j int) bool { return lockfile.LocaleCompare(g.out[i], g.out[j]) < 0 })

	var order []string // names, first seen first
	paths := map[string][]string{}
	for _, p := range pos {
		m := compile(p, false)
		for _, rel := range g.out {
			if !m.match(rel, true) {
				continue
			}
			pj, err := Read(filepath.Join(dir, filepath.FromSlash(rel)))
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("failed to map workspaces: %w", err)
			}
			name := pj.Name
			if name == "" {
				name = nameFromFolder(rel, dir)
			}
			if _, ok := paths[name]; !ok {
				order = append(order, name)
			}
			if !slices.Contains(paths[name], rel) {
				paths[name] = append(paths[name], rel)
			}
		}
	}
	var out []Workspace
	var dups []string
	for _, name := range order {
		if len(paths[name]) > 1 {
			msg := fmt.Sprintf("package %q has conflicts in the following paths:", name)
			for _, rel := range paths[name] {
				msg += fmt.Sprintf("\n    %q", filepath.Join(dir, filepath.FromSlash(rel)))
			}
			dups = append(dups, msg)
			continue
		}
		out = append(out, Workspace{Name: name, Dir: paths[name][0]})
	}
	if len(dups) > 0 {
		return nil, fmt.Errorf("failed to map workspaces: must not have multiple workspaces with the same name\n%s", strings.Join(dups, "\n"))
	}
	return out, nil
}

// nameFromFolder names a package.json without "name" by its folder, with
// the scope when the parent folder starts with "@".
func nameFromFolder(rel, dir string) string {
	abs := filepath.ToSlash(filepath.Join(dir, filepath.FromSlash(rel)))
	if abs == "." {
		if a, err := filepath.Abs(dir); err == nil {
			abs = filepath.ToSlash(a)
		}
	}
	base, parent := path.Base(abs), path.Base(path.Dir(abs))
	if strings.HasPrefix(parent, "@") {
		return parent + "/" + base
	}
	return base
}

// splitPatterns separates plain from negated patterns as map-workspaces
// does, including its in-place removal that skips the negation right
// after a removed one.
func splitPatterns(raw []string) (pos, neg []string) {
	for _, p := range raw {
		p = strings.ReplaceAll(p, `\`, "/")
		bangs := len(p) - len(strings.TrimLeft(p, "!"))
		p = p[bangs:]
		if t := strings.TrimPrefix(p, "."); strings.HasPrefix(t, "/") {
			p = strings.TrimLeft(t, "/")
		}
		if p == "" {
			continue // "./" would glob the file system root
		}
		if bangs%2 == 1 {
			neg = append(neg, p)
			continue
		}
		for i := 0; i < len(neg); i++ {
			if compile(neg[i], false).match(p, false) {
				neg = append(neg[:i:i], neg[i+1:]...)
			}
		}
		pos = append(pos, p)
	}
	for _, n := range neg {
		m := compile(n, false)
		kept := pos[:0:0]
		for _, p := range pos {
			if !m.match(p, false) {
				kept = append(kept, p)
			}
		}
		pos = kept
	}
	return pos, neg
}

type globber struct {
	dir    string
	ignore []*matcher
	seen   map[string]bool
	out    []string
}

// ignored is glob's Ignore.ignored: rel or rel + "/" matches a pattern.
func (g *globber) ignored(rel string) bool {
	if rel == "" {
		rel = "."
	}
	for _, m := range g.ignore {
		if m.match(rel, false) || m.match(rel+"/", false) {
			return true
		}
	}
	return false
}

// childrenIgnored is glob's Ignore.childrenIgnored: rel + "/" matches a
// pattern that ends in "/**".
func (g *globber) childrenIgnored(rel string) bool {
	if rel == "" {
		rel = "."
	}
	for _, m := range g.ignore {
		if m.children && m.match(rel+"/", false) {
			return true
		}
	}
	return false
}

func (g *globber) abs(rel string) string {
	return filepath.Join(g.dir, filepath.FromSlash(rel))
}

func (g *globber) isDir(rel string) bool {
	fi, err := os.Stat(g.abs(rel))
	return err == nil && fi.IsDir()
}

// walk matches the pattern segments segs (the last one "", as the glob
// pattern ends in "/") against the folder rel.
func (g *globber) walk(rel string, segs []segment) {
	if len(segs) == 1 && segs[0].lit && segs[0].text == "" {
		if rel != "" && !g.seen[rel] && g.isDir(rel) && !g.ignored(rel) {
			g.seen[rel] = true
			g.out = append(g.out, rel)
		}
		return
	}
	if rel != "" && g.childrenIgnored(rel) {
		return
	}
	s, rest := segs[0], segs[1:]
	switch {
	case s.globstar:
		g.walk(rel, rest)
		for _, e := range g.readDir(rel) {
			if strings.HasPrefix(e.Name(), ".") {
				continue
			}
			child := path.Join(rel, e.Name())
			switch {
			case e.IsDir():
				g.walk(child, segs)
			case !s.first && e.Type()&os.ModeSymlink != 0 && g.isDir(child):
				g.walk(child, rest) // `**` may end at a symlink, unless it leads the pattern
			}
		}
	case s.lit:
		child := path.Join(rel, s.text)
		if _, err := os.Lstat(g.abs(child)); err == nil {
			g.walk(child, rest)
		}
	default:
		for _, e := range g.readDir(rel) {
			if s.match(e.Name(), false) {
				g.walk(path.Join(rel, e.Name()), rest)
			}
		}
	}
}

func (g *globber) readDir(rel string) []os.DirEntry {
	es, _ := os.ReadDir(g.abs(rel))
	return es
}

var slashes = regexp.MustCompile(`/+`)

// matcher is a minimatch pattern: brace-expanded sets of path segments.
type matcher struct {
	sets     [][]segment
	dot      bool
	children bool // the pattern ends in "/**" (glob's relativeChildren)
}

type segment struct {
	globstar bool
	first    bool // a leading globstar, which matches no symlink
	lit      bool // text is matched literally
	text     string
	re       *regexp.Regexp
	star     bool // begins with * or ?, so never matches a leading dot without dot
}

func compile(pattern string, dot bool) *matcher {
	m := &matcher{dot: dot, children: strings.HasSuffix(pattern, "/**")}
	for _, p := range expandBraces(pattern) {
		parts := slashes.Split(p, -1)
		segs := make([]segment, 0, len(parts))
		for _, part := range parts {
			segs = append(segs, compileSegment(part))
		}
		segs[0].first = segs[0].globstar
		m.sets = append(m.sets, segs)
	}
	return m
}

func compileSegment(s string) segment {
	if s == "**" {
		return segment{globstar: true}
	}
	var b strings.Builder
	magic := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '*':
			magic = true
			for i+1 < len(s) && s[i+1] == '*' {
				i++
			}
			b.WriteString(`[^/]*`)
		case '?':
			magic = true
			b.WriteString(`[^/]`)
		case '[':
			if cls, n, ok := bracket(s[i:]); ok {
				magic = true
				b.WriteString(cls)
				i += n - 1
			} else {
				b.WriteString(`\[`)
			}
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	if !magic {
		return segment{lit: true, text: s}
	}
	return segment{text: s, re: regexp.MustCompile(`^(?:` + b.String() + `)$`), star: s[0] == '*' || s[0] == '?'}
}

// bracket translates a "[...]" class at the start of s; n is its length.
func bracket(s string) (cls string, n int, ok bool) {
	i := 1
	neg := false
	if i < len(s) && (s[i] == '!' || s[i] == '^') {
		neg = true
		i++
	}
	var b strings.Builder
	first := true
	for i < len(s) {
		c := s[i]
		if c == ']' && !first {
			if b.Len() == 0 {
				return "", 0, false
			}
			out := "[" + b.String() + "]"
			if neg {
				out = "[^/" + b.String() + "]"
			}
			if _, err := regexp.Compile(out); err != nil {
				return "", 0, false
			}
			return out, i + 1, true
		}
		first = false
		if c == '[' && i+1 < len(s) && s[i+1] == ':' {
			if j := strings.Index(s[i:], ":]"); j > 0 {
				b.WriteString(s[i : i+j+2])
				i += j + 2
				continue
			}
		}
		switch c {
		case '\\', ']', '[', '^':
			b.WriteByte('\\')
		}
		b.WriteByte(c)
		i++
	}
	return "", 0, false
}

// match is minimatch's segment test.
func (s segment) match(name string, dot bool) bool {
	if s.lit {
		return s.text == name
	}
	if name == "" {
		return false
	}
	if strings.HasPrefix(name, ".") && s.star && (!dot || name == "." || name == "..") {
		return false
	}
	return s.re.MatchString(name)
}

// match is minimatch(p, pattern, {partial}).
func (m *matcher) match(p string, partial bool) bool {
	file := slashes.Split(p, -1)
	for _, set := range m.sets {
		if m.matchOne(file, set, partial) {
			return true
		}
	}
	return false
}

// skipsGlobstar reports a segment that `**` never swallows.
func (m *matcher) skipsGlobstar(f string) bool {
	return f == "." || f == ".." || (!m.dot && strings.HasPrefix(f, "."))
}

// matchOne follows minimatch's matchOne.
func (m *matcher) matchOne(file []string, pat []segment, partial bool) bool {
	fi, pi := 0, 0
	for fi < len(file) && pi < len(pat) {
		p, f := pat[pi], file[fi]
		if p.globstar {
			if pi+1 == len(pat) {
				for _, r := range file[fi:] {
					if m.skipsGlobstar(r) {
						return false
					}
				}
				return true
			}
			for fr := fi; fr < len(file); fr++ {
				if m.matchOne(file[fr:], pat[pi+1:], partial) {
					return true
				}
				if m.skipsGlobstar(file[fr]) {
					return false
				}
			}
			return partial
		}
		if !p.match(f, m.dot) {
			return false
		}
		fi++
		pi++
	}
	switch {
	case fi == len(file) && pi == len(pat):
		return true
	case fi == len(file):
		return partial
	default:
		return fi == len(file)-1 && file[fi] == ""
	}
}

// expandBraces expands "{a,b}" sets and "{1..3}" / "{a..c}" sequences
// like brace-expansion; a lone "{x}" or an unclosed brace is literal.
func expandBraces(s string) []string {
	open := -1
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '{':
			if depth == 0 {
				open = i
			}
			depth++
		case '}':
			if depth == 0 {
				continue
			}
			depth--
			if depth > 0 {
				continue
			}
			pre, body, post := s[:open], s[open+1:i], s[i+1:]
			alts := splitTop(body)
			if len(alts) == 1 {
				seq, ok := sequence(body)
				if !ok {
					var out []string
					for _, rest := range expandBraces(post) {
						out = append(out, pre+"{"+body+"}"+rest)
					}
					return out
				}
				alts = seq
			}
			var out []string
			for _, a := range alts {
				for _, x := range expandBraces(a) {
					for _, rest := range expandBraces(post) {
						out = append(out, pre+x+rest)
					}
				}
			}
			return out
		}
	}
	return []string{s}
}

// splitTop splits s at the commas outside nested braces.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '{':
			depth++
		case '}':
			if depth > 0 {
				depth--
			}
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// sequence expands "1..3", "01..10" or "a..c".
func sequence(body string) ([]string, bool) {
	a, b, ok := strings.Cut(body, "..")
	if !ok || strings.Contains(b, "..") {
		return nil, false
	}
	x, errA := strconv.Atoi(a)
	y, errB := strconv.Atoi(b)
	if errA == nil && errB == nil {
		width := 0
		if (len(a) > 1 && a[0] == '0') || (len(b) > 1 && b[0] == '0') {
			width = max(len(a), len(b))
		}
		step := 1
		if y < x {
			step = -1
		}
		var out []string
		for i := x; ; i += step {
			out = append(out, fmt.Sprintf("%0*d", width, i))
			if i == y || len(out) > 10000 {
				break
			}
		}
		return out, true
	}
	if len(a) == 1 && len(b) == 1 {
		step := 1
		if b[0] < a[0] {
			step = -1
		}
		var out []string
		for c := int(a[0]); ; c += step {
			out = append(out, string(rune(c)))
			if c == int(b[0]) {
				break
			}
		}
		return out, true
	}
	return nil, false
}
