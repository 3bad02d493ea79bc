package packument

import (
	"unsafe"

	"github.com/bytedance/sonic"
)

// FieldKind names one field of a version that resolution or the lockfile
// reads. A registry document holds many more (readme, scripts, maintainers,
// signatures …); Decode keeps only these, as raw JSON, and a version's
// Manifest is decoded from them on first use.
type FieldKind uint8

// The kinds, in the order Fields lists them. Their numbers are stored in
// the manifest cache: append, never renumber.
const (
	FieldName FieldKind = iota + 1
	FieldDependencies
	FieldOptionalDependencies
	FieldPeerDependencies
	FieldPeerDependenciesMeta
	FieldAcceptDependencies
	FieldBundleDependencies
	FieldBundledDependencies
	FieldBin
	FieldEngines
	FieldOS
	FieldCPU
	FieldLibc
	FieldDistTarball
	FieldDistIntegrity
	FieldDistShasum
	FieldHasInstallScript // true when hasInstallScript or an install script is truthy
	FieldGypfile
	FieldLicense
	FieldFunding
	FieldHasShrinkwrap
	FieldWorkspaces
	// FieldDevDependencies is kept only for override references ("$name"),
	// which npm also looks up in a dependent's devDependencies.
	FieldDevDependencies
	fieldEnd
)

// fieldKeys are the JSON keys of the kinds (dist's are inside "dist").
var fieldKeys = [fieldEnd]string{
	FieldName:                 "name",
	FieldDependencies:         "dependencies",
	FieldOptionalDependencies: "optionalDependencies",
	FieldPeerDependencies:     "peerDependencies",
	FieldPeerDependenciesMeta: "peerDependenciesMeta",
	FieldAcceptDependencies:   "acceptDependencies",
	FieldBundleDependencies:   "bundleDependencies",
	FieldBundledDependencies:  "bundledDependencies",
	FieldBin:                  "bin",
	FieldEngines:              "engines",
	FieldOS:                   "os",
	FieldCPU:                  "cpu",
	FieldLibc:                 "libc",
	FieldDistTarball:          "tarball",
	FieldDistIntegrity:        "integrity",
	FieldDistShasum:           "shasum",
	FieldHasInstallScript:     "hasInstallScript",
	FieldGypfile:              "gypfile",
	FieldLicense:              "license",
	FieldFunding:              "funding",
	FieldHasShrinkwrap:        "_hasShrinkwrap",
	FieldWorkspaces:           "workspaces",
	FieldDevDependencies:      "devDependencies",
}

// Valid reports whether k is a known kind.
func (k FieldKind) Valid() bool { return k > 0 && k < fieldEnd }

// topKind returns the kind of a version's top-level key, or 0 for a key
// Decode drops; "dist", "scripts" and "deprecated" are handled apart. (A
// switch: it runs for every key of every version of every document.)
func topKind(key string) FieldKind {
	switch key {
	case "name":
		return FieldName
	case "dependencies":
		return FieldDependencies
	case "optionalDependencies":
		return FieldOptionalDependencies
	case "peerDependencies":
		return FieldPeerDependencies
	case "peerDependenciesMeta":
		return FieldPeerDependenciesMeta
	case "acceptDependencies":
		return FieldAcceptDependencies
	case "bundleDependencies":
		return FieldBundleDependencies
	case "bundledDependencies":
		return FieldBundledDependencies
	case "bin":
		return FieldBin
	case "engines":
		return FieldEngines
	case "os":
		return FieldOS
	case "cpu":
		return FieldCPU
	case "libc":
		return FieldLibc
	case "hasInstallScript":
		return FieldHasInstallScript
	case "gypfile":
		return FieldGypfile
	case "license":
		return FieldLicense
	case "funding":
		return FieldFunding
	case "_hasShrinkwrap":
		return FieldHasShrinkwrap
	case "workspaces":
		return FieldWorkspaces
	case "devDependencies":
		return FieldDevDependencies
	}
	return 0
}

// Field is one field of a version as raw JSON text.
type Field struct {
	Kind FieldKind
	Raw  string
}

// slimmer cuts versions down to their fields, written as sections over
// the document's table (see Table).
type slimmer struct {
	in      *interner
	b       *builder
	engines map[string][2]string // raw engines → node, npm
}

// engine reads engines.node and engines.npm of a raw engines value.
func (s *slimmer) engine(raw string) [2]string {
	if e, ok := s.engines[raw]; ok {
		return e
	}
	var v any
	var e [2]string
	if err := sonic.UnmarshalString(raw, &v); err == nil {
		m := s.in.anyStrMap(v)
		e = [2]string{m["node"], m["npm"]}
	}
	if s.engines == nil {
		s.engines = map[string][2]string{}
	}
	s.engines[s.in.s(raw)] = e
	return e
}

// deprecatedRaw is deprecated() of a raw value.
func deprecatedRaw(raw string, in *interner) string {
	if text, ok := plainString(raw); ok {
		return in.s(text)
	}
	var v any
	if err := sonic.UnmarshalString(raw, &v); err != nil {
		return ""
	}
	return deprecated(v, in)
}

