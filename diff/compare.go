package diff

import (
	"sort"

	"github.com/lockstep-dev/lockstep/install/semver"
)

// Kind is the kind of a change.
type Kind string

// Change kinds.
const (
	Added      Kind = "added"
	Removed    Kind = "removed"
	Upgraded   Kind = "upgraded"
	Downgraded Kind = "downgraded"
	Changed    Kind = "changed"
)

// Change is what happened to one package name.
type Change struct {
	Name string `json:"name"`
	Kind Kind   `json:"kind"`
	// From and To are the name's versions in base and head, in semver
	// order (empty, not null, for added and removed).
	From []string `json:"from"`
	To   []string `json:"to"`
	// Direct reports a direct dependency of the project (of the head, or
	// of the base for a removed one); DependencyType says how it is
	// declared. Both are about the root and its workspaces.
	Direct         bool    `json:"direct"`
	DependencyType DepType `json:"dependency_type,omitempty"`
	// Why names, for a transitive change, the direct dependencies through
	// which the package is reached (at most MaxWhy, in name order).
	Why []string `json:"why,omitempty"`
}

// Summary counts changes by kind.
type Summary struct {
	Added      int `json:"added"`
	Removed    int `json:"removed"`
	Upgraded   int `json:"upgraded"`
	Downgraded int `json:"downgraded"`
	Changed    int `json:"changed"`
}

// Total is the number of changes.
func (s Summary) Total() int {
	return s.Added + s.Removed + s.Upgraded + s.Downgraded + s.Changed
}

// Result is the comparison of two lockfiles; its JSON is `lockstep diff
// --format json`.
type Result struct {
	Base   string `json:"base"`
	Head   string `json:"head"`
	Format string `json:"format"`
	// BaseFormat is set when the base is in another format than the head
	// (a migration, say from npm to pnpm).
	BaseFormat string   `json:"base_format,omitempty"`
	Summary    Summary  `json:"summary"`
	Changes    []Change `json:"changes"`
	Flags      []Flag   `json:"flags"`
	// Warnings are entries the readers skipped (prefixed "base: " or
	// "head: ").
	Warnings []string `json:"warnings,omitempty"`
}

// MaxWhy bounds Change.Why.
const MaxWhy = 3

// Options tune Compare.
type Options struct {
	// BaseName and HeadName label the inputs (Result.Base, Result.Head).
	BaseName, HeadName string
	// Registries are the registry URLs a resolved tarball may come from
	// without a flag ("https://registry.npmjs.org/" when empty; the
	// public npm registry's aliases registry.yarnpkg.com and
	// registry.npmjs.com are accepted with it).
	Registries []string
}

// versions of one name on one side.
type nameInfo struct {
	versions []string // distinct, semver order
	pkgs     []*Package
}

func index(l *Lockfile) map[string]*nameInfo {
	m := make(map[string]*nameInfo, len(l.Packages))
	for i := range l.Packages {
		p := &l.Packages[i]
		if p.Local || p.Name == "" {
			continue
		}
		ni := m[p.Name]
		if ni == nil {
			ni = &nameInfo{}
			m[p.Name] = ni
		}
		ni.pkgs = append(ni.pkgs, p)
		dup := false
		for _, v := range ni.versions {
			if v == p.Version {
				dup = true
				break
			}
		}
		if !dup {
			ni.versions = append(ni.versions, p.Version)
		}
	}
	for _, ni := range m {
		if len(ni.versions) > 1 {
			SortVersions(ni.versions)
		}
	}
	return m
}

// SortVersions sorts versions by semver (loose), versions that do not parse
// last in string order.
func SortVersions(vs []string) {
	parsed := make(map[string]*semver.Version, len(vs))
	for _, v := range vs {
		if p, err := semver.Parse(v, true); err == nil {
			parsed[v] = p
		}
	}
	sort.SliceStable(vs, func(i, j int) bool {
		a, b := parsed[vs[i]], parsed[vs[j]]
		switch {
		case a != nil && b != nil:
			if c := semver.Compare(a, b); c != 0 {
				return c < 0
			}
			return vs[i] < vs[j]
		case a != nil:
			return true
		case b != nil:
			return false
		}
		return vs[i] < vs[j]
	})
}

