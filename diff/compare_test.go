package diff

import (
	"reflect"
	"sort"
	"testing"
)

func lock(direct map[string]DepType, pkgs ...Package) *Lockfile {
	return &Lockfile{Format: "test", Packages: pkgs, Direct: direct}
}

func pkg(name, version string, deps ...string) Package {
	return Package{Name: name, Version: version, Integrity: "sha512-" + name + version,
		Resolved: "https://registry.npmjs.org/" + name + "/-/" + name + "-" + version + ".tgz", Dependencies: deps}
}

func TestCompareKinds(t *testing.T) {
	base := lock(map[string]DepType{"a": Prod, "b": Dev, "gone": Prod},
		pkg("a", "1.0.0", "t"), pkg("b", "2.0.0"), pkg("gone", "1.0.0", "g2"), pkg("g2", "1.0.0"),
		pkg("t", "1.0.0"), pkg("multi", "1.0.0"), pkg("multi", "2.0.0"), pkg("same", "1.0.0"), pkg("odd", "abc"))
	head := lock(map[string]DepType{"a": Prod, "b": Dev, "new": Optional},
		pkg("a", "1.1.0", "t"), pkg("b", "1.9.9"), pkg("new", "1.0.0", "t"), pkg("t", "1.0.1"),
		pkg("multi", "2.0.0"), pkg("multi", "3.0.0"), pkg("same", "1.0.0"), pkg("odd", "def"))
	r := Compare(base, head, Options{})
	want := []Change{
		{Name: "a", Kind: Upgraded, From: []string{"1.0.0"}, To: []string{"1.1.0"}, Direct: true, DependencyType: Prod},
		{Name: "b", Kind: Downgraded, From: []string{"2.0.0"}, To: []string{"1.9.9"}, Direct: true, DependencyType: Dev},
		{Name: "g2", Kind: Removed, From: []string{"1.0.0"}, To: []string{}, Why: []string{"gone"}},
		{Name: "gone", Kind: Removed, From: []string{"1.0.0"}, To: []string{}, Direct: true, DependencyType: Prod},
		{Name: "multi", Kind: Changed, From: []string{"1.0.0", "2.0.0"}, To: []string{"2.0.0", "3.0.0"}, Why: nil},
		{Name: "new", Kind: Added, From: []string{}, To: []string{"1.0.0"}, Direct: true, DependencyType: Optional},
		{Name: "odd", Kind: Changed, From: []string{"abc"}, To: []string{"def"}},
		{Name: "t", Kind: Upgraded, From: []string{"1.0.0"}, To: []string{"1.0.1"}, Why: []string{"a", "new"}},
	}
	if !reflect.DeepEqual(r.Changes, want) {
		t.Errorf("changes:\n%+v\nwant\n%+v", r.Changes, want)
	}
	if s := (Summary{Added: 1, Removed: 2, Upgraded: 2, Downgraded: 1, Changed: 2}); r.Summary != s {
		t.Errorf("summary %+v, want %+v", r.Summary, s)
	}
}

func TestSortVersions(t *testing.T) {
	vs := []string{"10.0.0", "2.0.0", "zzz", "1.0.0-beta", "1.0.0", "abc"}
	SortVersions(vs)
	if want := []string{"1.0.0-beta", "1.0.0", "2.0.0", "10.0.0", "abc", "zzz"}; !reflect.DeepEqual(vs, want) {
		t.Errorf("got %v, want %v", vs, want)
	}
}