// manifestJSON rebuilds the JSON object a version's fields came from.
func manifestJSON(fields []Field) []byte {
	n := 2
	for _, f := range fields {
		n += len(f.Raw) + len(fieldKeys[f.Kind]) + 4
	}
	b := make([]byte, 0, n+16)
	b = append(b, '{')
	first := true
	sep := func() {
		if !first {
			b = append(b, ',')
		}
		first = false
	}
	dist := false
	for _, f := range fields {
		switch f.Kind {
		case FieldDistTarball, FieldDistIntegrity, FieldDistShasum:
			dist = true
			continue
		}
		if !f.Kind.Valid() {
			continue
		}
		sep()
		b = append(b, '"')
		b = append(b, fieldKeys[f.Kind]...)
		b = append(b, `":`...)
		b = append(b, f.Raw...)
	}
	if dist {
		sep()
		b = append(b, `"dist":{`...)
		first = true
		for _, f := range fields {
			switch f.Kind {
			case FieldDistTarball, FieldDistIntegrity, FieldDistShasum:
				sep()
				b = append(b, '"')
				b = append(b, fieldKeys[f.Kind]...)
				b = append(b, `":`...)
				b = append(b, f.Raw...)
			}
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

// decodeFields decodes a manifest from a version's fields; name is the
// packument's name, used when the version has none.
func decodeFields(fields []Field, name string) *Manifest {
	var m *Manifest
	var r rawVersion
	if rawFromFields(fields, &r) {
		// The strings view the fields' table, which lives as long as the
		// packument.
		m, _ = fromRaw(&r, nil)
	} else {
		b := manifestJSON(fields)
		// The buffer is ours and lives as long as the manifest: strings
		// may alias it (a nil interner does not copy).
		m, _ = decodeVersion(unsafe.String(unsafe.SliceData(b), len(b)), nil)
	}
	if m.Name == "" {
		m.Name = name
	}
	if m.Bin != nil {
		m.Bin = normalizeBin(m.Bin, m.Name)
	}
	return m
}

// fieldsOf writes a decoded manifest back as fields (for versions made by
// NewVersion, which the manifest cache stores like any other).
func fieldsOf(m *Manifest) []Field {
	var out []Field
	js := func(v any) string {
		b, err := sonic.ConfigStd.Marshal(v)
		if err != nil {
			return "null"
		}
		return string(b)
	}
	add := func(k FieldKind, raw string) { out = append(out, Field{Kind: k, Raw: raw}) }
	if m.Name != "" {
		add(FieldName, js(m.Name))
	}
	for _, d := range []struct {
		k FieldKind
		m map[string]string
	}{{FieldDependencies, m.Dependencies}, {FieldOptionalDependencies, m.OptionalDependencies},
		{FieldDevDependencies, m.DevDependencies},
		{FieldPeerDependencies, m.PeerDependencies}, {FieldAcceptDependencies, m.AcceptDependencies},
		{FieldBin, m.Bin}} {
		if len(d.m) > 0 {
			add(d.k, js(d.m))
		}
	}
	switch {
	case m.PeerMetaRaw != "":
		add(FieldPeerDependenciesMeta, m.PeerMetaRaw)
	case len(m.PeerDependenciesMeta) > 0:
		pm := map[string]map[string]bool{}
		for k, v := range m.PeerDependenciesMeta {
			if v.Optional {
				pm[k] = map[string]bool{"optional": true}
			} else {
				pm[k] = map[string]bool{}
			}
		}
		add(FieldPeerDependenciesMeta, js(pm))
	}
	if len(m.BundleDependencies) > 0 {
		add(FieldBundleDependencies, js(m.BundleDependencies))
	}
	switch {
	case m.EnginesRaw != "":
		add(FieldEngines, m.EnginesRaw)
	case len(m.Engines) > 0:
		add(FieldEngines, js(m.Engines))
	}
	for _, l := range []struct {
		k FieldKind
		l []string
	}{{FieldOS, m.OS}, {FieldCPU, m.CPU}, {FieldLibc, m.Libc}} {
		switch {
		case len(l.l) == 1 && m.PlatformStrings&(1<<(l.k-FieldOS)) != 0:
			add(l.k, js(l.l[0]))
		case len(l.l) > 0:
			add(l.k, js(l.l))
		}
	}
	if m.Dist.Tarball != "" {
		add(FieldDistTarball, js(m.Dist.Tarball))
	}
	if m.Dist.Integrity != "" {
		add(FieldDistIntegrity, js(m.Dist.Integrity))
	}
	if m.Dist.Shasum != "" {
		add(FieldDistShasum, js(m.Dist.Shasum))
	}
	if m.HasInstallScript {
		add(FieldHasInstallScript, "true")
	}
	switch m.Gypfile {
	case 1:
		add(FieldGypfile, "true")
	case -1:
		add(FieldGypfile, "false")
	}
	switch {
	case m.LicenseRaw != "":
		add(FieldLicense, m.LicenseRaw)
	case m.License != "":
		add(FieldLicense, js(m.License))
	}
	if m.Funding != "" {
		add(FieldFunding, m.Funding)
	}
	if m.HasShrinkwrap {
		add(FieldHasShrinkwrap, "true")
	}
	if m.Workspaces != "" {
		add(FieldWorkspaces, m.Workspaces)
	}
	return out
}
