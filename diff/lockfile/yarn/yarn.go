// Package yarn reads yarn.lock: yarn classic's lockfile v1 and yarn berry's
// (v2 and later, `__metadata`), into a diff.Lockfile.
//
// Both are read by one line-oriented parser: an entry is a line at indent 0
// naming one or more descriptors ("name@range", comma-separated), its fields
// are at indent 2 (`version "1.0.0"` in v1, `version: 1.0.0` in berry) and
// maps (dependencies, optionalDependencies, peerDependencies,
// dependenciesMeta) open fields at indent 4.
//
// Invariants and limits:
//   - A line that cannot be read is an error at line:col; an entry that
//     lacks what a package needs (a version) is skipped with a warning.
//   - yarn classic records no declarations of the project, so its direct
//     dependencies are inferred: the entries no other entry depends on,
//     of unknown type. Berry records workspaces (`@workspace:`), whose
//     dependencies are the direct ones, also of unknown type (berry's lock
//     does not tell dev from prod).
//   - Berry's registry packages record no URL (`npm:` resolutions): their
//     Resolved is empty, and other resolutions (tarball URLs, git, patch:)
//     are kept as Resolved. Berry's checksum is its own hash, kept as
//     Integrity. Classic's `#sha1` URL fragment stands in for a missing
//     integrity.
package yarn

import (
	"encoding/base64"
	"encoding/hex"
	"sort"
	"strconv"
	"strings"

	"github.com/lockstep-dev/lockstep/diff"
)

type entry struct {
	line int
	keys []string
	// the fields the reader uses; others are skipped
	version, resolution, checksum, resolved, integrity string
	// dependencies, optionalDependencies and peerDependencies, in file order
	deps [3][]dep
}

type dep struct{ name, rng string }

// depKinds are the maps whose entries are dependencies, in the order a name
// listed in several is attributed.
var depKinds = [3]string{"dependencies", "optionalDependencies", "peerDependencies"}

func (e *entry) setField(key, value string) {
	switch key {
	case "version":
		e.version = value
	case "resolution":
		e.resolution = value
	case "checksum":
		e.checksum = value
	case "resolved":
		e.resolved = value
	case "integrity":
		e.integrity = value
	}
}

// Parse reads a yarn.lock document; path names the file in errors.
func Parse(data []byte, path string) (*diff.Lockfile, error) {
	entries, berry, meta, err := parse(string(data), path)
	if err != nil {
		return nil, err
	}
	out := &diff.Lockfile{Format: "yarn-v1"}
	if berry {
		out.Format = "yarn-berry-v" + meta
	}
	// descriptor → index of its package, for aliases and direct deps
	byDesc := make(map[string]int, len(entries)*5/4)
	type pending struct {
		pkg  int
		deps []dep
	}
	edges := make([]pending, 0, len(entries))
	var workspaces [][]dep
	out.Packages = make([]diff.Package, 0, len(entries))
	for _, e := range entries {
		version := e.version
		p := diff.Package{Version: version, Path: strings.Join(e.keys, ", ")}
		name := descName(e.keys[0])
		if berry {
			res := e.resolution
			if res == "" {
				out.Warnf("%s:%d: skipped entry %q: no resolution", path, e.line, p.Path)
				continue
			}
			rn := descName(res)
			ref := strings.TrimPrefix(res[len(rn):], "@")
			p.Name = rn
			p.Integrity = e.checksum
			switch {
			case strings.HasPrefix(ref, "workspace:"):
				p.Local = true
				workspaces = append(workspaces, mergeDeps(e))
			case strings.HasPrefix(ref, "npm:"):
				// registry: the URL is not recorded
			case strings.HasPrefix(ref, "link:"), strings.HasPrefix(ref, "portal:"), strings.HasPrefix(ref, "file:"):
				p.Local = true
			default:
				p.Resolved = ref
			}
		} else {
			p.Name = name
			// an alias "sw@npm:string-width@4.2.3" installs string-width
			if r := descRange(e.keys[0]); strings.HasPrefix(r, "npm:") {
				if rn := descName(r[4:]); rn != "" {
					p.Name = rn
				}
			}
			p.Resolved = e.resolved
			p.Integrity = e.integrity
			if p.Integrity == "" {
				if i := strings.LastIndexByte(p.Resolved, '#'); i >= 0 && strings.HasPrefix(p.Resolved, "http") {
					if b, err := hex.DecodeString(p.Resolved[i+1:]); err == nil && len(b) == 20 {
						p.Integrity = "sha1-" + base64.StdEncoding.EncodeToString(b)
					}
				}
			}
			if strings.HasPrefix(p.Resolved, "file:") || strings.HasPrefix(version, "file:") {
				p.Local = true
			}
		}
		if version == "" || p.Name == "" {
			out.Warnf("%s:%d: skipped entry %q: no version", path, e.line, p.Path)
			continue
		}
		idx := len(out.Packages)
		for _, k := range e.keys {
			byDesc[k] = idx
		}
		out.Packages = append(out.Packages, p)
		if d := mergeDeps(e); len(d) > 0 {
			edges = append(edges, pending{idx, d})
		}
	}
	depended := make([]bool, len(out.Packages))
	var buf []byte
	lookup := func(parts ...string) (int, bool) {
		buf = buf[:0]
		for _, p := range parts {
			buf = append(buf, p...)
		}
		i, ok := byDesc[string(buf)] // no allocation for the lookup
		return i, ok
	}
	resolve := func(name, rng string) (int, bool) {
		if i, ok := lookup(name, "@", rng); ok {
			return i, true
		}
		if berry && !strings.Contains(rng, ":") {
			return lookup(name, "@npm:", rng)
		}
		return 0, false
	}
	for _, e := range edges {
		p := &out.Packages[e.pkg]
		p.Dependencies = make([]string, 0, len(e.deps))
		for _, d := range e.deps {
			dn := d.name
			if i, ok := resolve(d.name, d.rng); ok {
				dn = out.Packages[i].Name
				depended[i] = true
			}
			p.Dependencies = append(p.Dependencies, dn)
		}
		sort.Strings(p.Dependencies)
	}
	if berry {
		for _, deps := range workspaces {
			for _, d := range deps {
				dn := d.name
				if i, ok := resolve(d.name, d.rng); ok {
					dn = out.Packages[i].Name
					if out.Packages[i].Local {
						continue // another workspace
					}
				}
				out.AddDirect(dn, "")
			}
		}
	} else {
		for i := range out.Packages {
			if !depended[i] && !out.Packages[i].Local {
				out.AddDirect(out.Packages[i].Name, "")
			}
		}
	}
	return out, nil
}

