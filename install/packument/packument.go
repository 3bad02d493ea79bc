package packument

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/bytedance/sonic"

	"github.com/lockstep-dev/lockstep/install/semver"
	"github.com/lockstep-dev/lockstep/internal/nodetext"
)

// Packument is the part of a registry document that resolution needs.
type Packument struct {
	Name     string
	DistTags map[string]string
	// Versions in the document's order; nil for a packument made by
	// SetSource (the manifest cache's), whose versions All lists.
	Versions []*Version
	// HasTime reports whether the document had a "time" object (full
	// documents do; abbreviated ones do not). npm-pick-manifest ignores
	// "before" without it.
	HasTime bool
	// Modified is time.modified, or the abbreviated document's "modified".
	Modified time.Time
	// Created is time.created.
	Created time.Time

	index map[string]*Version
	table *Table // the versions' shared table, when they have one
	lazy  *lazy  // set by SetSource

	parseOnce sync.Once
	parsed    []semver.Version // versions parsed loosely (semvers)
	parsedOK  []bool           // whether each parsed
}

// semvers returns the versions parsed loosely, in one allocation,
// computed once; ok[i] is false where version i does not parse.
func (p *Packument) semvers() (parsed []semver.Version, ok []bool) {
	p.parseOnce.Do(func() {
		n := p.Len()
		p.parsed = make([]semver.Version, n)
		p.parsedOK = make([]bool, n)
		for i := range n {
			p.parsed[i], p.parsedOK[i] = semver.ParseValue(p.summary(i).Version, true)
		}
	})
	return p.parsed, p.parsedOK
}

// summary returns version i's summary without materializing the version.
func (p *Packument) summary(i int) Summary {
	if l := p.lazy; l != nil {
		if v := l.slots[i].Load(); v != nil {
			return v.Summary
		}
		s, _ := l.src.At(i)
		return s
	}
	return p.Versions[i].Summary
}

// version returns version i.
func (p *Packument) version(i int) *Version {
	if p.lazy != nil {
		return p.at(i)
	}
	return p.Versions[i]
}

// Version is one version of a package: what version picking reads, and
// the fields its manifest is decoded from on first use (most versions of a
// document are never picked, so most are never decoded).
type Version struct {
	Summary

	once sync.Once
	m    *Manifest
	tab  *Table // with sec, the fields (Decode and the cache make these)
	sec  []byte
	name string // the packument's name, for versions without one
}

// Summary is what npm-pick-manifest reads of a version.
type Summary struct {
	Version string // the key in "versions"
	// Deprecated is the deprecation message; "" when not deprecated.
	Deprecated string
	// Published is time[version]; zero when unknown.
	Published time.Time
	// EngineNode and EngineNPM are engines.node and engines.npm ("" when
	// absent).
	EngineNode, EngineNPM string
}

// NewVersion returns a version with its manifest.
func NewVersion(s Summary, m *Manifest) *Version {
	v := &Version{Summary: s, m: m}
	v.once.Do(func() {})
	return v
}

// Manifest returns the version's manifest. Safe for concurrent use.
func (v *Version) Manifest() *Manifest {
	v.once.Do(func() {
		if v.m != nil {
			return
		}
		fields, err := v.Fields()
		if err != nil {
			v.m = &Manifest{Err: err}
			return
		}
		v.m = decodeFields(fields, v.name)
	})
	return v.m
}

// Fields returns the raw fields the manifest is decoded from; for a
// version made by NewVersion they are written from its manifest.
func (v *Version) Fields() ([]Field, error) {
	switch {
	case v.tab != nil:
		return decodeSection(v.sec, v.tab, v.name, v.Version)
	case v.m != nil:
		return fieldsOf(v.m), nil
	}
	return nil, nil
}

