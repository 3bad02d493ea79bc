// Package pnpm reads pnpm-lock.yaml, lockfile versions 6 to 9, into a
// diff.Lockfile.
//
// Version 9 splits a package into `packages` (metadata: resolution,
// deprecated, requiresBuild) and `snapshots` (one per peer context, with
// dependencies); version 6 has both in `packages`, keyed with a leading
// "/". Keys carry peer suffixes ("react-dom@18.3.1(react@18.3.1)"), which
// are stripped for the name and version. Direct dependencies are those of
// `importers` (the root "." and workspaces) or, in a v6 lockfile of a
// single project, of the top-level dependencies maps.
//
// YAML is decoded into a node tree that is walked by hand, so an entry of
// the wrong shape is skipped with a warning that names its line:col while
// the rest is read. The tree comes from fastParse, a reader of the YAML
// subset pnpm writes, and from go.yaml.in/yaml/v3 for any document outside
// it (which also reports a YAML syntax error at its line); both give the
// same tree for what the subset covers (tested on every fixture).
//
// Registry packages record only an integrity (Resolved is empty); tarball,
// git and directory resolutions set Resolved or Local.
package pnpm

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/lockstep-dev/lockstep/diff"
	yaml "go.yaml.in/yaml/v3"
)

var lineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Parse reads a pnpm-lock.yaml document; path names the file in errors.
func Parse(data []byte, path string) (*diff.Lockfile, error) {
	doc, err := decode(data)
	if err != nil {
		msg := err.Error()
		if m := lineRE.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			return nil, diff.Errorf(path, line, 0, "%s", m[2]) // YAML errors carry no column
		}
		return nil, diff.Errorf(path, 0, 0, "%s", strings.TrimPrefix(msg, "yaml: "))
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, diff.Errorf(path, 1, 1, "the document is not a YAML mapping")
	}
	root := doc.Content[0]
	verNode := get(root, "lockfileVersion")
	if verNode == nil || verNode.Kind != yaml.ScalarNode {
		return nil, diff.Errorf(path, 1, 1, "no lockfileVersion: not a pnpm-lock.yaml")
	}
	ver := verNode.Value
	major, err := strconv.Atoi(strings.SplitN(ver, ".", 2)[0])
	if err != nil || major < 6 || major > 9 {
		return nil, diff.Errorf(path, verNode.Line, verNode.Column, "unsupported lockfileVersion %q (expected 6.0 to 9.0)", ver)
	}
	out := &diff.Lockfile{Format: "pnpm-v" + strconv.Itoa(major)}
	warn := func(n *yaml.Node, format string, args ...any) {
		out.Warnf("%s:%d:%d: %s", path, n.Line, n.Column, sprintf(format, args...))
	}

	// direct dependencies
	addImporter := func(imp *yaml.Node) {
		for _, sec := range []struct {
			key string
			t   diff.DepType
		}{{"dependencies", diff.Prod}, {"optionalDependencies", diff.Optional}, {"devDependencies", diff.Dev}, {"peerDependencies", diff.Peer}} {
			m := get(imp, sec.key)
			if m == nil {
				continue
			}
			if m.Kind != yaml.MappingNode {
				warn(m, "skipped %s: not a mapping", sec.key)
				continue
			}
			for i := 0; i+1 < len(m.Content); i += 2 {
				name, v := m.Content[i].Value, m.Content[i+1]
				ver := v.Value
				if v.Kind == yaml.MappingNode {
					ver = str(get(v, "version"))
				}
				if strings.HasPrefix(ver, "link:") || strings.HasPrefix(ver, "workspace:") {
					continue
				}
				out.AddDirect(depName(name, ver), sec.t)
			}
		}
	}
	if imps := get(root, "importers"); imps != nil && imps.Kind == yaml.MappingNode {
		for i := 1; i < len(imps.Content); i += 2 {
			addImporter(imps.Content[i])
		}
	} else {
		addImporter(root)
	}

	pkgs := get(root, "packages")
	meta := map[string]*yaml.Node{}
	if pkgs != nil {
		if pkgs.Kind != yaml.MappingNode {
			return nil, diff.Errorf(path, pkgs.Line, pkgs.Column, "\"packages\" is not a mapping")
		}
		for i := 0; i+1 < len(pkgs.Content); i += 2 {
			meta[stripPeers(strings.TrimPrefix(pkgs.Content[i].Value, "/"))] = pkgs.Content[i+1]
		}
	}
	// v9: one package per snapshot; v6: per packages entry
	list := pkgs
	if s := get(root, "snapshots"); s != nil && s.Kind == yaml.MappingNode {
		list = s
	}
	if list == nil {
		return out, nil
	}
	out.Packages = make([]diff.Package, 0, len(list.Content)/2)
	for i := 0; i+1 < len(list.Content); i += 2 {
		kn, e := list.Content[i], list.Content[i+1]
		key := strings.TrimPrefix(kn.Value, "/")
		if e.Kind != yaml.MappingNode {
			warn(kn, "skipped entry %q: not a mapping", kn.Value)
			continue
		}
		m := meta[stripPeers(key)]
		if m == nil || m.Kind != yaml.MappingNode {
			m = e
		}
		name, version := splitKey(stripPeers(key))
		if n := str(get(m, "name")); n != "" {
			name = n
		}
		if v := str(get(m, "version")); v != "" {
			version = v
		}
		if name == "" || version == "" {
			warn(kn, "skipped entry %q: no name and version", kn.Value)
			continue
		}
		p := diff.Package{Name: name, Version: version, Path: kn.Value,
			Dev:           str(get(e, "dev")) == "true" || str(get(m, "dev")) == "true",
			Optional:      str(get(e, "optional")) == "true" || str(get(m, "optional")) == "true",
			Deprecated:    str(get(m, "deprecated")),
			InstallScript: str(get(m, "requiresBuild")) == "true",
		}
		if res := get(m, "resolution"); res != nil && res.Kind == yaml.MappingNode {
			p.Integrity = str(get(res, "integrity"))
			switch {
			case str(get(res, "type")) == "git":
				p.Resolved = "git+" + str(get(res, "repo")) + "#" + str(get(res, "commit"))
			case str(get(res, "type")) == "directory":
				p.Local = true
			case str(get(res, "tarball")) != "":
				p.Resolved = str(get(res, "tarball"))
				if strings.HasPrefix(p.Resolved, "file:") {
					p.Local = true
				}
			}
		}
		for _, sec := range []string{"dependencies", "optionalDependencies"} {
			d := get(e, sec)
			if d == nil || d.Kind != yaml.MappingNode {
				continue
			}
			for j := 0; j+1 < len(d.Content); j += 2 {
				p.Dependencies = append(p.Dependencies, depName(d.Content[j].Value, d.Content[j+1].Value))
			}
		}
		if len(p.Dependencies) > 1 {
			sort.Strings(p.Dependencies)
		}
		out.Packages = append(out.Packages, p)
	}
	return out, nil
}