// mergeDeps returns the entry's dependencies of every kind, each name
// once (the first kind that lists it wins).
func mergeDeps(e *entry) []dep {
	if len(e.deps[1]) == 0 && len(e.deps[2]) == 0 {
		return e.deps[0]
	}
	out := make([]dep, 0, len(e.deps[0])+len(e.deps[1])+len(e.deps[2]))
	for _, list := range e.deps {
	next:
		for _, d := range list {
			for _, o := range out {
				if o.name == d.name {
					continue next
				}
			}
			out = append(out, d)
		}
	}
	return out
}

// descName returns the name of a descriptor "name@range" ("@s/n@range" →
// "@s/n").
func descName(d string) string {
	i := strings.IndexByte(d[min(1, len(d)):], '@')
	if i < 0 {
		return d
	}
	return d[:i+1]
}

func descRange(d string) string {
	n := descName(d)
	return strings.TrimPrefix(d[len(n):], "@")
}

// curMap values besides an index into depKinds.
const (
	noMap    = -1
	otherMap = -2
)

// parse splits the document into entries.
func parse(s, path string) (entries []*entry, berry bool, meta string, err error) {
	var cur *entry
	curMap := noMap // the map field open at indent 2, if any
	var metaEntry bool
	lineNo := 0
	for len(s) > 0 {
		lineNo++
		var line string
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			line, s = s[:i], s[i+1:]
		} else {
			line, s = s, ""
		}
		line = strings.TrimRight(line, "\r")
		trimmed := strings.TrimLeft(line, " ")
		if trimmed == "" || trimmed[0] == '#' {
			continue
		}
		indent := len(line) - len(trimmed)
		if strings.HasPrefix(trimmed, "\t") {
			return nil, false, "", diff.Errorf(path, lineNo, indent+1, "tab in indentation")
		}
		if strings.HasPrefix(trimmed, "<<<<<<<") || strings.HasPrefix(trimmed, "=======") || strings.HasPrefix(trimmed, ">>>>>>>") {
			return nil, false, "", diff.Errorf(path, lineNo, 1, "git merge conflict marker; resolve the conflict or run `yarn install`")
		}
		switch {
		case indent == 0:
			if !strings.HasSuffix(trimmed, ":") {
				return nil, false, "", diff.Errorf(path, lineNo, len(line), "expected \":\" at the end of an entry's descriptors")
			}
			keys, kerr := splitKeys(trimmed[:len(trimmed)-1])
			if kerr != "" || len(keys) == 0 {
				return nil, false, "", diff.Errorf(path, lineNo, 1, "bad descriptor list: %s", kerr)
			}
			curMap = noMap
			if keys[0] == "__metadata" {
				berry, metaEntry, cur = true, true, nil
				continue
			}
			metaEntry = false
			cur = &entry{line: lineNo, keys: keys}
			entries = append(entries, cur)
		case indent == 2 || indent == 4 || indent == 6:
			key, value, opens, col, perr := splitField(trimmed)
			if perr != "" {
				return nil, false, "", diff.Errorf(path, lineNo, indent+col, "%s", perr)
			}
			if metaEntry {
				if indent == 2 && key == "version" {
					meta = value
				}
				continue
			}
			if cur == nil {
				return nil, false, "", diff.Errorf(path, lineNo, indent+1, "field outside of an entry")
			}
			switch indent {
			case 2:
				curMap = noMap
				if opens {
					curMap = otherMap
					for i, k := range depKinds {
						if k == key {
							curMap = i
						}
					}
				} else {
					cur.setField(key, value)
				}
			case 4:
				if curMap == noMap {
					return nil, false, "", diff.Errorf(path, lineNo, indent+1, "unexpected indentation")
				}
				if !opens && curMap != otherMap {
					cur.deps[curMap] = append(cur.deps[curMap], dep{key, value})
				}
			}
			// indent 6: dependenciesMeta details, not needed
		default:
			return nil, false, "", diff.Errorf(path, lineNo, indent+1, "unexpected indentation of %d spaces", indent)
		}
	}
	if !berry && meta == "" {
		meta = "1"
	}
	return entries, berry, meta, nil
}