// Manifest is a version's manifest, slimmed to what resolution and the
// lockfile need. Empty maps and lists are nil.
type Manifest struct {
	Name string // the "name" field of the version, usually Packument.Name

	Dependencies         map[string]string
	OptionalDependencies map[string]string
	// DevDependencies are read only to resolve override references.
	DevDependencies      map[string]string
	PeerDependencies     map[string]string
	PeerDependenciesMeta map[string]PeerMeta
	AcceptDependencies   map[string]string
	// BundleDependencies is bundleDependencies (or the legacy
	// bundledDependencies); `true` is expanded to the dependency names, as
	// @npmcli/package-json's normalize does.
	BundleDependencies []string

	// Bin is normalized like npm-normalize-package-bin: a string bin becomes
	// {basename(name): path}, paths are cleaned ("./bin/x" → "bin/x"), keys
	// are base names, entries with empty keys or paths are dropped.
	Bin     map[string]string
	Engines map[string]string // string values only
	OS      []string
	CPU     []string
	Libc    []string
	// PlatformStrings marks os (bit 0), cpu (bit 1) and libc (bit 2)
	// given as a plain string rather than an array: the lockfile copies
	// the value verbatim ("libc": "glibc").
	PlatformStrings uint8

	Dist Dist
	// HasInstallScript is the abbreviated document's hasInstallScript, or
	// the presence of scripts.preinstall/install/postinstall in a full one
	// (arborist's Node.hasInstallScript).
	HasInstallScript bool
	// Gypfile is the gypfile field: 0 absent, 1 true, -1 false (the opt-out
	// from node-gyp's implicit install script).
	Gypfile int8
	// License is the license string, or the type of a license object.
	License string
	// Funding is the funding field as JSON text, unnormalized; "" when absent.
	Funding       string
	HasShrinkwrap bool
	// Workspaces is the workspaces field as JSON text ("" when absent or
	// falsy); the lockfile copies it.
	Workspaces string
	// EnginesRaw is the engines field as JSON text when it is truthy but not
	// an object of strings (old packages have arrays); "" otherwise. The
	// lockfile copies it verbatim.
	EnginesRaw string
	// LicenseRaw is the license as JSON text when it is an array or an
	// object without a type; PeerMetaRaw is peerDependenciesMeta as JSON text
	// when an entry is not exactly {"optional": true}. "" otherwise.
	LicenseRaw, PeerMetaRaw string
	// Err is set when a lazily decoded manifest could not be decoded (a
	// cache bug: cache entries are checksummed); the other fields are then
	// empty.
	Err error
}

// PeerMeta is one entry of peerDependenciesMeta.
type PeerMeta struct {
	Optional bool
}

// Dist is the version's dist object (only the fields installs use).
type Dist struct {
	Tarball   string
	Integrity string
	Shasum    string
}

// Version returns the version keyed v exactly, or nil.
func (p *Packument) Version(v string) *Version {
	if p.lazy != nil {
		if i := p.lazy.src.Find(v); i >= 0 {
			return p.at(i)
		}
		return nil
	}
	if p.index == nil {
		return nil
	}
	return p.index[v]
}

// Finish builds the version index; decoders outside this package (the
// manifest cache) call it after filling Versions.
func (p *Packument) Finish() {
	p.lazy = nil
	p.index = make(map[string]*Version, len(p.Versions))
	p.table = nil
	for i, v := range p.Versions {
		p.index[v.Version] = v
		if i == 0 || v.tab == p.table {
			p.table = v.tab
		} else {
			p.table = nil
		}
	}
}

// ErrNotPackument marks a document that is not a packument.
var ErrNotPackument = errors.New("not a packument")

// rawVersion is the fast path: typed fields where real documents are
// regular. Any type mismatch sends the version down the lenient path.
type rawVersion struct {
	Name                 string                            `json:"name"`
	Dependencies         map[string]string                 `json:"dependencies"`
	OptionalDependencies map[string]string                 `json:"optionalDependencies"`
	DevDependencies      map[string]string                 `json:"devDependencies"`
	PeerDependencies     map[string]string                 `json:"peerDependencies"`
	PeerDependenciesMeta sonic.NoCopyRawMessage            `json:"peerDependenciesMeta"`
	AcceptDependencies   map[string]string                 `json:"acceptDependencies"`
	BundleDependencies   any                               `json:"bundleDependencies"`
	BundledDependencies  any                               `json:"bundledDependencies"`
	Bin                  any                               `json:"bin"`
	Engines              any                               `json:"engines"`
	OS                   any                               `json:"os"`
	CPU                  any                               `json:"cpu"`
	Libc                 any                               `json:"libc"`
	Dist                 rawDist                           `json:"dist"`
	Deprecated           any                               `json:"deprecated"`
	HasInstallScript     any                               `json:"hasInstallScript"`
	Scripts              map[string]sonic.NoCopyRawMessage `json:"scripts"`
	Gypfile              any                               `json:"gypfile"`
	License              any                               `json:"license"`
	Funding              sonic.NoCopyRawMessage            `json:"funding"`
	HasShrinkwrap        any                               `json:"_hasShrinkwrap"`
	Workspaces           any                               `json:"workspaces"`
}

type rawPeerMeta struct {
	Optional any `json:"optional"`
}