// Compare compares base with head.
func Compare(base, head *Lockfile, opts Options) *Result {
	r := &Result{Base: opts.BaseName, Head: opts.HeadName, Format: head.Format,
		Changes: []Change{}, Flags: []Flag{}}
	if base.Format != head.Format {
		r.BaseFormat = base.Format
	}
	for _, w := range base.Warnings {
		r.Warnings = append(r.Warnings, "base: "+Redact(w))
	}
	for _, w := range head.Warnings {
		r.Warnings = append(r.Warnings, "head: "+Redact(w))
	}
	// the two sides are independent: index them at the same time
	var bi map[string]*nameInfo
	done := make(chan struct{})
	go func() {
		defer close(done)
		bi = index(base)
	}()
	hi := index(head)
	<-done

	names := make([]string, 0, len(hi)+len(bi))
	for n := range hi {
		names = append(names, n)
	}
	for n := range bi {
		if hi[n] == nil {
			names = append(names, n)
		}
	}
	sort.Strings(names)

	var needWhy bool
	for _, n := range names {
		b, h := bi[n], hi[n]
		c := Change{Name: n, From: []string{}, To: []string{}}
		switch {
		case b == nil:
			c.Kind, c.To = Added, h.versions
		case h == nil:
			c.Kind, c.From = Removed, b.versions
		case sameSet(b.versions, h.versions):
			continue
		default:
			c.From, c.To = b.versions, h.versions
			c.Kind = Changed
			if len(b.versions) == 1 && len(h.versions) == 1 {
				bv, err1 := semver.Parse(b.versions[0], true)
				hv, err2 := semver.Parse(h.versions[0], true)
				if err1 == nil && err2 == nil {
					switch semver.Compare(bv, hv) {
					case -1:
						c.Kind = Upgraded
					case 1:
						c.Kind = Downgraded
					}
				}
			}
		}
		side := head
		if h == nil {
			side = base
		}
		if t, ok := side.Direct[n]; ok {
			c.Direct, c.DependencyType = true, t
		} else {
			needWhy = true
		}
		switch c.Kind {
		case Added:
			r.Summary.Added++
		case Removed:
			r.Summary.Removed++
		case Upgraded:
			r.Summary.Upgraded++
		case Downgraded:
			r.Summary.Downgraded++
		default:
			r.Summary.Changed++
		}
		r.Changes = append(r.Changes, c)
	}
	if needWhy {
		hw, bw := newWhy(head), newWhy(base)
		// build the head's walk while the base's is built here, if any
		// removed package needs it
		built := make(chan struct{})
		go func() {
			defer close(built)
			hw.build()
		}()
		for i := range r.Changes {
			if c := &r.Changes[i]; !c.Direct && c.Kind == Removed {
				bw.build()
				break
			}
		}
		<-built
		for i := range r.Changes {
			c := &r.Changes[i]
			if c.Direct {
				continue
			}
			if c.Kind == Removed {
				c.Why = bw.of(c.Name)
			} else {
				c.Why = hw.of(c.Name)
			}
		}
	}
	r.Flags = flags(bi, hi, opts)
	return r
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// why answers, lazily, which direct dependencies reach a name, by a
// breadth-first walk of the name graph from each direct dependency. Names
// are numbered once, so the walk works on slices, not maps of strings.
type why struct {
	l       *Lockfile
	built   bool
	ids     map[string]int32
	directs []string // sorted
	// from[id] holds up to MaxWhy indexes into directs that reach id
	from [][MaxWhy]int32
	n    []uint8
}

func newWhy(l *Lockfile) *why { return &why{l: l} }

func (w *why) of(name string) []string {
	if !w.built {
		w.build()
	}
	id, ok := w.ids[name]
	if !ok || w.n[id] == 0 {
		return nil
	}
	if _, direct := w.l.Direct[name]; direct {
		return nil
	}
	idx := w.from[id][:w.n[id]]
	out := make([]string, len(idx))
	for i, d := range idx {
		out[i] = w.directs[d]
	}
	sort.Strings(out)
	return out
}

func (w *why) build() {
	w.built = true
	pk := w.l.Packages
	w.ids = make(map[string]int32, len(pk)+len(w.l.Direct))
	id := func(name string) int32 {
		i, ok := w.ids[name]
		if !ok {
			i = int32(len(w.ids))
			w.ids[name] = i
		}
		return i
	}
	pkgID := make([]int32, len(pk))
	for i := range pk {
		pkgID[i] = id(pk[i].Name)
	}
	deps := make([][]int32, len(w.ids))
	for i := range pk {
		for _, d := range pk[i].Dependencies {
			did := id(d)
			for int(did) >= len(deps) {
				deps = append(deps, nil)
			}
			deps[pkgID[i]] = append(deps[pkgID[i]], did)
		}
	}
	w.directs = make([]string, 0, len(w.l.Direct))
	for n := range w.l.Direct {
		w.directs = append(w.directs, n)
	}
	sort.Strings(w.directs)
	isDirect := make([]bool, len(w.ids)+len(w.directs))
	w.from = make([][MaxWhy]int32, len(w.ids)+len(w.directs))
	w.n = make([]uint8, len(w.ids)+len(w.directs))
	// Propagate "reached from" sets (at most MaxWhy direct names each) down
	// the name graph; a name is requeued only when its set grows, so each
	// is processed at most MaxWhy+1 times.
	queue := make([]int32, 0, len(w.directs))
	for di, d := range w.directs {
		i := id(d)
		isDirect[i] = true
		w.from[i][0], w.n[i] = int32(di), 1
		queue = append(queue, i)
	}
	for q := 0; q < len(queue); q++ {
		n := queue[q]
		if int(n) >= len(deps) {
			continue
		}
		src := w.from[n][:w.n[n]]
		for _, c := range deps[n] {
			if isDirect[c] {
				continue
			}
			grew := false
			for _, d := range src {
				cnt := int(w.n[c])
				if cnt >= MaxWhy {
					break
				}
				have := false
				for _, e := range w.from[c][:cnt] {
					if e == d {
						have = true
						break
					}
				}
				if !have {
					w.from[c][cnt] = d
					w.n[c]++
					grew = true
				}
			}
			if grew {
				queue = append(queue, c)
			}
		}
	}
}