// splitKeys splits `"a@^1", a@^2` into descriptors.
func splitKeys(s string) ([]string, string) {
	var keys []string
	for {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			return keys, ""
		}
		var k string
		if s[0] == '"' {
			v, rest, ok := unquote(s)
			if !ok {
				return nil, "unterminated string"
			}
			k, s = v, rest
		} else if i := strings.IndexByte(s, ','); i >= 0 {
			k, s = s[:i], s[i:]
		} else {
			k, s = s, ""
		}
		// berry joins several descriptors in one quoted key
		for _, part := range strings.Split(k, ", ") {
			if part = strings.TrimSpace(part); part != "" {
				keys = append(keys, part)
			}
		}
		s = strings.TrimLeft(s, " ")
		if s != "" {
			if s[0] != ',' {
				return nil, "expected \",\" between descriptors"
			}
			s = s[1:]
		}
	}
}

// splitField reads `key value`, `key "value"`, `key: value`, `key:` (a map
// opens); col is the 1-based column of a problem within s.
func splitField(s string) (key, value string, opens bool, col int, err string) {
	rest := s
	if s[0] == '"' {
		k, r, ok := unquote(s)
		if !ok {
			return "", "", false, 1, "unterminated string"
		}
		key, rest = k, r
	} else {
		i := strings.IndexAny(s, ": ")
		if i < 0 {
			return "", "", false, len(s) + 1, "expected a value after the key"
		}
		key, rest = s[:i], s[i:]
	}
	if strings.HasPrefix(rest, ":") {
		rest = rest[1:]
		if strings.TrimSpace(rest) == "" {
			return key, "", true, 0, ""
		}
	}
	if rest == "" || rest[0] != ' ' {
		return "", "", false, len(s) - len(rest) + 1, "expected a space after the key"
	}
	rest = strings.TrimLeft(rest, " ")
	if rest == "" {
		return "", "", false, len(s) + 1, "expected a value after the key"
	}
	if rest[0] == '"' {
		v, r, ok := unquote(rest)
		if !ok || strings.TrimSpace(r) != "" {
			return "", "", false, len(s) - len(rest) + 1, "bad quoted string"
		}
		return key, v, false, 0, ""
	}
	return key, strings.TrimSpace(rest), false, 0, ""
}

// unquote reads a JSON-style quoted string at the start of s.
func unquote(s string) (v, rest string, ok bool) {
	esc := false
	for i := 1; i < len(s); i++ {
		switch {
		case esc:
			esc = false
		case s[i] == '\\':
			esc = true
		case s[i] == '"':
			q := s[:i+1]
			if !strings.Contains(q, "\\") {
				return q[1 : len(q)-1], s[i+1:], true
			}
			u, err := strconv.Unquote(q)
			if err != nil {
				return "", "", false
			}
			return u, s[i+1:], true
		}
	}
	return "", "", false
}
