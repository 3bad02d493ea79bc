package diff

import "strings"

// Redact hides the credentials of every URL in s: the userinfo of
// "scheme://user:password@host" becomes "***" (a lockfile's resolved URL
// may carry a registry password or a token as the user name, which a
// pull-request comment must not repeat). The user name "git" alone, as
// in git+ssh://git@github.com/..., is no secret and is kept.
func Redact(s string) string {
	if !strings.Contains(s, "://") || !strings.Contains(s, "@") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "://")
		if i < 0 {
			break
		}
		start := i + 3
		b.WriteString(s[:start])
		s = s[start:]
		// the authority ends at the first of / ? # or a space
		end := len(s)
		for j := 0; j < len(s); j++ {
			if c := s[j]; c == '/' || c == '?' || c == '#' || c == ' ' || c == '\t' || c == '\n' || c == '"' || c == '<' || c == '>' {
				end = j
				break
			}
		}
		if at := strings.LastIndexByte(s[:end], '@'); at >= 0 && s[:at] != "git" {
			b.WriteString("***")
			s = s[at:]
		}
	}
	b.WriteString(s)
	return b.String()
}
