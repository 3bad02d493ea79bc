// Package npm reads npm's package-lock.json and npm-shrinkwrap.json, lockfile
// versions 1, 2 and 3, into a diff.Lockfile.
//
// Versions 2 and 3 are decoded with sonic into typed entries holding only
// the fields the diff reads, then walked with install/lockfile's path
// rules; the installer's own exact reader (install/lockfile.Parse) takes
// over for a document that typed decode refuses (a field of an unexpected
// shape), so what is read does not depend on the path taken. Their
// "packages" map is authoritative and the legacy "dependencies" tree of v2
// is ignored. Version 1 (npm 5 and 6) has only the
// nested "dependencies" tree and is read here; it does not record the
// project's own dependency declarations, so its direct dependencies are
// inferred: the top-level entries no other entry requires.
//
// Invariants: a malformed document is an error located at line:col; an
// entry of the wrong shape is skipped with a warning and the rest is read.
// Link entries and workspace folders are Local.
package npm

import (
	"bytes"
	"encoding/json"
	"errors"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/bytedance/sonic"
	"github.com/lockstep-dev/lockstep/diff"
	"github.com/lockstep-dev/lockstep/install/lockfile"
)

var versionRE = regexp.MustCompile(`"lockfileVersion"\s*:\s*(-?\d+)`)

// Parse reads a package-lock.json or npm-shrinkwrap.json document; path names
// the file in errors.
func Parse(data []byte, path string) (*diff.Lockfile, error) {
	ver := 0
	if m := versionRE.FindSubmatch(data); m != nil {
		ver, _ = strconv.Atoi(string(m[1]))
	}
	switch {
	case ver == 1 || ver == 0:
		return parseV1(data, path)
	case ver == 2 || ver == 3:
		return parseV2(data, path, ver)
	}
	if err := syntaxError(data, path); err != nil {
		return nil, err
	}
	return nil, diff.Errorf(path, 0, 0, "unsupported lockfileVersion %d (expected 1, 2 or 3)", ver)
}

// syntaxError locates a JSON syntax error, or reports a document that is not
// an object; nil if the document is a JSON object.
func syntaxError(data []byte, path string) error {
	var v any
	err := json.Unmarshal(data, &v)
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		line, col := diff.LineCol(data, int(se.Offset)-1)
		return diff.Errorf(path, line, col, "%s", se.Error())
	case errors.As(err, &te):
		line, col := diff.LineCol(data, int(te.Offset))
		return diff.Errorf(path, line, col, "%s", te.Error())
	case err != nil:
		return diff.Errorf(path, 0, 0, "%s", err.Error())
	}
	if _, ok := v.(map[string]any); !ok {
		return diff.Errorf(path, 1, 1, "the document is not a JSON object")
	}
	return nil
}