type rawDist struct {
	Tarball   string `json:"tarball"`
	Integrity string `json:"integrity"`
	Shasum    string `json:"shasum"`
}

// Decode parses a full or abbreviated packument.
func Decode(data []byte) (*Packument, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("failed to decode packument: %w: empty document", ErrNotPackument)
	}
	// The input is viewed as a string without copying: every string kept
	// is cloned, so nothing aliases data afterwards.
	doc := unsafe.String(&data[0], len(data))
	p, in, err := scanDoc(doc)
	if err == errNotJSON {
		var x any
		err := sonic.UnmarshalString(doc, &x)
		if err == nil {
			err = errors.New("invalid JSON")
		}
		return nil, fmt.Errorf("failed to decode packument: %w: %v", ErrNotPackument, shortErr(err))
	}
	if err == nil && in.invalid {
		// npm reads the body as UTF-8 text before JSON.parse sees it:
		// stray bytes in what is kept become U+FFFD.
		data = nodetext.Decode(data)
		p, _, err = scanDoc(unsafe.String(&data[0], len(data)))
	}
	return p, err
}

func distTags(tags map[string]any, in *interner) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	out := make(map[string]string, len(tags))
	for k, v := range tags {
		if s, ok := v.(string); ok {
			out[in.s(k)] = in.s(s)
		}
	}
	return out
}

// parseRawTime reads a raw JSON string holding an RFC 3339 time; anything
// else is the zero time.
func parseRawTime(raw string) time.Time {
	s, ok := plainString(raw)
	if !ok || s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

func shortErr(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// interner copies strings out of the input buffer once per document. It
// notes whether any string it kept is not valid UTF-8 (Decode then starts
// over on the text as Node would decode it; checking only what is kept
// costs far less than checking the whole document).
type interner struct {
	m       map[string]string
	invalid bool
}

func newInterner() *interner { return &interner{m: map[string]string{}} }

// A nil interner copies nothing: callers that own the input pass nil.
func (in *interner) s(x string) string {
	if x == "" {
		return ""
	}
	if in == nil {
		return x
	}
	if y, ok := in.m[x]; ok {
		return y
	}
	y := in.clone(x)
	in.m[y] = y
	return y
}

// clone copies x without interning it (for values no other shares).
func (in *interner) clone(x string) string {
	if !in.invalid && !utf8.ValidString(x) {
		in.invalid = true
	}
	return strings.Clone(x)
}

func (in *interner) strMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[in.s(k)] = in.s(v)
	}
	return out
}

// anyStrMap keeps the string values of an object.
func (in *interner) anyStrMap(v any) map[string]string {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, x := range m {
		if s, ok := x.(string); ok {
			out[in.s(k)] = in.s(s)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// strList reads an array of strings or a single string (os/cpu/libc).
func (in *interner) strList(v any) []string {
	switch x := v.(type) {
	case string:
		if x == "" {
			return nil
		}
		return []string{in.s(x)}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, in.s(s))
			}
		}
		return out
	}
	return nil
}

// platformStrings is Manifest.PlatformStrings of raw os, cpu and libc.
func platformStrings(vals ...any) uint8 {
	var bits uint8
	for i, v := range vals {
		if s, ok := v.(string); ok && s != "" {
			bits |= 1 << i
		}
	}
	return bits
}

func decodeVersion(raw string, in *interner) (*Manifest, string) {
	var r rawVersion
	if err := sonic.UnmarshalString(raw, &r); err != nil {
		return decodeVersionLenient(raw, in)
	}
	return fromRaw(&r, in)
}

