package diff

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// Flag is something in the head worth a reviewer's eye.
type Flag struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Flag    string `json:"flag"`
	Detail  string `json:"detail"`
}

// Flag names.
const (
	FlagInstallScript    = "install-script"    // a new package, or a new version, runs install scripts
	FlagInsecure         = "insecure-http"     // resolved over plain http
	FlagForeignRegistry  = "foreign-registry"  // a registry tarball from outside the configured registries
	FlagGit              = "git-source"        // resolved from git
	FlagTarball          = "tarball-source"    // resolved from a tarball URL that is no registry's
	FlagNoIntegrity      = "missing-integrity" // no integrity recorded
	FlagWeakIntegrity    = "weak-integrity"    // sha1 only
	FlagIntegrityChanged = "integrity-changed" // same version, other integrity
	FlagResolvedChanged  = "resolved-changed"  // same version, other source
	FlagNameMismatch     = "name-mismatch"     // a registry URL naming another package
	FlagLicenseChanged   = "license-changed"
	FlagDeprecated       = "deprecated"
	FlagDuplicate        = "new-duplicate" // a name now installed in more versions
)

var defaultRegistries = []string{"https://registry.npmjs.org/"}

// npmAliases are hosts that serve the public npm registry.
var npmAliases = []string{"registry.npmjs.org", "registry.yarnpkg.com", "registry.npmjs.com"}

type registry struct{ host, path string }

func registries(opts Options) []registry {
	list := opts.Registries
	if len(list) == 0 {
		list = defaultRegistries
	}
	var out []registry
	for _, s := range list {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			continue
		}
		p := strings.TrimSuffix(u.Path, "/") + "/"
		out = append(out, registry{strings.ToLower(u.Host), p})
		for _, a := range npmAliases {
			if strings.EqualFold(u.Host, a) {
				for _, b := range npmAliases {
					out = append(out, registry{b, "/"})
				}
				break
			}
		}
	}
	return out
}

func flags(bi, hi map[string]*nameInfo, opts Options) []Flag {
	regs := registries(opts)
	var out []Flag
	add := func(p *Package, flag, format string, args ...any) {
		out = append(out, Flag{Name: p.Name, Version: p.Version, Flag: flag, Detail: Redact(fmt.Sprintf(format, args...))})
	}
	for name, h := range hi {
		b := bi[name]
		// one flag set per name@version, even when installed at several paths
		for i, p := range h.pkgs {
			if seenBefore(h.pkgs[:i], p) {
				continue
			}
			var old *Package // same version in base
			var anyOld *Package
			if b != nil {
				anyOld = b.pkgs[0]
				for _, q := range b.pkgs {
					if q.Version == p.Version {
						old = q
						if q.Resolved == p.Resolved && q.Integrity == p.Integrity {
							break
						}
					}
				}
			}
			sourceNew := old == nil || old.Resolved != p.Resolved
			integrityNew := old == nil || old.Integrity != p.Integrity
			if old != nil {
				if old.Integrity != "" && p.Integrity != "" && old.Integrity != p.Integrity && !sameHashes(old.Integrity, p.Integrity) {
					add(p, FlagIntegrityChanged, "integrity changed from %s to %s while the version stayed", old.Integrity, p.Integrity)
				}
				if old.Resolved != "" && p.Resolved != "" && old.Resolved != p.Resolved && !sameTarball(old.Resolved, p.Resolved) {
					add(p, FlagResolvedChanged, "resolved changed from %s to %s while the version stayed", old.Resolved, p.Resolved)
				}
			}
			if p.InstallScript && (old == nil || !old.InstallScript) {
				if old == nil && anyOld != nil && anyOld.InstallScript {
					// the name already ran install scripts in the base
				} else {
					add(p, FlagInstallScript, "runs install scripts (preinstall, install or postinstall)")
				}
			}
			if sourceNew {
				checkSource(p, regs, add)
			}
			if integrityNew && !p.Local && !isGit(p.Resolved) {
				switch {
				case p.Integrity == "":
					add(p, FlagNoIntegrity, "no integrity hash is recorded")
				case weakOnly(p.Integrity):
					add(p, FlagWeakIntegrity, "only a sha1 integrity hash is recorded: %s", p.Integrity)
				}
			}
			if p.Deprecated != "" && (old == nil || old.Deprecated == "") {
				add(p, FlagDeprecated, "%s", p.Deprecated)
			}
			if anyOld != nil && p.License != "" {
				ref := anyOld
				if old != nil {
					ref = old
				}
				if ref.License != "" && ref.License != p.License {
					add(p, FlagLicenseChanged, "license changed from %s to %s", ref.License, p.License)
				}
			}
		}
		if n := len(h.versions); n > 1 && (b == nil || len(b.versions) < n) {
			// attribute it to the highest version the base lacks
			v := h.versions[n-1]
			for _, hv := range h.versions {
				if b == nil || !contains(b.versions, hv) {
					v = hv
				}
			}
			p := h.pkgs[0]
			for _, q := range h.pkgs {
				if q.Version == v {
					p = q
					break
				}
			}
			add(p, FlagDuplicate, "%d versions installed: %s", n, strings.Join(h.versions, ", "))
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.Version != b.Version {
			return a.Version < b.Version
		}
		if a.Flag != b.Flag {
			return a.Flag < b.Flag
		}
		return a.Detail < b.Detail
	})
	if out == nil {
		out = []Flag{}
	}
	return out
}