// fastEntry is what the diff needs of a packages entry; the rest (bin,
// engines, funding, os/cpu...) is skipped unread.
type fastEntry struct {
	Name                 string            `json:"name"`
	Version              string            `json:"version"`
	Resolved             string            `json:"resolved"`
	Integrity            string            `json:"integrity"`
	License              string            `json:"license"`
	Deprecated           string            `json:"deprecated"`
	Link                 bool              `json:"link"`
	Dev                  bool              `json:"dev"`
	Optional             bool              `json:"optional"`
	HasInstallScript     bool              `json:"hasInstallScript"`
	Dependencies         map[string]string `json:"dependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	PeerDependencies     map[string]string `json:"peerDependencies"`
}

// fastAPI lets strings point into the private copy of the input it is
// given.
var fastAPI = sonic.Config{}.Froze()

// parseFast decodes the packages map with sonic into typed entries, only
// the fields the diff reads, several times faster than the installer's
// exact, round-trip reader. A field of another shape than npm writes (a
// license object, a string flag) fails the decode, and lockfile.Parse
// then reads the document and says what is wrong.
func parseFast(data []byte, ver int) (*lockfile.Lockfile, bool) {
	var doc struct {
		Packages map[string]*fastEntry `json:"packages"`
	}
	buf := bytes.TrimPrefix(bytes.Clone(data), []byte("\ufeff"))
	if err := fastAPI.Unmarshal(buf, &doc); err != nil || doc.Packages == nil {
		return nil, false
	}
	pkgs := make(map[string]*lockfile.Package, len(doc.Packages))
	slab := make([]lockfile.Package, len(doc.Packages))
	i := 0
	for k, e := range doc.Packages {
		if e == nil {
			return nil, false // null entry: let the exact reader say so
		}
		p := &slab[i]
		i++
		*p = lockfile.Package{Name: e.Name, Version: e.Version, Resolved: e.Resolved, Integrity: e.Integrity,
			License: e.License, Deprecated: e.Deprecated, Link: e.Link, Dev: e.Dev, Optional: e.Optional,
			HasInstallScript: e.HasInstallScript, Dependencies: e.Dependencies, OptionalDependencies: e.OptionalDependencies,
			DevDependencies: e.DevDependencies, PeerDependencies: e.PeerDependencies}
		pkgs[k] = p
	}
	return &lockfile.Lockfile{LockfileVersion: ver, Packages: pkgs}, true
}

func parseV2(data []byte, path string, ver int) (*diff.Lockfile, error) {
	l, ok := parseFast(data, ver)
	var err error
	if !ok {
		l, err = lockfile.Parse(data, path)
	}
	if err != nil {
		if serr := syntaxError(data, path); serr != nil {
			return nil, serr
		}
		msg := err.Error()
		for _, pre := range []string{"failed to read lockfile ", "failed to parse lockfile "} {
			msg = strings.TrimPrefix(msg, pre+strconv.Quote(path)+": ")
		}
		return nil, diff.Errorf(path, 0, 0, "%s", msg)
	}
	return fromLockfile(l, path, ver), nil
}

// fromLockfile turns a decoded v2/v3 lockfile into the diff model.
func fromLockfile(l *lockfile.Lockfile, path string, ver int) *diff.Lockfile {
	out := &diff.Lockfile{Format: "npm-v" + strconv.Itoa(ver), Packages: make([]diff.Package, 0, len(l.Packages))}
	keys := make([]string, 0, len(l.Packages))
	for k := range l.Packages {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	// A dependency resolves to an entry in a folder of its own name, whose
	// real name is that name unless the entry is an alias (a "name" of its
	// own) or a link: only names some such entry has need resolving.
	special := map[string]bool{}
	for k, e := range l.Packages {
		if e != nil && (e.Link || (e.Name != "" && e.Name != lockfile.PackageName(k))) {
			special[lockfile.PackageName(k)] = true
		}
	}
	realName := func(from, dep string) string {
		if !special[dep] {
			return dep
		}
		if k, ok := l.Resolve(from, dep); ok {
			if e := l.Packages[k]; e != nil && e.Link {
				if t, ok := l.LinkTarget(k); ok {
					k = t
				}
			}
			if n := l.RealName(k); n != "" {
				return n
			}
		}
		return dep
	}
	for _, k := range keys {
		e := l.Packages[k]
		if e == nil {
			continue
		}
		project := k == "" || !lockfile.InNodeModules(k)
		if project {
			// the root and workspace folders declare the direct dependencies
			for _, d := range []struct {
				m map[string]string
				t diff.DepType
			}{{e.Dependencies, diff.Prod}, {e.OptionalDependencies, diff.Optional}, {e.DevDependencies, diff.Dev}, {e.PeerDependencies, diff.Peer}} {
				for name := range d.m {
					out.AddDirect(realName(k, name), d.t)
				}
			}
			if k == "" {
				continue
			}
		}
		p := diff.Package{
			Name: l.RealName(k), Version: e.Version, Path: k,
			Dev: e.Dev, Optional: e.Optional,
			Resolved: e.Resolved, Integrity: e.Integrity,
			License: e.License, Deprecated: e.Deprecated,
			InstallScript: e.HasInstallScript,
			Local:         project || e.Link || strings.HasPrefix(e.Resolved, "file:"),
		}
		if p.Name == "" {
			out.Warnf("%s: entry %q has no package name", path, k)
			continue
		}
		n := len(e.Dependencies) + len(e.OptionalDependencies) + len(e.PeerDependencies)
		if n > 0 {
			p.Dependencies = make([]string, 0, n)
			for _, m := range []map[string]string{e.Dependencies, e.OptionalDependencies, e.PeerDependencies} {
				for name := range m {
					p.Dependencies = append(p.Dependencies, realName(k, name))
				}
			}
			sort.Strings(p.Dependencies)
		}
		out.Packages = append(out.Packages, p)
	}
	return out
}

type v1Entry struct {
	Version      string                     `json:"version"`
	Resolved     string                     `json:"resolved"`
	Integrity    string                     `json:"integrity"`
	Dev          bool                       `json:"dev"`
	Optional     bool                       `json:"optional"`
	Requires     map[string]string          `json:"requires"`
	Dependencies map[string]json.RawMessage `json:"dependencies"`
}

func parseV1(data []byte, path string) (*diff.Lockfile, error) {
	var doc struct {
		LockfileVersion json.RawMessage            `json:"lockfileVersion"`
		Dependencies    map[string]json.RawMessage `json:"dependencies"`
	}
	if err := syntaxError(data, path); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		// only "dependencies" of a wrong type can fail here
		return nil, diff.Errorf(path, 0, 0, "\"dependencies\" is not an object")
	}
	if len(doc.LockfileVersion) == 0 && doc.Dependencies == nil {
		return nil, diff.Errorf(path, 1, 1, "no \"lockfileVersion\" and no \"dependencies\": not a package-lock.json")
	}
	out := &diff.Lockfile{Format: "npm-v1"}
	requires := map[string]map[string]string{}
	var walk func(prefix string, deps map[string]json.RawMessage)
	walk = func(prefix string, deps map[string]json.RawMessage) {
		names := make([]string, 0, len(deps))
		for n := range deps {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			key := prefix + "node_modules/" + n
			var e v1Entry
			if err := json.Unmarshal(deps[n], &e); err != nil {
				off := bytes.Index(data, deps[n])
				line, col := diff.LineCol(data, off)
				out.Warnf("%s:%d:%d: skipped entry %q: %v", path, line, col, key, err)
				continue
			}
			p := diff.Package{Name: n, Version: e.Version, Path: key, Dev: e.Dev, Optional: e.Optional,
				Resolved: e.Resolved, Integrity: e.Integrity}
			switch {
			case strings.HasPrefix(e.Version, "npm:"):
				// alias: "npm:real-name@1.2.3"
				spec := e.Version[4:]
				if i := strings.LastIndexByte(spec, '@'); i > 0 {
					p.Name, p.Version = spec[:i], spec[i+1:]
				}
			case strings.HasPrefix(e.Version, "file:"):
				p.Local = true
			case strings.Contains(e.Version, "://") || strings.HasPrefix(e.Version, "github:") || strings.HasPrefix(e.Version, "git"):
				if p.Resolved == "" {
					p.Resolved = e.Version
				}
				p.Version = urlVersion(n, e.Version)
			}
			for r := range e.Requires {
				p.Dependencies = append(p.Dependencies, r)
			}
			sort.Strings(p.Dependencies)
			requires[key] = e.Requires
			out.Packages = append(out.Packages, p)
			if len(e.Dependencies) > 0 {
				walk(key+"/", e.Dependencies)
			}
		}
	}
	walk("", doc.Dependencies)
	// a require resolves, as require() does, to the nearest node_modules
	// copy up the tree
	keys := make(map[string]bool, len(out.Packages))
	for i := range out.Packages {
		keys[out.Packages[i].Path] = true
	}
	required := map[string]bool{}
	for from, reqs := range requires {
		for r := range reqs {
			dir := from
			for {
				if k := dir + "/node_modules/" + r; keys[k] {
					required[k] = true
					break
				}
				i := strings.LastIndex(dir, "/node_modules/")
				if i < 0 {
					required["node_modules/"+r] = true
					break
				}
				dir = dir[:i]
			}
		}
	}
	// v1 does not record the root's declarations: a top-level entry that
	// nothing requires must be a direct dependency.
	for i := range out.Packages {
		p := &out.Packages[i]
		if strings.Count(p.Path, "node_modules/") != 1 {
			continue
		}
		if required[p.Path] {
			continue
		}
		t := diff.Prod
		switch {
		case p.Dev:
			t = diff.Dev
		case p.Optional:
			t = diff.Optional
		}
		out.AddDirect(p.Name, t)
	}
	return out, nil
}

// urlVersion is the version of a v1 entry whose "version" is a URL: the
// one a registry-style file name "name-1.2.3.tgz" carries, else the URL.
func urlVersion(name, ref string) string {
	file := ref
	if i := strings.LastIndexByte(file, '/'); i >= 0 {
		file = file[i+1:]
	}
	short := name[strings.LastIndexByte(name, '/')+1:]
	if v, ok := strings.CutPrefix(strings.TrimSuffix(file, ".tgz"), short+"-"); ok && strings.HasSuffix(file, ".tgz") && v != "" {
		return v
	}
	return ref
}
