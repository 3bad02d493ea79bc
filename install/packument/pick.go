package packument

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/lockstep-dev/lockstep/install/semver"
)

// PickOptions are npm-pick-manifest's options that lockstep uses.
type PickOptions struct {
	// DefaultTag is the tag preferred for ranges and used for an empty
	// spec; "latest" when empty.
	DefaultTag string
	// Before, when set, ignores versions published after it (npm's
	// --before); it has no effect on documents without "time".
	Before time.Time
	// NodeVersion is judged against engines.node ("20.19.0" or "v20.19.0");
	// empty skips the check.
	NodeVersion string
	// NPMVersion is judged against engines.npm; empty skips the check (npm
	// itself passes its own version).
	NPMVersion string
}

// SpecType is npm-package-arg's classification of a registry spec.
type SpecType int

const (
	SpecTag SpecType = iota
	SpecVersion
	SpecRange
)

func (t SpecType) String() string {
	switch t {
	case SpecVersion:
		return "version"
	case SpecRange:
		return "range"
	}
	return "tag"
}

// ErrNoMatch is wrapped by Pick when nothing satisfies the spec (npm's
// ETARGET and ENOVERSIONS).
var ErrNoMatch = errors.New("no matching version")

// ErrInvalidSpec is wrapped by ClassifySpec and Pick for a spec that is
// neither a version, a range nor a valid tag name (npm's EINVALIDTAGNAME).
var ErrInvalidSpec = errors.New("invalid tag name or range")

// ClassifySpec classifies a registry spec like npm-package-arg: a valid
// loose version, else a valid loose range, else a tag, which must survive
// encodeURIComponent unchanged. The spec is trimmed first.
func ClassifySpec(spec string) (SpecType, error) {
	spec = strings.TrimSpace(spec)
	if plainVersion(spec) || semver.Valid(spec, true) != "" {
		return SpecVersion, nil
	}
	if semver.ValidRange(spec, semver.Options{Loose: true}) != "" {
		return SpecRange, nil
	}
	if !uriComponentSafe(spec) {
		return SpecTag, fmt.Errorf("%w: %q", ErrInvalidSpec, spec)
	}
	return SpecTag, nil
}

// plainVersion reports whether s is MAJOR.MINOR.PATCH, each without
// leading zeros and short enough to be a safe integer: a valid version that
// semver.Clean leaves as it is (what lockfiles pin).
func plainVersion(s string) bool {
	parts := 0
	for len(s) > 0 {
		n := 0
		for n < len(s) && s[n] >= '0' && s[n] <= '9' {
			n++
		}
		if n == 0 || n > 15 || n > 1 && s[0] == '0' {
			return false
		}
		parts++
		s = s[n:]
		if parts == 3 {
			return s == ""
		}
		if s == "" || s[0] != '.' {
			return false
		}
		s = s[1:]
	}
	return false
}

// uriComponentSafe reports encodeURIComponent(s) === s.
func uriComponentSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-_.!~*'()", c) >= 0:
		default:
			return false
		}
	}
	return true
}

var (
	looseOpts  = semver.Options{Loose: true}
	engineOpts = semver.Options{IncludePrerelease: true}
)

// EngineOK is npm-install-checks' checkEngine as npm-pick-manifest uses it:
// false when engines.node (engines.npm) does not include nodeVersion
// (npmVersion) with includePrerelease. Empty versions are not checked.
func EngineOK(v *Version, nodeVersion, npmVersion string) bool {
	return engineOK(&v.Summary, nodeVersion, npmVersion)
}

func engineOK(v *Summary, nodeVersion, npmVersion string) bool {
	if r := v.EngineNode; nodeVersion != "" && r != "" && !semver.Satisfies(nodeVersion, r, engineOpts) {
		return false
	}
	if r := v.EngineNPM; npmVersion != "" && r != "" && !semver.Satisfies(npmVersion, r, engineOpts) {
		return false
	}
	return true
}

