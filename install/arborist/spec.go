package arborist

import (
	"path"
	"regexp"
	"strings"

	"github.com/lockstep-dev/lockstep/install/packument"
	"github.com/lockstep-dev/lockstep/install/semver"
)

// specKind is npm-package-arg's type.
type specKind uint8

const (
	specRange specKind = iota
	specVersion
	specTag
	specAlias
	specDirectory
	specFile
	specRemote
	specGit
	specInvalid
)

// parsedSpec is what npa.resolve yields for a dependency.
type parsedSpec struct {
	kind specKind
	// fetchSpec: the range, version or tag for registry specs (and for an
	// alias, its target's); the project-relative path for directories and
	// files; the URL for remotes.
	fetchSpec string
	// subName is an alias's target package name.
	subName string
	subKind specKind
}

var (
	fileSpecRe = regexp.MustCompile(`^(?:[.]|~[/]|[/\\]|[a-zA-Z]:)`)
	tarballRe  = regexp.MustCompile(`[.](?:tgz|tar[.]gz|tar)$`)
	gitRe      = regexp.MustCompile(`^(?:git[+:]|github:|gitlab:|bitbucket:|gist:)`)
	shorthand  = regexp.MustCompile(`^[^@%/\s.-][^:@%/\s]*/[^@\s/%]+(?:#.*)?$`)
)

// parseSpec classifies spec as required by node from (file: and folder
// specs are relative to its folder).
func (b *builder) parseSpec(spec string, from *Node) parsedSpec {
	// Only file: and directory specs depend on the folder they are
	// written in; the rest are cached by their text alone.
	if ps, ok := b.specCache[spec]; ok {
		return ps
	}
	dir := from.dir()
	key := dir + "\x00" + spec
	if ps, ok := b.fileSpecCache[key]; ok {
		return ps
	}
	ps := classify(spec, dir)
	if ps.kind == specFile || ps.kind == specDirectory {
		b.fileSpecCache[key] = ps
	} else {
		b.specCache[spec] = ps
	}
	return ps
}

func classify(spec, fromDir string) parsedSpec {
	s := strings.TrimSpace(spec)
	switch {
	case strings.HasPrefix(s, "npm:"):
		sub := s[4:]
		name, rng := splitNameSpec(sub)
		if strings.HasPrefix(sub, "@") && !strings.Contains(sub[1:], "@") {
			name, rng = sub, ""
		}
		inner := classify(rng, fromDir)
		if inner.kind > specTag {
			return parsedSpec{kind: specInvalid}
		}
		return parsedSpec{kind: specAlias, subName: name, subKind: inner.kind, fetchSpec: inner.fetchSpec}
	case strings.HasPrefix(s, "file:") || fileSpecRe.MatchString(s):
		p := strings.TrimPrefix(s, "file:")
		p = strings.TrimPrefix(p, "//")
		var rel string
		if strings.HasPrefix(p, "/") {
			rel = path.Clean(p)
		} else {
			rel = path.Clean(path.Join(fromDir, p))
		}
		if tarballRe.MatchString(p) {
			return parsedSpec{kind: specFile, fetchSpec: rel}
		}
		return parsedSpec{kind: specDirectory, fetchSpec: rel}
	case strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://"):
		return parsedSpec{kind: specRemote, fetchSpec: s}
	case gitRe.MatchString(s) || shorthand.MatchString(s):
		return parsedSpec{kind: specGit, fetchSpec: s}
	}
	if s == "" {
		return parsedSpec{kind: specRange, fetchSpec: "*"}
	}
	t, err := packument.ClassifySpec(s)
	if err != nil {
		return parsedSpec{kind: specInvalid, fetchSpec: s}
	}
	switch t {
	case packument.SpecVersion:
		return parsedSpec{kind: specVersion, fetchSpec: s}
	case packument.SpecRange:
		return parsedSpec{kind: specRange, fetchSpec: s}
	}
	return parsedSpec{kind: specTag, fetchSpec: s}
}

// nodeDir is the project-relative folder of a node (its realpath).
func (n *Node) dir() string {
	if n.isLink && n.target != nil {
		return n.target.dir()
	}
	if n.sourceRef != nil {
		return n.sourceRef.dir()
	}
	if n.parent == nil {
		if n.isProjectRoot {
			return "."
		}
		if n.realpath != "" {
			return n.realpath
		}
		return "."
	}
	return n.location()
}

// depValid is arborist's dep-valid.
func (b *builder) depValid(child *Node, spec string, from *Node) bool {
	if spec == "" {
		spec = "*"
	}
	ps := b.parseSpec(spec, from)
	return b.depValidParsed(child, ps)
}

