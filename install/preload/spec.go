package preload

import (
	"regexp"
	"strings"
)

var (
	isURL       = regexp.MustCompile(`^(?:git[+])?[a-zA-Z]+:`)
	isFileType  = regexp.MustCompile(`(?i)[.](?:tgz|tar\.gz|tar)$`)
	isPosixFile = regexp.MustCompile(`^(?:[.]|~[/]|[/]|[a-zA-Z]:)`)
)

// RegistrySpec says where a dependency "dep": "spec" comes from, following
// npm-package-arg: for a registry dependency it returns the registry name
// and the spec to pick with (an alias "npm:real@range" yields "real" and
// "range"; an empty alias range means the default tag) and ok. File paths,
// git and hosted-git specs, URLs and other protocols are not registry
// dependencies (ok false).
func RegistrySpec(dep, spec string) (name, rspec string, ok bool) {
	s := strings.TrimSpace(spec)
	if isFileSpec(s) {
		return "", "", false
	}
	if len(s) >= 4 && strings.EqualFold(s[:4], "npm:") {
		target := s[4:]
		at := strings.LastIndexByte(target, '@')
		if at <= 0 { // "npm:name" or "npm:@scope/name"
			name, rspec = target, ""
		} else {
			name, rspec = target[:at], target[at+1:]
		}
		if name == "" || strings.HasPrefix(rspec, "npm:") {
			return "", "", false
		}
		if n, r, ok := RegistrySpec(name, rspec); ok {
			return n, r, true
		}
		return "", "", false
	}
	if isURL.MatchString(s) || strings.Contains(s, "/") || isFileType.MatchString(s) {
		return "", "", false
	}
	return dep, s, true
}

func isFileSpec(s string) bool {
	if s == "" {
		return false
	}
	return (len(s) >= 5 && strings.EqualFold(s[:5], "file:")) || isPosixFile.MatchString(s)
}
