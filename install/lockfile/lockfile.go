package lockfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"unicode/utf8"

	"github.com/bytedance/sonic"

	"github.com/lockstep-dev/lockstep/internal/nodetext"
)

// File names, in the order npm prefers them.
const (
	ShrinkwrapFile = "npm-shrinkwrap.json"
	PackageLock    = "package-lock.json"
	HiddenLockfile = "node_modules/.package-lock.json"
)

// ErrNotFound is returned by Read when the directory has neither
// npm-shrinkwrap.json nor package-lock.json.
var ErrNotFound = errors.New("no npm-shrinkwrap.json or package-lock.json found")

// ErrVersion1 marks a lockfile of version 1 (npm 6 and older), which
// lockstep does not read.
var ErrVersion1 = errors.New("lockfileVersion 1 (npm 6 and older) is not supported")

// Lockfile is a package-lock.json (or npm-shrinkwrap.json, or the hidden
// lockfile node_modules/.package-lock.json).
type Lockfile struct {
	Name, Version   string
	LockfileVersion int
	Requires        bool
	// Packages maps a location to its entry: "" is the root, then
	// "node_modules/a", "node_modules/a/node_modules/@s/b", "packages/x".
	Packages map[string]*Package
	// Dependencies is the legacy v2 "dependencies" tree, kept verbatim
	// (nil when absent, as in v3).
	Dependencies any
	// Extra holds top-level keys kept verbatim: unknown keys, and known
	// keys whose value the typed fields cannot represent exactly.
	Extra map[string]any
	// Indent and Newline are the formatting Marshal writes with ("  " and
	// "\n" when empty). Parse sets them from the file read, so a round trip
	// is exact; but npm writes package-lock.json (and the hidden lockfile)
	// in the formatting of the project's package.json, so a writer of a new
	// lockfile should set them from DetectFormat(package.json bytes).
	Indent, Newline string
}

// PeerMeta is one peerDependenciesMeta entry.
type PeerMeta struct {
	Optional bool
}

// Package is one entry of the packages map. Maps and slices are nil when the
// field is absent; strings are empty and flags false when absent.
type Package struct {
	Name, Version, Resolved, Integrity string
	License, Deprecated                string

	Link, Dev, Optional, DevOptional, Peer, Extraneous bool
	InBundle, HasInstallScript, HasShrinkwrap          bool

	Dependencies, DevDependencies          map[string]string
	OptionalDependencies, PeerDependencies map[string]string
	AcceptDependencies                     map[string]string
	PeerDependenciesMeta                   map[string]PeerMeta
	Bin                                    map[string]string
	// Engines holds an engines object of strings; an array (old packages)
	// or any other shape stays in Extra["engines"].
	Engines map[string]string

	OS, CPU, Libc      []string
	BundleDependencies []string

	// Funding and Workspaces are raw JSON values (nil when absent): an
	// object, an array, a string...
	Funding, Workspaces any

	// Extra holds fields kept verbatim: unknown keys, and known keys whose
	// value the typed fields cannot represent exactly (an empty string, a
	// false flag, a license object, an engines array...).
	Extra map[string]any
}

// Read reads the lockfile of the project in dir: npm-shrinkwrap.json if it
// exists, else package-lock.json. It returns the lockfile and the path read.
// If neither exists the error wraps ErrNotFound.
func Read(dir string) (*Lockfile, string, error) {
	data, p, err := readIn(dir)
	if err != nil {
		return nil, p, err
	}
	l, err := parse(data, p, decoderNoCopy)
	return l, p, err
}

// readIn reads the lockfile of the project in dir as Read finds it, and
// returns its bytes and path.
func readIn(dir string) ([]byte, string, error) {
	for _, name := range []string{ShrinkwrapFile, PackageLock} {
		p := filepath.Join(dir, name)
		data, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, p, fmt.Errorf("failed to read lockfile %q: %w", p, err)
		}
		return data, p, nil
	}
	return nil, "", fmt.Errorf("failed to read lockfile in %q: %w", dir, ErrNotFound)
}