func (b *builder) depValidParsed(child *Node, ps parsedSpec) bool {
	switch ps.kind {
	case specRange:
		if ps.fetchSpec == "*" {
			return true
		}
		return b.satisfies(child.version(), ps.fetchSpec)
	case specVersion:
		return b.satisfies(child.version(), ps.fetchSpec)
	case specAlias:
		return b.depValidParsed(child, parsedSpec{kind: ps.subKind, fetchSpec: ps.fetchSpec})
	case specDirectory:
		return child.isLink && child.target != nil && child.target.realpath == ps.fetchSpec
	case specFile:
		return !child.isLink && child.resolved() == "file:"+ps.fetchSpec
	case specTag:
		r := child.resolved()
		return strings.HasPrefix(r, "http://") || strings.HasPrefix(r, "https://")
	case specRemote:
		return child.resolved() == ps.fetchSpec
	case specGit:
		return b.gitValid(child, ps.fetchSpec)
	}
	return false
}

var hostedShort = regexp.MustCompile(`^(?:(github|gitlab|bitbucket|gist):)?([^/:@#\s]+)/([^/#\s]+?)(?:\.git)?(?:#(.*))?$`)

// gitRepo splits a git spec or resolved URL into a comparable repository
// key and its committish ("" when none).
func gitRepo(s string) (repo, committish string) {
	s = strings.TrimSpace(s)
	if m := hostedShort.FindStringSubmatch(s); m != nil && !strings.Contains(s, "://") {
		host := m[1]
		if host == "" {
			host = "github"
		}
		return strings.ToLower(host + ".com/" + m[2] + "/" + m[3]), m[4]
	}
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s, committish = s[:i], s[i+1:]
	}
	s = strings.TrimPrefix(s, "git+")
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	if at := strings.IndexByte(s, '@'); at >= 0 && at < strings.IndexByte(s+"/", '/') {
		s = s[at+1:]
	}
	s = strings.Replace(s, ":", "/", 1)
	s = strings.TrimSuffix(strings.TrimSuffix(s, "/"), ".git")
	s = strings.Replace(s, "gitlab.com/", "gitlab.com/", 1)
	for _, h := range []string{"github", "gitlab", "bitbucket"} {
		if strings.HasPrefix(s, h+".org/") {
			s = h + ".com/" + strings.TrimPrefix(s, h+".org/")
		}
	}
	return strings.ToLower(s), committish
}

// gitValid is dep-valid's git case, approximately: the same repository,
// and the committish a full commit that matches, a semver: range the
// version satisfies, or a branch or tag (kept as the lockfile pinned it).
func (b *builder) gitValid(child *Node, spec string) bool {
	res := child.resolved()
	if res == "" {
		return false
	}
	wantRepo, want := gitRepo(spec)
	gotRepo, got := gitRepo(res)
	if wantRepo != gotRepo {
		return false
	}
	switch {
	case want == "":
		return true
	case strings.HasPrefix(want, "semver:"):
		return b.satisfies(child.version(), strings.TrimPrefix(want, "semver:"))
	case len(want) >= 40 && strings.Trim(strings.ToLower(want), "0123456789abcdef") == "":
		return strings.EqualFold(want, got)
	}
	return true
}

type satKey struct{ version, rng string }

// satisfies is semver.satisfies(version, range, loose), memoized.
func (b *builder) satisfies(version, rng string) bool {
	k := satKey{version, rng}
	if v, ok := b.satCache[k]; ok {
		return v
	}
	v := version != "" && semver.Satisfies(version, rng, semver.Options{Loose: true})
	b.satCache[k] = v
	return v
}

func (b *builder) parseVersion(v string) *semver.Version {
	if sv, ok := b.verCache[v]; ok {
		return sv
	}
	sv, err := semver.Parse(v, true)
	if err != nil {
		sv = nil
	}
	b.verCache[v] = sv
	return sv
}

func (b *builder) semverEq(x, y string) bool {
	a, c := b.parseVersion(x), b.parseVersion(y)
	return a != nil && c != nil && semver.Eq(a, c)
}

func (b *builder) semverGt(x, y string) bool {
	a, c := b.parseVersion(x), b.parseVersion(y)
	return a != nil && c != nil && semver.Gt(a, c)
}

func (b *builder) semverGte(x, y string) bool {
	a, c := b.parseVersion(x), b.parseVersion(y)
	return a != nil && c != nil && semver.Gte(a, c)
}

func (b *builder) semverLt(x, y string) bool {
	a, c := b.parseVersion(x), b.parseVersion(y)
	return a != nil && c != nil && semver.Lt(a, c)
}