// seenBefore reports that an earlier copy had the same version, source and
// integrity (a name has few copies: a linear scan beats a map).
func seenBefore(earlier []*Package, p *Package) bool {
	for _, q := range earlier {
		if q.Version == p.Version && q.Resolved == p.Resolved && q.Integrity == p.Integrity {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// sameHashes reports integrity strings listing the same hashes in another
// order or with extra whitespace.
func sameHashes(a, b string) bool {
	fa, fb := strings.Fields(a), strings.Fields(b)
	sort.Strings(fa)
	sort.Strings(fb)
	return strings.Join(fa, " ") == strings.Join(fb, " ")
}

// sameTarball treats URLs that differ only in a fragment (yarn's #sha1) or
// in the public registry's alias host as the same.
func sameTarball(a, b string) bool {
	strip := func(s string) string {
		if i := strings.IndexByte(s, '#'); i >= 0 && strings.HasPrefix(s, "http") {
			s = s[:i]
		}
		for _, h := range npmAliases[1:] {
			s = strings.Replace(s, "://"+h+"/", "://"+npmAliases[0]+"/", 1)
		}
		return s
	}
	return strip(a) == strip(b)
}

func weakOnly(integrity string) bool {
	for _, h := range strings.Fields(integrity) {
		if !strings.HasPrefix(h, "sha1-") && !strings.HasPrefix(h, "md5-") {
			return false
		}
	}
	return true
}

func isGit(resolved string) bool {
	for _, p := range []string{"git+", "git:", "git@", "github:", "gitlab:", "bitbucket:"} {
		if strings.HasPrefix(resolved, p) {
			return true
		}
	}
	return strings.Contains(resolved, ".git#") || strings.Contains(resolved, "#commit=")
}

// checkSource flags where a new name@version comes from.
func checkSource(p *Package, regs []registry, add func(*Package, string, string, ...any)) {
	r := p.Resolved
	if p.Local || r == "" {
		return
	}
	if isGit(r) {
		add(p, FlagGit, "resolved from git: %s", r)
		if strings.HasPrefix(r, "git+http:") || strings.HasPrefix(r, "git:") {
			add(p, FlagInsecure, "fetched without TLS: %s", r)
		}
		return
	}
	u, err := url.Parse(r)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return // file:, link:, a yarn berry or pnpm protocol we do not judge
	}
	if u.Scheme == "http" {
		add(p, FlagInsecure, "resolved over plain http: %s", r)
	}
	host := strings.ToLower(u.Host)
	var reg *registry
	for i := range regs {
		if regs[i].host == host && strings.HasPrefix(u.Path, regs[i].path) {
			reg = &regs[i]
			break
		}
	}
	dash := strings.Index(u.Path, "/-/")
	if reg == nil {
		if dash >= 0 && strings.HasSuffix(u.Path, ".tgz") {
			add(p, FlagForeignRegistry, "resolved from %s, outside the configured registry", u.Host)
		} else {
			add(p, FlagTarball, "resolved from a tarball URL: %s", r)
			return
		}
	}
	if dash < 0 {
		add(p, FlagTarball, "resolved from a URL that is not a registry tarball: %s", r)
		return
	}
	prefix := "/"
	if reg != nil {
		prefix = reg.path
	}
	pathName := strings.TrimPrefix(u.Path[:dash], strings.TrimSuffix(prefix, "/"))
	pathName = strings.TrimPrefix(pathName, "/")
	if un, err := url.PathUnescape(pathName); err == nil {
		pathName = un
	}
	if reg == nil {
		// an unknown registry may have its own path prefix: compare the end
		if !strings.HasSuffix(pathName, p.Name) {
			add(p, FlagNameMismatch, "resolved URL names %s, not %s", pathName, p.Name)
		}
		return
	}
	if pathName != p.Name {
		add(p, FlagNameMismatch, "resolved URL names %s, not %s", pathName, p.Name)
		return
	}
	file := u.Path[dash+3:]
	base := p.Name
	if i := strings.LastIndexByte(base, '/'); i >= 0 {
		base = base[i+1:]
	}
	if want := base + "-" + p.Version + ".tgz"; p.Version != "" && file != want {
		add(p, FlagNameMismatch, "resolved tarball is %s, expected %s", file, want)
	}
}