func sprintf(format string, args ...any) string {
	if len(args) == 0 {
		return format
	}
	return strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(fmt.Sprintf(format, args...), "\n", " "), "\r", " "))
}

// decode returns the document's node tree: by fastParse when the document
// stays within what pnpm writes, else by the general YAML decoder.
func decode(data []byte) (*yaml.Node, error) {
	if doc, ok := fastParse(data); ok {
		return doc, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	return &doc, nil
}

// get returns the value of key in a mapping node, or nil.
func get(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func str(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// stripPeers removes a peer suffix: "a@1.0.0(b@2.0.0)" → "a@1.0.0"; v6 also
// writes "a@1.0.0_b@2.0.0" in older 6.x.
func stripPeers(key string) string {
	if i := strings.IndexByte(key, '('); i > 0 {
		key = key[:i]
	}
	return key
}

// splitKey splits "name@version" ("@s/n@1.0.0" → "@s/n", "1.0.0").
func splitKey(key string) (string, string) {
	i := strings.LastIndexByte(key, '@')
	if i <= 0 {
		return key, ""
	}
	return key[:i], key[i+1:]
}

// depName returns the real name behind a dependency: an alias's value is
// "real-name@version" (v6: "/real-name@version").
func depName(name, ref string) string {
	ref = stripPeers(strings.TrimPrefix(ref, "/"))
	if i := strings.LastIndexByte(ref, '@'); i > 0 && !strings.Contains(ref[:i], ":") {
		return ref[:i]
	}
	return name
}