// ReadFile reads and parses one lockfile.
func ReadFile(path string) (*Lockfile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read lockfile %q: %w", path, err)
	}
	return parse(data, path, decoderNoCopy)
}

// decoder copies strings out of the input; decoderNoCopy lets them point
// into it (about half the allocations), for buffers this package owns.
var (
	decoder       = sonic.Config{UseNumber: true, CopyString: true}.Froze()
	decoderNoCopy = sonic.Config{UseNumber: true}.Froze()
)

// Format detection, as json-parse-even-better-errors does it.
var (
	formatRE = regexp.MustCompile(`^[\s\x{feff}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]*[{\[]((?:\r?\n)+)([\s\t\x{feff}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]*)`)
	emptyRE  = regexp.MustCompile(`^(?:\{\}|\[\])((?:\r?\n)+)?$`)
)

// DetectFormat returns the indent and newline npm would reuse when it
// rewrites the JSON text data (after a UTF-8 byte order mark is removed).
// An empty indent or newline means npm's default ("  " after Shrinkwrap's
// `indent || 2`, "\n").
func DetectFormat(data []byte) (indent, newline string) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	if m := emptyRE.FindSubmatch(data); m != nil {
		if m[1] == nil {
			return "  ", "\n"
		}
		return "  ", string(m[1])
	}
	if m := formatRE.FindSubmatch(data); m != nil {
		return string(m[2]), string(m[1])
	}
	return "", ""
}

// Parse decodes a package-lock.json or npm-shrinkwrap.json document; path
// names the file in errors. Lockfile version 1 is refused.
// The Lockfile does not refer to data afterwards.
func Parse(data []byte, path string) (*Lockfile, error) {
	// The model's strings may view the bytes parsed, and the caller keeps
	// data.
	return parse(bytes.Clone(data), path, decoderNoCopy)
}

func parse(data []byte, path string, api sonic.API) (*Lockfile, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	// npm reads the file as UTF-8 text before JSON.parse sees it.
	data = nodetext.Decode(data)
	if fl := (&Lockfile{}); parseFast(data, fl) {
		fl.Indent, fl.Newline = DetectFormat(data)
		return fl, nil
	}
	return parseGeneric(data, path, api)
}

// parseGeneric decodes the document into a generic object first: the path
// for anything parseFast does not take, and the one that explains errors.
func parseGeneric(data []byte, path string, api sonic.API) (*Lockfile, error) {
	var doc map[string]any
	if err := api.Unmarshal(data, &doc); err != nil || doc == nil {
		return nil, syntaxError(data, path, err)
	}
	l := &Lockfile{}
	l.Indent, l.Newline = DetectFormat(data)
	if err := l.fromDoc(doc, path); err != nil {
		return nil, err
	}
	return l, nil
}

var conflictRE = regexp.MustCompile(`(?m)^(<{7}|={7}|>{7})`)

// syntaxError explains why the document could not be decoded, locating JSON
// syntax errors as file:line:col (through encoding/json, whose errors carry
// the offset).
func syntaxError(data []byte, path string, cause error) error {
	if conflictRE.Match(data) {
		return fmt.Errorf("failed to parse lockfile %q: it contains git merge conflict markers; resolve the conflict or run `npm install` to regenerate it", path)
	}
	var v any
	err := json.Unmarshal(data, &v)
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		line, col := lineCol(data, int(se.Offset))
		return fmt.Errorf("failed to parse lockfile %s:%d:%d: %v", path, line, col, err)
	case err == nil:
		if _, ok := v.(map[string]any); !ok {
			return fmt.Errorf("failed to parse lockfile %q: the document is %s, not an object", path, jsonKind(v))
		}
		err = cause
	}
	return fmt.Errorf("failed to parse lockfile %q: %v", path, err)
}

func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float64, json.Number:
		return "a number"
	case map[string]any:
		return "an object"
	}
	return "null"
}