// fromRaw builds the manifest of a version decoded into r.
func fromRaw(r *rawVersion, in *interner) (*Manifest, string) {
	v := &Manifest{
		Name:                 in.s(r.Name),
		Dependencies:         in.strMap(r.Dependencies),
		OptionalDependencies: in.strMap(r.OptionalDependencies),
		DevDependencies:      in.strMap(r.DevDependencies),
		PeerDependencies:     in.strMap(r.PeerDependencies),
		AcceptDependencies:   in.strMap(r.AcceptDependencies),
		Bin:                  binMap(r.Bin, in),
		Engines:              in.anyStrMap(r.Engines),
		OS:                   in.strList(r.OS),
		CPU:                  in.strList(r.CPU),
		Libc:                 in.strList(r.Libc),
		Dist: Dist{
			Tarball:   in.s(r.Dist.Tarball),
			Integrity: in.s(r.Dist.Integrity),
			Shasum:    in.s(r.Dist.Shasum),
		},
		Gypfile:         gypfile(r.Gypfile),
		License:         license(r.License, in),
		HasShrinkwrap:   truthy(r.HasShrinkwrap),
		PlatformStrings: platformStrings(r.OS, r.CPU, r.Libc),
	}
	if len(r.PeerDependenciesMeta) > 0 {
		pm, ok := simpleAny(string(r.PeerDependenciesMeta))
		if ok || sonic.UnmarshalString(string(r.PeerDependenciesMeta), &pm) == nil {
			v.PeerDependenciesMeta, v.PeerMetaRaw = peerMeta(pm, in)
		}
	}
	v.BundleDependencies = bundle(r.BundleDependencies, r.BundledDependencies, v.Dependencies, in)
	v.HasInstallScript = truthy(r.HasInstallScript) ||
		rawTruthy(r.Scripts["preinstall"]) || rawTruthy(r.Scripts["install"]) || rawTruthy(r.Scripts["postinstall"])
	if f := funding(r.Funding); f != "" {
		v.Funding = in.s(f)
	}
	v.Workspaces, v.EnginesRaw = rawExtras(r.Workspaces, r.Engines, in)
	v.LicenseRaw = licenseRaw(r.License, in)
	return v, deprecated(r.Deprecated, in)
}

// decodeVersionLenient decodes a version whose fields have unexpected types.
func decodeVersionLenient(raw string, in *interner) (*Manifest, string) {
	var m map[string]any
	if err := sonic.UnmarshalString(raw, &m); err != nil || m == nil {
		return &Manifest{}, ""
	}
	v := &Manifest{
		Dependencies:         in.anyStrMap(m["dependencies"]),
		OptionalDependencies: in.anyStrMap(m["optionalDependencies"]),
		DevDependencies:      in.anyStrMap(m["devDependencies"]),
		PeerDependencies:     in.anyStrMap(m["peerDependencies"]),
		AcceptDependencies:   in.anyStrMap(m["acceptDependencies"]),
		Bin:                  binMap(m["bin"], in),
		Engines:              in.anyStrMap(m["engines"]),
		OS:                   in.strList(m["os"]),
		CPU:                  in.strList(m["cpu"]),
		Libc:                 in.strList(m["libc"]),
		Gypfile:              gypfile(m["gypfile"]),
		License:              license(m["license"], in),
		HasShrinkwrap:        truthy(m["_hasShrinkwrap"]),
		PlatformStrings:      platformStrings(m["os"], m["cpu"], m["libc"]),
	}
	if s, ok := m["name"].(string); ok {
		v.Name = in.s(s)
	}
	if d, ok := m["dist"].(map[string]any); ok {
		str := func(k string) string { s, _ := d[k].(string); return in.s(s) }
		v.Dist = Dist{Tarball: str("tarball"), Integrity: str("integrity"), Shasum: str("shasum")}
	}
	v.PeerDependenciesMeta, v.PeerMetaRaw = peerMeta(m["peerDependenciesMeta"], in)
	v.BundleDependencies = bundle(m["bundleDependencies"], m["bundledDependencies"], v.Dependencies, in)
	v.HasInstallScript = truthy(m["hasInstallScript"])
	if s, ok := m["scripts"].(map[string]any); ok {
		v.HasInstallScript = v.HasInstallScript || truthy(s["preinstall"]) || truthy(s["install"]) || truthy(s["postinstall"])
	}
	if f, ok := m["funding"]; ok && truthy(f) {
		if b, err := sonic.ConfigStd.Marshal(f); err == nil {
			v.Funding = funding(b)
		}
	}
	v.Workspaces, v.EnginesRaw = rawExtras(m["workspaces"], m["engines"], in)
	v.LicenseRaw = licenseRaw(m["license"], in)
	return v, deprecated(m["deprecated"], in)
}

// peerMeta reads peerDependenciesMeta; raw is its JSON text when an
// entry is anything but {"optional": true} or {} (the lockfile copies the
// object verbatim, so {"optional": false} must survive).
func peerMeta(v any, in *interner) (map[string]PeerMeta, string) {
	pm, ok := v.(map[string]any)
	if !ok || len(pm) == 0 {
		return nil, ""
	}
	out := make(map[string]PeerMeta, len(pm))
	exact := true
	for k, x := range pm {
		o, _ := x.(map[string]any)
		out[in.s(k)] = PeerMeta{Optional: truthy(o["optional"])}
		if o == nil || len(o) > 1 || len(o) == 1 && o["optional"] != true {
			exact = false
		}
	}
	if exact {
		return out, ""
	}
	b, err := sonic.ConfigStd.Marshal(pm)
	if err != nil {
		return out, ""
	}
	return out, in.s(string(b))
}

