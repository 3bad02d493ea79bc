package testserver

import (
	"fmt"
	"time"
)

// doc is the cached set of documents served for one package name.
type doc struct {
	gen       uint64
	full      []byte
	etag      string
	corgi     []byte // nil unless abbreviated documents are on
	corgiEtag string
	vdocs     map[string][]byte // version → full version document
	tags      map[string]string // effective dist-tags
	modified  time.Time
}

// baseTime is the default publish time of a package's lowest version; each
// higher version is one hour later.
var baseTime = time.Date(2020, time.January, 1, 0, 0, 0, 0, time.UTC)

// corgiFields are the version fields kept in abbreviated documents
// (npm/registry docs/responses/package-metadata.md, plus what the registry
// adds in practice).
var corgiFields = []string{
	"name", "version", "dependencies", "optionalDependencies", "devDependencies",
	"bundleDependencies", "peerDependencies", "peerDependenciesMeta", "bin",
	"directories", "dist", "engines", "_hasShrinkwrap", "deprecated", "os", "cpu",
	"libc", "hasInstallScript",
}

// doc returns the documents for name, or nil if no version of name exists.
func (r *Registry) doc(name string) (*doc, error) {
	r.mu.Lock()
	if d := r.docs[name]; d != nil && d.gen == r.gen {
		r.mu.Unlock()
		return d, nil
	}
	vs := r.pkgs[name]
	if len(vs) == 0 {
		r.mu.Unlock()
		return nil, nil
	}
	entries := make(map[string]*entry, len(vs))
	for v, e := range vs {
		entries[v] = e
	}
	tags := map[string]string{}
	for k, v := range r.tags[name] {
		tags[k] = v
	}
	gen, base, corgi := r.gen, r.urlLocked(), r.corgi
	r.mu.Unlock()

	d, err := buildDoc(name, entries, tags, base, corgi)
	if err != nil {
		return nil, err
	}
	d.gen = gen
	r.mu.Lock()
	if r.gen == gen {
		r.docs[name] = d
	}
	r.mu.Unlock()
	return d, nil
}

func jsTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func buildDoc(name string, entries map[string]*entry, tags map[string]string, base string, withCorgi bool) (*doc, error) {
	versions := make([]string, 0, len(entries))
	for v := range entries {
		versions = append(versions, v)
	}
	sortVersions(versions)
	if _, ok := tags["latest"]; !ok {
		tags["latest"] = highest(versions)
	}

	full := map[string]any{}
	corgi := map[string]any{}
	times := map[string]any{}
	vdocs := map[string][]byte{}
	var created, modified time.Time
	for i, v := range versions {
		e := entries[v]
		p := &e.pkg
		tgz, err := e.tarball()
		if err != nil {
			return nil, err
		}
		dist := map[string]any{
			"tarball":   base + TarballPath(name, v)[1:],
			"integrity": SRI(tgz),
			"shasum":    SHA1Hex(tgz),
		}
		if e.fileCount >= 0 {
			dist["fileCount"] = e.fileCount
			dist["unpackedSize"] = e.unpacked
		}
		for k, val := range p.Dist {
			if val == nil {
				delete(dist, k)
			} else {
				dist[k] = val
			}
		}
		m := p.manifest()
		m["name"], m["version"] = name, v
		m["_id"] = name + "@" + v
		m["dist"] = dist
		_, shrink := p.Files["npm-shrinkwrap.json"]
		m["_hasShrinkwrap"] = shrink
		if p.Deprecated != "" {
			m["deprecated"] = p.Deprecated
		}
		full[v] = m
		vb, err := marshal(m, false)
		if err != nil {
			return nil, fmt.Errorf("failed to encode packument version %q: %w", name+"@"+v, err)
		}
		vdocs[v] = vb

		if withCorgi {
			c := map[string]any{}
			for _, k := range corgiFields {
				if val, ok := m[k]; ok {
					c[k] = val
				}
			}
			if p.hasInstallScript() {
				c["hasInstallScript"] = true
			}
			corgi[v] = c
		}

		t := p.Published
		if t.IsZero() {
			t = baseTime.Add(time.Duration(i) * time.Hour)
		}
		times[v] = jsTime(t)
		if created.IsZero() || t.Before(created) {
			created = t
		}
		if t.After(modified) {
			modified = t
		}
	}
	times["created"] = jsTime(created)
	times["modified"] = jsTime(modified)

	top := map[string]any{
		"_id":       name,
		"name":      name,
		"dist-tags": tags,
		"versions":  full,
		"time":      times,
	}
	if lm, ok := full[tags["latest"]].(map[string]any); ok {
		for _, k := range []string{"license", "description", "homepage", "repository", "keywords", "author", "bugs"} {
			if val, ok := lm[k]; ok {
				top[k] = val
			}
		}
	}
	d := &doc{vdocs: vdocs, tags: tags, modified: modified}
	var err error
	if d.full, err = marshal(top, false); err != nil {
		return nil, fmt.Errorf("failed to encode packument %q: %w", name, err)
	}
	d.etag = quoteETag(d.full)
	if withCorgi {
		ab := map[string]any{
			"name":      name,
			"modified":  jsTime(modified),
			"dist-tags": tags,
			"versions":  corgi,
		}
		if d.corgi, err = marshal(ab, false); err != nil {
			return nil, fmt.Errorf("failed to encode abbreviated packument %q: %w", name, err)
		}
		d.corgiEtag = quoteETag(d.corgi)
	}
	return d, nil
}