// lineCol turns encoding/json's offset (bytes read, the bad byte included)
// into a 1-based line and column counted in characters.
func lineCol(data []byte, off int) (int, int) {
	if off > len(data) {
		off = len(data)
	}
	if off > 0 {
		off-- // the offending byte
	}
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	if i := bytes.LastIndexByte(before, '\n'); i >= 0 {
		before = before[i+1:]
	}
	return line, utf8.RuneCount(before) + 1
}

func (l *Lockfile) fromDoc(doc map[string]any, path string) error {
	lv, hasLV := doc["lockfileVersion"]
	n, isNum := lv.(json.Number)
	ver := 0
	if isNum {
		f, err := n.Float64()
		if isNum = err == nil && f == math.Trunc(f) && math.Abs(f) < 1e9; isNum {
			ver = int(f)
		}
	}
	_, hasPkgs := doc["packages"]
	switch {
	case !hasLV && !hasPkgs, isNum && ver == 1:
		return fmt.Errorf("failed to read lockfile %q: %w; upgrade it with `npm install` using npm 7 or newer, or run `lockstep install` to write a new lockfile", path, ErrVersion1)
	case !isNum || ver < 2:
		return fmt.Errorf("failed to read lockfile %q: invalid lockfileVersion %s", path, rawString(lv))
	case ver > 3:
		return fmt.Errorf("failed to read lockfile %q: lockfileVersion %d is newer than this tool supports (2 and 3); regenerate it with npm 7 to 11", path, ver)
	case !hasPkgs:
		return fmt.Errorf("failed to read lockfile %q: it has no \"packages\" section; regenerate it with `npm install`", path)
	}
	l.Packages = map[string]*Package{}
	for k, v := range doc {
		switch k {
		case "lockfileVersion":
			// JSON.stringify writes any integral number as an integer.
			l.LockfileVersion = ver
			continue
		case "packages":
			pkgs, ok := v.(map[string]any)
			if !ok {
				return fmt.Errorf("failed to read lockfile %q: \"packages\" is %s, not an object", path, jsonKind(v))
			}
			for loc, e := range pkgs {
				m, ok := e.(map[string]any)
				if !ok {
					return fmt.Errorf("failed to read lockfile %q: packages entry %q is %s, not an object", path, loc, jsonKind(e))
				}
				l.Packages[loc] = packageFromMap(m)
			}
			continue
		}
		l.topField(k, v)
	}
	return nil
}

// topField sets a top-level field other than lockfileVersion and packages,
// or keeps it in Extra.
func (l *Lockfile) topField(k string, v any) {
	switch k {
	case "name":
		if s, ok := v.(string); ok && s != "" {
			l.Name = s
			return
		}
	case "version":
		if s, ok := v.(string); ok && s != "" {
			l.Version = s
			return
		}
	case "requires":
		if v == true {
			l.Requires = true
			return
		}
	case "dependencies":
		l.Dependencies = v
		return
	}
	if l.Extra == nil {
		l.Extra = map[string]any{}
	}
	l.Extra[k] = v
}

func rawString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func stringMap(v any) (map[string]string, bool) {
	if m, ok := v.(map[string]string); ok {
		return m, true
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	out := make(map[string]string, len(m))
	for k, x := range m {
		s, ok := x.(string)
		if !ok {
			return nil, false
		}
		out[k] = s
	}
	return out, true
}

func stringSlice(v any) ([]string, bool) {
	if a, ok := v.([]string); ok {
		return a, true
	}
	a, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, len(a))
	for i, x := range a {
		s, ok := x.(string)
		if !ok {
			return nil, false
		}
		out[i] = s
	}
	return out, true
}

func peerMetaMap(v any) (map[string]PeerMeta, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	out := make(map[string]PeerMeta, len(m))
	for k, x := range m {
		pm, ok := x.(map[string]any)
		if !ok {
			return nil, false
		}
		switch {
		case len(pm) == 0:
			out[k] = PeerMeta{}
		case len(pm) == 1 && pm["optional"] == true:
			out[k] = PeerMeta{Optional: true}
		default:
			return nil, false
		}
	}
	return out, true
}