// licenseRaw is the license as JSON text when the lockfile would copy
// something License cannot hold: an array, or an object without a string
// type (arborist keeps truthy non-empty values as they are).
func licenseRaw(v any, in *interner) string {
	switch x := v.(type) {
	case []any:
		if len(x) == 0 {
			return ""
		}
	case map[string]any:
		if _, ok := x["type"].(string); ok || len(x) == 0 {
			return ""
		}
	case bool:
		if !x {
			return ""
		}
	case float64:
		if x == 0 {
			return ""
		}
	default:
		return ""
	}
	b, err := sonic.ConfigStd.Marshal(v)
	if err != nil {
		return ""
	}
	return in.s(string(b))
}

// rawExtras keeps, as JSON text, the fields the lockfile copies verbatim
// that typed fields cannot hold: a truthy workspaces (skipping empty
// objects, like arborist's metaFieldFromPkg), and engines when it is not
// an object of strings.
func rawExtras(workspaces, engines any, in *interner) (string, string) {
	var ws, eng string
	keep := func(v any) bool {
		if !truthy(v) {
			return false
		}
		if o, ok := v.(map[string]any); ok && len(o) == 0 {
			return false
		}
		return true
	}
	if keep(workspaces) {
		if b, err := sonic.ConfigStd.Marshal(workspaces); err == nil {
			ws = in.s(string(b))
		}
	}
	if keep(engines) {
		allStr := false
		if o, ok := engines.(map[string]any); ok {
			allStr = true
			for _, x := range o {
				if _, ok := x.(string); !ok {
					allStr = false
				}
			}
		}
		if !allStr {
			if b, err := sonic.ConfigStd.Marshal(engines); err == nil {
				eng = in.s(string(b))
			}
		}
	}
	return ws, eng
}

// truthy is JavaScript truthiness of a decoded JSON value.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case float64:
		return x != 0 && x == x
	}
	return true // objects and arrays
}

// rawTruthy is truthiness of undecoded JSON text.
func rawTruthy(b sonic.NoCopyRawMessage) bool {
	if len(b) > 0 && (b[0] == '-' || b[0] >= '0' && b[0] <= '9') {
		f, err := strconv.ParseFloat(string(b), 64)
		return err != nil || f != 0
	}
	switch s := string(b); s {
	case "", "null", "false", `""`, "0", "-0":
		return false
	default:
		return true
	}
}

func deprecated(v any, in *interner) string {
	switch x := v.(type) {
	case string:
		return in.s(x)
	case nil:
		return ""
	}
	if truthy(v) {
		return "true"
	}
	return ""
}

func gypfile(v any) int8 {
	b, ok := v.(bool)
	switch {
	case !ok:
		return 0
	case b:
		return 1
	default:
		return -1
	}
}

func license(v any, in *interner) string {
	switch x := v.(type) {
	case string:
		return in.s(x)
	case map[string]any:
		if t, ok := x["type"].(string); ok {
			return in.s(t)
		}
	}
	return ""
}

// funding returns the funding JSON text when it is truthy.
func funding(b sonic.NoCopyRawMessage) string {
	if !rawTruthy(b) {
		return ""
	}
	s := strings.TrimSpace(string(b))
	if s == "{}" || s == "[]" {
		return ""
	}
	return s
}

func bundle(a, b any, deps map[string]string, in *interner) []string {
	v := a
	if v == nil {
		v = b
	}
	switch x := v.(type) {
	case bool:
		if !x || len(deps) == 0 {
			return nil
		}
		out := make([]string, 0, len(deps))
		for k := range deps {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	case []any:
		return in.strList(x)
	}
	return nil
}

// binMap reads bin before normalization: a string, an array or an object.
// String bins are keyed by stringBin and named in normalizeBin.
func binMap(v any, in *interner) map[string]string {
	switch x := v.(type) {
	case string:
		if x == "" {
			return nil
		}
		return map[string]string{stringBin: in.s(x)}
	case []any:
		out := map[string]string{}
		for _, e := range x {
			if s, ok := e.(string); ok {
				out[in.s(pathBase(s))] = in.s(s)
			}
		}
		return out
	case map[string]any:
		out := make(map[string]string, len(x))
		for k, e := range x {
			if s, ok := e.(string); ok {
				out[in.s(k)] = in.s(s)
			}
		}
		return out
	}
	return nil
}