func TestFlags(t *testing.T) {
	reg := func(name, v string) string {
		return "https://registry.npmjs.org/" + name + "/-/" + name + "-" + v + ".tgz"
	}
	base := lock(nil, pkg("same", "1.0.0"), pkg("integ", "1.0.0"), pkg("src", "1.0.0"),
		Package{Name: "lic", Version: "1.0.0", License: "MIT"}, Package{Name: "scr", Version: "1.0.0", InstallScript: true},
		pkg("dup", "1.0.0"), pkg("olddup", "1.0.0"), pkg("olddup", "2.0.0"))
	for _, tc := range []struct {
		p     Package
		flags []string
		regs  []string
	}{
		{pkg("same", "1.0.0"), nil, nil},
		{Package{Name: "integ", Version: "1.0.0", Resolved: reg("integ", "1.0.0"), Integrity: "sha512-x"}, []string{FlagIntegrityChanged}, nil},
		{Package{Name: "src", Version: "1.0.0", Resolved: "https://evil.example/src/-/src-1.0.0.tgz", Integrity: "sha512-src1.0.0"}, []string{FlagForeignRegistry, FlagResolvedChanged}, nil},
		{Package{Name: "h", Version: "1.0.0", Resolved: "http://registry.npmjs.org/h/-/h-1.0.0.tgz", Integrity: "sha512-x"}, []string{FlagInsecure}, nil},
		{Package{Name: "g", Version: "1.0.0", Resolved: "git+ssh://git@github.com/a/g.git#abc"}, []string{FlagGit}, nil},
		{Package{Name: "tb", Version: "1.0.0", Resolved: "https://example.com/tb.tgz", Integrity: "sha512-x"}, []string{FlagTarball}, nil},
		{Package{Name: "ni", Version: "1.0.0", Resolved: reg("ni", "1.0.0")}, []string{FlagNoIntegrity}, nil},
		{Package{Name: "w", Version: "1.0.0", Resolved: reg("w", "1.0.0"), Integrity: "sha1-abc="}, []string{FlagWeakIntegrity}, nil},
		{Package{Name: "nm", Version: "1.0.0", Resolved: reg("other", "1.0.0"), Integrity: "sha512-x"}, []string{FlagNameMismatch}, nil},
		{Package{Name: "@s/nm", Version: "1.0.0", Resolved: "https://registry.npmjs.org/@s/nm/-/nm-1.0.0.tgz", Integrity: "sha512-x"}, nil, nil},
		{Package{Name: "@s/nm", Version: "1.0.0", Resolved: "https://registry.npmjs.org/@s%2fnm/-/nm-1.0.0.tgz", Integrity: "sha512-x"}, nil, nil},
		{Package{Name: "yv1", Version: "1.0.0", Resolved: "https://registry.yarnpkg.com/yv1/-/yv1-1.0.0.tgz#abc", Integrity: "sha512-x"}, nil, nil},
		{Package{Name: "myreg", Version: "1.0.0", Resolved: "https://npm.corp/r/myreg/-/myreg-1.0.0.tgz", Integrity: "sha512-x"}, nil, []string{"https://npm.corp/r/"}},
		{Package{Name: "lic", Version: "1.0.0", License: "GPL-3.0"}, []string{FlagLicenseChanged}, nil},
		{Package{Name: "dep", Version: "1.0.0", Deprecated: "use x", Integrity: "sha512-x"}, []string{FlagDeprecated}, nil},
		{Package{Name: "scr", Version: "1.0.0", InstallScript: true}, nil, nil},
		{Package{Name: "scr2", Version: "1.0.0", InstallScript: true, Integrity: "sha512-x"}, []string{FlagInstallScript}, nil},
		{Package{Name: "loc", Version: "1.0.0", Local: true, Resolved: "http://x"}, nil, nil},
	} {
		t.Run(tc.p.Name, func(t *testing.T) {
			r := Compare(base, lock(nil, tc.p), Options{Registries: tc.regs})
			var got []string
			for _, f := range r.Flags {
				if f.Name == tc.p.Name {
					got = append(got, f.Flag)
				}
			}
			sort.Strings(got)
			if !reflect.DeepEqual(got, tc.flags) {
				t.Errorf("flags %v, want %v (%+v)", got, tc.flags, r.Flags)
			}
		})
	}
	// a new duplicate is flagged, an old one is not
	r := Compare(base, lock(nil, pkg("dup", "1.0.0"), pkg("dup", "2.0.0"), pkg("olddup", "1.0.0"), pkg("olddup", "2.0.0")), Options{})
	var dups []string
	for _, f := range r.Flags {
		if f.Flag == FlagDuplicate {
			dups = append(dups, f.Name+"@"+f.Version)
		}
	}
	if !reflect.DeepEqual(dups, []string{"dup@2.0.0"}) {
		t.Errorf("duplicates flagged: %v", dups)
	}
}

func TestLineCol(t *testing.T) {
	data := []byte("ab\ncd\n\nef")
	for _, tc := range []struct{ off, line, col int }{{0, 1, 1}, {1, 1, 2}, {3, 2, 1}, {4, 2, 2}, {7, 4, 1}, {100, 4, 3}} {
		if l, c := LineCol(data, tc.off); l != tc.line || c != tc.col {
			t.Errorf("LineCol(%d) = %d:%d, want %d:%d", tc.off, l, c, tc.line, tc.col)
		}
	}
}