// packageFromMap fills a Package from a decoded entry. Every key either
// lands in a typed field that writes it back identically, or in Extra.
func packageFromMap(m map[string]any) *Package {
	p := &Package{}
	for k, v := range m {
		if !p.setField(k, v) {
			if p.Extra == nil {
				p.Extra = map[string]any{}
			}
			p.Extra[k] = v
		}
	}
	return p
}

// setString sets the string field named k (one of name, version,
// resolved, integrity, license, deprecated) to the non-empty s.
func (p *Package) setString(k, s string) {
	switch k {
	case "name":
		p.Name = s
	case "version":
		p.Version = s
	case "resolved":
		p.Resolved = s
	case "integrity":
		p.Integrity = s
	case "license":
		p.License = s
	case "deprecated":
		p.Deprecated = s
	default:
		panic("lockfile: setString of " + k)
	}
}

func (p *Package) setField(k string, v any) bool {
	str := func(dst *string) bool {
		s, ok := v.(string)
		if ok && s != "" {
			*dst = s
			return true
		}
		return false
	}
	flag := func(dst *bool) bool {
		if v == true {
			*dst = true
			return true
		}
		return false
	}
	smap := func(dst *map[string]string) bool {
		m, ok := stringMap(v)
		if ok {
			*dst = m
		}
		return ok
	}
	slice := func(dst *[]string) bool {
		s, ok := stringSlice(v)
		if ok {
			*dst = s
		}
		return ok
	}
	switch k {
	case "name":
		return str(&p.Name)
	case "version":
		return str(&p.Version)
	case "resolved":
		return str(&p.Resolved)
	case "integrity":
		return str(&p.Integrity)
	case "license":
		return str(&p.License)
	case "deprecated":
		return str(&p.Deprecated)
	case "link":
		return flag(&p.Link)
	case "dev":
		return flag(&p.Dev)
	case "optional":
		return flag(&p.Optional)
	case "devOptional":
		return flag(&p.DevOptional)
	case "peer":
		return flag(&p.Peer)
	case "extraneous":
		return flag(&p.Extraneous)
	case "inBundle":
		return flag(&p.InBundle)
	case "hasInstallScript":
		return flag(&p.HasInstallScript)
	case "hasShrinkwrap":
		return flag(&p.HasShrinkwrap)
	case "dependencies":
		return smap(&p.Dependencies)
	case "devDependencies":
		return smap(&p.DevDependencies)
	case "optionalDependencies":
		return smap(&p.OptionalDependencies)
	case "peerDependencies":
		return smap(&p.PeerDependencies)
	case "acceptDependencies":
		return smap(&p.AcceptDependencies)
	case "bin":
		return smap(&p.Bin)
	case "engines":
		return smap(&p.Engines)
	case "peerDependenciesMeta":
		m, ok := peerMetaMap(v)
		if ok {
			p.PeerDependenciesMeta = m
		}
		return ok
	case "os":
		return slice(&p.OS)
	case "cpu":
		return slice(&p.CPU)
	case "libc":
		return slice(&p.Libc)
	case "bundleDependencies":
		return slice(&p.BundleDependencies)
	case "funding":
		p.Funding = v
		return true
	case "workspaces":
		p.Workspaces = v
		return true
	}
	return false
}

