// Package verify checks a lockstep cache directory: every content-store
// entry against the index written with it (cache/store), and every
// manifest cache entry against its checksum, name and registry
// (cache/manifest). It reports bad entries and, with Fix, removes them so
// the next run refetches them.
//
// Invariants:
//   - Without Fix no entry is modified and nothing is created (opening an
//     existing store deletes temporary directories older than an hour, as
//     every run does).
//   - With Fix only bad entries and leftovers are removed, each with the
//     same atomic removal the store uses (rename away, then delete), under
//     the entry's lock; temporary directories of fills in progress (their
//     key locked) are left alone.
//   - Leftovers of killed processes (temporary files, orphan indexes) are
//     reported but are not bad: every run ignores them.
package verify

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/lockstep-dev/lockstep/cache/manifest"
	"github.com/lockstep-dev/lockstep/cache/store"
)

// Options configure Run.
type Options struct {
	// Fix removes bad entries and leftovers.
	Fix bool
	// ManifestDir is the manifest cache's directory; default
	// <cache>/manifests.
	ManifestDir string
	// TempAge is how old a manifest temporary file must be before Fix
	// removes it (a live writer renames its file within milliseconds);
	// default one minute.
	TempAge time.Duration
}

// Kind says where a problem was found.
type Kind string

const (
	KindStore    Kind = "store"
	KindManifest Kind = "manifest"
)

// Problem is one bad entry or leftover.
type Problem struct {
	Kind     Kind
	Path     string
	Key      string // store key or package name
	Reason   string
	Leftover bool // harmless leftover, not a bad entry
	Fixed    bool // removed (with Fix)
}

// Report is what Run found.
type Report struct {
	StoreEntries    int // complete store entries checked
	ManifestEntries int // manifest entries checked
	Problems        []Problem
}

// Bad is the number of bad entries (leftovers excluded).
func (r *Report) Bad() int {
	n := 0
	for _, p := range r.Problems {
		if !p.Leftover {
			n++
		}
	}
	return n
}

// Unfixed is the number of bad entries still in place.
func (r *Report) Unfixed() int {
	n := 0
	for _, p := range r.Problems {
		if !p.Leftover && !p.Fixed {
			n++
		}
	}
	return n
}

// Run checks the cache in dir.
func Run(dir string, o Options) (*Report, error) {
	if o.ManifestDir == "" {
		o.ManifestDir = filepath.Join(dir, "manifests")
	}
	if o.TempAge <= 0 {
		o.TempAge = time.Minute
	}
	r := &Report{}
	if err := checkStore(dir, o, r); err != nil {
		return r, err
	}
	if err := checkManifests(o, r); err != nil {
		return r, err
	}
	return r, nil
}

func checkStore(dir string, o Options, r *Report) error {
	if _, err := os.Stat(filepath.Join(dir, "store", "v1")); errors.Is(err, os.ErrNotExist) {
		return nil // no store: nothing to check, and nothing to create
	}
	s, err := store.Open(dir)
	if err != nil {
		return fmt.Errorf("failed to open the store in %q: %w", dir, err)
	}
	entries, temps, strays, err := s.Scan()
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.OrphanIndex {
			p := Problem{Kind: KindStore, Path: e.Dir + store.IndexSuffix, Key: e.Key, Reason: "index without its entry", Leftover: true}
			if o.Fix {
				// Remove deletes the index too, under the key's lock.
				p.Fixed = s.Remove(e.Key) == nil
			}
			r.Problems = append(r.Problems, p)
			continue
		}
		r.StoreEntries++
		verr := s.Verify(e.Key)
		if verr == nil {
			continue
		}
		if errors.Is(verr, os.ErrNotExist) {
			continue // removed while we looked
		}
		p := Problem{Kind: KindStore, Path: e.Dir, Key: e.Key, Reason: verr.Error()}
		if o.Fix {
			p.Fixed = s.Remove(e.Key) == nil
		}
		r.Problems = append(r.Problems, p)
	}
	for _, t := range temps {
		r.Problems = append(r.Problems, Problem{Kind: KindStore, Path: filepath.Join(dir, "store", "v1", "tmp", t),
			Reason: "temporary directory left by an unfinished fill", Leftover: true})
	}
	if o.Fix && len(temps) > 0 {
		s.CleanTemps()
		for i := range r.Problems {
			p := &r.Problems[i]
			if p.Leftover && p.Kind == KindStore && p.Key == "" {
				_, err := os.Lstat(p.Path)
				p.Fixed = errors.Is(err, os.ErrNotExist)
			}
		}
	}
	for _, st := range strays {
		p := Problem{Kind: KindStore, Path: st, Reason: "not a store entry", Leftover: true}
		if o.Fix {
			p.Fixed = os.RemoveAll(st) == nil
		}
		r.Problems = append(r.Problems, p)
	}
	return nil
}

func checkManifests(o Options, r *Report) error {
	c, err := manifest.Open(o.ManifestDir)
	if err != nil {
		return err
	}
	files, err := c.Scan()
	if err != nil {
		return err
	}
	for _, f := range files {
		p := Problem{Kind: KindManifest, Path: f.Path, Key: f.Name}
		switch f.Status {
		case manifest.FileOK:
			r.ManifestEntries++
			continue
		case manifest.FileOtherVersion:
			continue // another lockstep's format: never read by this one
		case manifest.FileCorrupt:
			r.ManifestEntries++
			p.Reason = f.Err.Error()
			if o.Fix {
				p.Fixed = os.Remove(f.Path) == nil
			}
		case manifest.FileTemp:
			p.Reason, p.Leftover = "temporary file left by an unfinished write", true
			if fi, err := os.Stat(f.Path); o.Fix && err == nil && time.Since(fi.ModTime()) >= o.TempAge {
				p.Fixed = os.Remove(f.Path) == nil
			}
		case manifest.FileStray:
			p.Reason, p.Leftover = "not a manifest cache entry", true
			if o.Fix {
				p.Fixed = os.RemoveAll(f.Path) == nil
			}
		}
		r.Problems = append(r.Problems, p)
	}
	return nil
}
