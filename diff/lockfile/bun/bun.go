// Package bun reads bun's text lockfile, bun.lock (JSONC: JSON with
// comments and trailing commas), into a diff.Lockfile. The binary
// bun.lockb is not supported.
//
// The document is made plain JSON by blanking comments and trailing commas
// byte for byte, so JSON syntax errors keep their line:col. Each
// "packages" entry is an array whose first element is the identifier
// "name@version" (or "name@<url>", "name@workspace:path", ...): registry
// entries are [ident, registry, meta, integrity], tarball and git entries
// [ident, meta, integrity-or-tag], workspace, link and file entries
// [ident, meta?]. Keys are install paths ("debug/ms" is ms nested under
// debug, "sw" an alias of string-width).
//
// Invariants: an entry of the wrong shape is skipped with a warning and the
// rest is read; direct dependencies are those of "workspaces"; packages
// named in "trustedDependencies" are taken to run install scripts.
package bun

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/bytedance/sonic"
	"github.com/lockstep-dev/lockstep/diff"
)

// fastAPI decodes without copying strings: Parse decodes its own copy.
var fastAPI = sonic.Config{}.Froze()

type workspace struct {
	Dependencies         map[string]string `json:"dependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	PeerDependencies     map[string]string `json:"peerDependencies"`
}

// Parse reads a bun.lock document; path names the file in errors.
func Parse(data []byte, file string) (*diff.Lockfile, error) {
	clean := StripJSONC(data)
	var doc struct {
		LockfileVersion     *int                       `json:"lockfileVersion"`
		Workspaces          map[string]json.RawMessage `json:"workspaces"`
		Packages            map[string]any             `json:"packages"`
		TrustedDependencies []string                   `json:"trustedDependencies"`
	}
	// clean is a private copy, so strings may point into it
	if err := fastAPI.Unmarshal(clean, &doc); err != nil {
		// encoding/json locates the error
		err = json.Unmarshal(clean, &doc)
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			line, col := diff.LineCol(data, int(se.Offset)-1)
			return nil, diff.Errorf(file, line, col, "%s", se.Error())
		case errors.As(err, &te):
			line, col := diff.LineCol(data, int(te.Offset)-1)
			return nil, diff.Errorf(file, line, col, "%q is %s, not the expected shape", te.Field, te.Value)
		}
		if err != nil {
			return nil, diff.Errorf(file, 0, 0, "%v", err)
		}
	}
	if doc.LockfileVersion == nil {
		return nil, diff.Errorf(file, 1, 1, "no \"lockfileVersion\": not a bun.lock")
	}
	out := &diff.Lockfile{Format: "bun-v" + strconv.Itoa(*doc.LockfileVersion)}
	warnAt := func(off int, format string, args ...any) {
		line, col := diff.LineCol(data, off)
		out.Warnf("%s:%d:%d: %s", file, line, col, sprintf(format, args...))
	}
	warn := func(raw json.RawMessage, format string, args ...any) {
		warnAt(bytes.Index(clean, raw), format, args...)
	}
	// warnEntry locates a package entry by its key (only on this rare path)
	warnEntry := func(key string, format string, args ...any) {
		warnAt(entryOffset(clean, key), format, args...)
	}
	trusted := make(map[string]bool, len(doc.TrustedDependencies))
	for _, n := range doc.TrustedDependencies {
		trusted[n] = true
	}

	keys := make([]string, 0, len(doc.Packages))
	for k := range doc.Packages {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	nameAt := make(map[string]string, len(keys)) // install path → real name
	metas := make(map[string]map[string]any, len(keys))
	idx := make(map[string]int, len(keys))
	out.Packages = make([]diff.Package, 0, len(keys))
	var strs []string
	for _, k := range keys {
		arr, ok := doc.Packages[k].([]any)
		if !ok || len(arr) == 0 {
			warnEntry(k, "skipped entry %q: not a non-empty array", k)
			continue
		}
		ident, ok := arr[0].(string)
		if !ok || ident == "" {
			warnEntry(k, "skipped entry %q: its identifier is not a string", k)
			continue
		}
		name, ref := splitIdent(ident)
		p := diff.Package{Name: name, Path: k}
		var m map[string]any
		strs = strs[:0]
		for _, el := range arr[1:] {
			switch v := el.(type) {
			case string:
				strs = append(strs, v)
			case map[string]any:
				m = v // an object of another shape: no deps
			}
		}
		switch {
		case strings.HasPrefix(ref, "workspace:"), strings.HasPrefix(ref, "link:"), strings.HasPrefix(ref, "file:"), strings.HasPrefix(ref, "root:"):
			p.Local, p.Version = true, ref
		case strings.Contains(ref, "://") || strings.HasPrefix(ref, "github:") || strings.HasPrefix(ref, "git"):
			p.Resolved = ref
			p.Version = tarballVersion(name, ref)
			if len(strs) > 0 && strings.HasPrefix(strs[len(strs)-1], "sha") {
				p.Integrity = strs[len(strs)-1]
			}
		default:
			// registry: [ident, registry, meta, integrity]
			p.Version = ref
			if len(strs) >= 1 && strs[0] != "" {
				p.Resolved = registryTarball(strs[0], name, ref)
			}
			if len(strs) >= 2 {
				p.Integrity = strs[len(strs)-1]
			}
		}
		if p.Name == "" || p.Version == "" {
			warnEntry(k, "skipped entry %q: no name and version in %q", k, ident)
			continue
		}
		p.InstallScript = trusted[p.Name]
		nameAt[k] = p.Name
		if m != nil {
			metas[k] = m
		}
		idx[k] = len(out.Packages)
		out.Packages = append(out.Packages, p)
	}
	// resolve dependency names through install paths: nearest first
	realName := func(from, dep string) string {
		for dir := from; ; {
			k := dep
			if dir != "" {
				k = dir + "/" + dep
			}
			if n, ok := nameAt[k]; ok {
				return n
			}
			if dir == "" {
				return dep
			}
			dir = parentKey(dir)
		}
	}
	for k, m := range metas {
		p := &out.Packages[idx[k]]
		for _, sec := range [...]string{"dependencies", "optionalDependencies", "peerDependencies"} {
			deps, _ := m[sec].(map[string]any)
			for d, spec := range deps {
				if _, ok := spec.(string); ok {
					p.Dependencies = append(p.Dependencies, realName(k, d))
				}
			}
		}
		sort.Strings(p.Dependencies)
	}
	wkeys := make([]string, 0, len(doc.Workspaces))
	for wk := range doc.Workspaces {
		wkeys = append(wkeys, wk)
	}
	sort.Strings(wkeys) // warnings and results in the same order every run
	for _, wk := range wkeys {
		raw := doc.Workspaces[wk]
		var w workspace
		if err := fastAPI.Unmarshal(raw, &w); err != nil {
			msg, _, _ := strings.Cut(err.Error(), "\n")
			warn(raw, "skipped workspace %q: %s", wk, strings.TrimSpace(msg))
			continue
		}
		for _, sec := range []struct {
			m map[string]string
			t diff.DepType
		}{{w.Dependencies, diff.Prod}, {w.OptionalDependencies, diff.Optional}, {w.DevDependencies, diff.Dev}, {w.PeerDependencies, diff.Peer}} {
			for d, spec := range sec.m {
				if strings.HasPrefix(spec, "workspace:") {
					continue
				}
				n := realName("", d)
				if i, ok := idx[d]; ok && out.Packages[i].Local {
					continue
				}
				out.AddDirect(n, sec.t)
			}
		}
	}
	return out, nil
}

// entryOffset finds the value of the "packages" entry key in clean: the
// first `"key":` after "packages" whose value is not a string (dependency
// maps, which also name packages, hold strings).
func entryOffset(clean []byte, key string) int {
	q, _ := json.Marshal(key)
	start := bytes.Index(clean, []byte(`"packages"`))
	if start < 0 {
		start = 0
	}
	first := -1
	for off := start; ; {
		i := bytes.Index(clean[off:], q)
		if i < 0 {
			break
		}
		v := bytes.TrimLeft(clean[off+i+len(q):], " \t\r\n")
		if len(v) > 0 && v[0] == ':' {
			v = bytes.TrimLeft(v[1:], " \t\r\n")
			at := len(clean) - len(v)
			if first < 0 {
				first = at
			}
			if len(v) > 0 && v[0] != '"' {
				return at
			}
		}
		off += i + len(q)
	}
	if first < 0 {
		return start
	}
	return first
}

// parentKey returns the install path a nested key sits under: "a/b" → "a",
// "@s/a/b" → "@s/a", "a/@s/b" → "a".
func parentKey(k string) string {
	parts := strings.Split(k, "/")
	// rebuild names: a scope joins the next part
	var names []string
	for i := 0; i < len(parts); i++ {
		if strings.HasPrefix(parts[i], "@") && i+1 < len(parts) {
			names = append(names, parts[i]+"/"+parts[i+1])
			i++
		} else {
			names = append(names, parts[i])
		}
	}
	if len(names) <= 1 {
		return ""
	}
	return strings.Join(names[:len(names)-1], "/")
}

// splitIdent splits "name@ref" ("@s/n@1.0.0" → "@s/n", "1.0.0").
func splitIdent(id string) (string, string) {
	i := strings.IndexByte(id[min(1, len(id)):], '@')
	if i < 0 {
		return id, ""
	}
	return id[:i+1], id[i+2:]
}

// tarballVersion guesses the version of a tarball or git dependency from
// the file name "name-1.2.3.tgz"; else the reference itself stands for it.
func tarballVersion(name, ref string) string {
	if u, err := url.Parse(ref); err == nil && strings.HasSuffix(u.Path, ".tgz") {
		base := strings.TrimSuffix(path.Base(u.Path), ".tgz")
		short := name[strings.LastIndexByte(name, '/')+1:]
		if v, ok := strings.CutPrefix(base, short+"-"); ok && v != "" {
			return v
		}
	}
	return ref
}

// registryTarball is the URL a registry entry is fetched from, for an
// entry that names its registry.
func registryTarball(reg, name, version string) string {
	if !strings.Contains(reg, "://") {
		return reg
	}
	short := name[strings.LastIndexByte(name, '/')+1:]
	return strings.TrimSuffix(reg, "/") + "/" + name + "/-/" + short + "-" + version + ".tgz"
}

// StripJSONC blanks // and /* */ comments and trailing commas with spaces
// (newlines kept), so the result is JSON with the same byte offsets.
func StripJSONC(data []byte) []byte {
	out := make([]byte, len(data))
	copy(out, data)
	inStr, esc := false, false
	lastComma := -1 // offset of a comma not yet followed by a value
	for i := 0; i < len(out); i++ {
		c := out[i]
		if inStr {
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
			continue
		}
		switch {
		case c == '"':
			inStr = true
			lastComma = -1
		case c == '/' && i+1 < len(out) && out[i+1] == '/':
			for i < len(out) && out[i] != '\n' {
				out[i] = ' '
				i++
			}
		case c == '/' && i+1 < len(out) && out[i+1] == '*':
			out[i], out[i+1] = ' ', ' '
			i += 2
			for i < len(out) && !(out[i] == '*' && i+1 < len(out) && out[i+1] == '/') {
				if out[i] != '\n' {
					out[i] = ' '
				}
				i++
			}
			if i < len(out) {
				out[i], out[i+1] = ' ', ' '
				i++
			}
		case c == ',':
			lastComma = i
		case c == ']' || c == '}':
			if lastComma >= 0 {
				out[lastComma] = ' '
			}
			lastComma = -1
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		default:
			lastComma = -1
		}
	}
	return out
}

func sprintf(format string, args ...any) string {
	return strings.ReplaceAll(fmt.Sprintf(format, args...), "\n", " ")
}
