package npmrc

import "strings"

// envReplace expands ${NAME} and ${NAME?} like @npmcli/config's
// env-replace.js: an unset NAME leaves ${NAME} in place, while ${NAME?}
// becomes empty; an odd run of backslashes before "$" escapes the expression
// (half of them, rounded up, are consumed) and an even run is halved.
func envReplace(s string, lookup func(string) (string, bool)) string {
	if !strings.Contains(s, "${") {
		return s
	}
	var b strings.Builder
	i := 0 // bytes of s already copied to b
	pos := 0
	for {
		j := strings.Index(s[pos:], "${")
		if j < 0 {
			break
		}
		dollar := pos + j
		// The name: one or more characters other than $ { } ?, then an
		// optional "?", then "}".
		k := dollar + 2
		for k < len(s) && !strings.ContainsRune("${}?", rune(s[k])) {
			k++
		}
		name := s[dollar+2 : k]
		optional := false
		if k < len(s) && s[k] == '?' {
			optional = true
			k++
		}
		if name == "" || k >= len(s) || s[k] != '}' {
			pos = dollar + 1
			continue
		}
		end := k + 1
		// The run of backslashes right before "$" (never starting inside the
		// previous match, which ends before pos).
		start := dollar
		for start > i && s[start-1] == '\\' {
			start--
		}
		nesc := dollar - start
		b.WriteString(s[i:start])
		if nesc%2 == 1 {
			b.WriteString(s[start+(nesc+1)/2 : end])
		} else {
			b.WriteString(s[start : start+nesc/2])
			if v, ok := lookup(name); ok {
				b.WriteString(v)
			} else if !optional {
				b.WriteString(s[dollar:end])
			}
		}
		i, pos = end, end
	}
	b.WriteString(s[i:])
	return b.String()
}