// toMap renders the entry as the generic object Marshal writes. Typed fields
// win over Extra entries of the same key.
func (p *Package) toMap() map[string]any {
	m := make(map[string]any, 12+len(p.Extra))
	for k, v := range p.Extra {
		m[k] = v
	}
	putS := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	putB := func(k string, v bool) {
		if v {
			m[k] = true
		}
	}
	putM := func(k string, v map[string]string) {
		if v != nil {
			m[k] = v
		}
	}
	putA := func(k string, v []string) {
		if v != nil {
			m[k] = v
		}
	}
	putS("name", p.Name)
	putS("version", p.Version)
	putS("resolved", p.Resolved)
	putS("integrity", p.Integrity)
	putS("license", p.License)
	putS("deprecated", p.Deprecated)
	putB("link", p.Link)
	putB("dev", p.Dev)
	putB("optional", p.Optional)
	putB("devOptional", p.DevOptional)
	putB("peer", p.Peer)
	putB("extraneous", p.Extraneous)
	putB("inBundle", p.InBundle)
	putB("hasInstallScript", p.HasInstallScript)
	putB("hasShrinkwrap", p.HasShrinkwrap)
	putM("dependencies", p.Dependencies)
	putM("devDependencies", p.DevDependencies)
	putM("optionalDependencies", p.OptionalDependencies)
	putM("peerDependencies", p.PeerDependencies)
	putM("acceptDependencies", p.AcceptDependencies)
	putM("bin", p.Bin)
	putM("engines", p.Engines)
	if p.PeerDependenciesMeta != nil {
		pm := make(map[string]any, len(p.PeerDependenciesMeta))
		for k, v := range p.PeerDependenciesMeta {
			if v.Optional {
				pm[k] = map[string]any{"optional": true}
			} else {
				pm[k] = map[string]any{}
			}
		}
		m["peerDependenciesMeta"] = pm
	}
	putA("os", p.OS)
	putA("cpu", p.CPU)
	putA("libc", p.Libc)
	putA("bundleDependencies", p.BundleDependencies)
	if p.Funding != nil {
		m["funding"] = p.Funding
	}
	if p.Workspaces != nil {
		m["workspaces"] = p.Workspaces
	}
	return m
}

// toMap renders the lockfile as the generic object stringify writes, which
// is what Marshal writes (tests compare the two).
func (l *Lockfile) toMap() map[string]any {
	m := make(map[string]any, 6+len(l.Extra))
	for k, v := range l.Extra {
		m[k] = v
	}
	if l.Name != "" {
		m["name"] = l.Name
	}
	if l.Version != "" {
		m["version"] = l.Version
	}
	if l.LockfileVersion != 0 {
		m["lockfileVersion"] = l.LockfileVersion
	}
	if l.Requires {
		m["requires"] = true
	}
	if l.Packages != nil {
		pk := make(map[string]any, len(l.Packages))
		for k, p := range l.Packages {
			if p == nil {
				p = &Package{}
			}
			pk[k] = p.toMap()
		}
		m["packages"] = pk
	}
	if l.Dependencies != nil {
		m["dependencies"] = l.Dependencies
	}
	return m
}

// Clone returns a deep copy of the entry's typed fields (Extra, Funding and
// Workspaces values are shared; treat them as read-only).
func (p *Package) Clone() *Package {
	c := *p
	c.Dependencies = cloneMap(p.Dependencies)
	c.DevDependencies = cloneMap(p.DevDependencies)
	c.OptionalDependencies = cloneMap(p.OptionalDependencies)
	c.PeerDependencies = cloneMap(p.PeerDependencies)
	c.AcceptDependencies = cloneMap(p.AcceptDependencies)
	c.Bin = cloneMap(p.Bin)
	c.Engines = cloneMap(p.Engines)
	if p.PeerDependenciesMeta != nil {
		c.PeerDependenciesMeta = make(map[string]PeerMeta, len(p.PeerDependenciesMeta))
		for k, v := range p.PeerDependenciesMeta {
			c.PeerDependenciesMeta[k] = v
		}
	}
	c.OS = cloneSlice(p.OS)
	c.CPU = cloneSlice(p.CPU)
	c.Libc = cloneSlice(p.Libc)
	c.BundleDependencies = cloneSlice(p.BundleDependencies)
	if p.Extra != nil {
		c.Extra = make(map[string]any, len(p.Extra))
		for k, v := range p.Extra {
			c.Extra[k] = v
		}
	}
	return &c
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func cloneSlice(s []string) []string {
	if s == nil {
		return nil
	}
	return append(make([]string, 0, len(s)), s...)
}

// Root returns the root entry (key ""), or nil.
func (l *Lockfile) Root() *Package { return l.Packages[""] }
