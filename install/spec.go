package install

import (
	"regexp"
	"strings"
)

// specKind classifies a dependency spec the way npm-package-arg does, as far
// as checking a locked package against it needs.
type specKind int

const (
	specRange  specKind = iota // "^1.2.3", "1.x", "*", ""
	specTag                    // "latest", "next"
	specAlias                  // "npm:name@range"
	specDir                    // "file:../x", "./x"
	specFile                   // "file:x.tgz"
	specRemote                 // "https://host/x.tgz"
	specGit                    // "github:u/r", "git+ssh://...", "u/r"
)

var (
	tagRe      = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	shortGitRe = regexp.MustCompile(`^[^@/\s:]+/[^/\s]+$`)
)

// classifySpec returns the kind of spec and, for aliases, the real package
// name and the range after it.
func classifySpec(spec string, validRange func(string) bool) (kind specKind, aliasName, aliasRange string) {
	s := strings.TrimSpace(spec)
	switch {
	case strings.HasPrefix(s, "npm:"):
		rest := s[len("npm:"):]
		at := strings.LastIndex(rest, "@")
		if at <= 0 { // "npm:foo" or "npm:@s/foo"
			return specAlias, rest, "*"
		}
		return specAlias, rest[:at], rest[at+1:]
	case strings.HasPrefix(s, "file:"), strings.HasPrefix(s, "link:"),
		strings.HasPrefix(s, "./"), strings.HasPrefix(s, "../"),
		strings.HasPrefix(s, "/"), strings.HasPrefix(s, "~/"):
		if isTarballPath(s) {
			return specFile, "", ""
		}
		return specDir, "", ""
	case strings.HasPrefix(s, "git+"), strings.HasPrefix(s, "git:"),
		strings.HasPrefix(s, "github:"), strings.HasPrefix(s, "gitlab:"),
		strings.HasPrefix(s, "bitbucket:"), strings.HasPrefix(s, "gist:"):
		return specGit, "", ""
	case strings.HasPrefix(s, "http://"), strings.HasPrefix(s, "https://"):
		return specRemote, "", ""
	}
	if validRange(s) {
		return specRange, "", ""
	}
	if shortGitRe.MatchString(s) {
		return specGit, "", ""
	}
	if tagRe.MatchString(s) {
		return specTag, "", ""
	}
	return specRange, "", "" // invalid: checked (and failed) as a range
}

func isTarballPath(s string) bool {
	return strings.HasSuffix(s, ".tgz") || strings.HasSuffix(s, ".tar.gz") || strings.HasSuffix(s, ".tar")
}