// Pick chooses the version of p that npm-pick-manifest would choose for a
// registry spec (a tag, a version or a range; "" means the default tag).
// The error wraps ErrNoMatch or ErrInvalidSpec and names the package and
// spec.
func Pick(p *Packument, spec string, o PickOptions) (*Version, error) {
	if o.DefaultTag == "" {
		o.DefaultTag = "latest"
	}
	wanted := strings.TrimSpace(spec)
	typ := SpecTag
	if wanted != "" {
		var err error
		if typ, err = ClassifySpec(wanted); err != nil {
			return nil, fmt.Errorf("failed to pick a version of %q for %q: %w", p.Name, spec, err)
		}
	}
	v := pick(p, wanted, typ, o)
	if v == nil {
		msg := fmt.Sprintf("%s@%s", p.Name, wanted)
		if !o.Before.IsZero() {
			msg += " with a date before " + o.Before.UTC().Format(time.RFC3339)
		}
		return nil, fmt.Errorf("failed to pick a version of %q: %w for %s", p.Name, ErrNoMatch, msg)
	}
	return v, nil
}

// isBefore is npm-pick-manifest's isBefore: true without a cutoff, without
// times in the document or without a time for this version.
func isBefore(p *Packument, v *Summary, before time.Time) bool {
	if before.IsZero() || !p.HasTime || v.Published.IsZero() {
		return true
	}
	return !v.Published.After(before)
}

func pick(p *Packument, wanted string, typ SpecType, o PickOptions) *Version {
	if wanted != "" && typ == SpecTag {
		ver, ok := p.DistTags[wanted]
		if !ok {
			return nil
		}
		v := p.Version(ver)
		if v == nil || isBefore(p, &v.Summary, o.Before) {
			return v
		}
		return pick(p, "<="+ver, SpecRange, o)
	}
	if wanted != "" && typ == SpecVersion {
		clean := wanted
		if !plainVersion(wanted) {
			clean = semver.Clean(wanted, true)
		}
		v := p.Version(clean)
		if v == nil || !isBefore(p, &v.Summary, o.Before) {
			return nil
		}
		return v
	}
	rng := "*"
	if typ == SpecRange {
		rng = wanted
	}
	// satisfies(v, range, loose) is false for every version when the range
	// does not parse.
	r, _ := semver.ParseRange(rng, looseOpts)
	satisfies := func(ver string) bool {
		if r == nil {
			return false
		}
		sv, err := semver.Parse(ver, true)
		return err == nil && r.Test(sv)
	}
	if dv, ok := p.DistTags[o.DefaultTag]; ok && dv != "" && (rng == "*" || satisfies(dv)) {
		if v := p.Version(dv); v != nil && isBefore(p, &v.Summary, o.Before) &&
			EngineOK(v, o.NodeVersion, o.NPMVersion) && v.Deprecated == "" {
			return v
		}
	}
	if r != nil && o.Before.IsZero() {
		if v, found := pickRanked(p, r, o.NodeVersion, o.NPMVersion); found {
			return v
		}
	}
	// Candidates are read as summaries; only the winner is materialized.
	type cand struct {
		i              int
		s              Summary
		sv             *semver.Version
		engine, notDep bool
	}
	var cands []cand
	anyBefore := false
	parsed, ok := p.semvers()
	for i := range parsed {
		s := p.summary(i)
		if !isBefore(p, &s, o.Before) {
			continue
		}
		anyBefore = true
		if r == nil || !ok[i] || !r.Test(&parsed[i]) {
			continue
		}
		cands = append(cands, cand{i: i, s: s, sv: &parsed[i]})
	}
	if !anyBefore || len(cands) == 0 {
		return nil
	}
	for i := range cands {
		cands[i].engine = engineOK(&cands[i].s, o.NodeVersion, o.NPMVersion)
		cands[i].notDep = cands[i].s.Deprecated == ""
	}
	b2i := func(b bool) int {
		if b {
			return 1
		}
		return 0
	}
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if d := b2i(b.notDep && b.engine) - b2i(a.notDep && a.engine); d != 0 {
			return d < 0
		}
		if d := b2i(b.engine) - b2i(a.engine); d != 0 {
			return d < 0
		}
		if d := b2i(b.notDep) - b2i(a.notDep); d != 0 {
			return d < 0
		}
		return semver.Compare(a.sv, b.sv) > 0
	})
	return p.version(cands[0].i)
}
