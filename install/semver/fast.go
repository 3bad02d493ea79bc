package semver

import "strings"

// fastComparators handles the overwhelmingly common shape of a || part
// without regular expressions: single-space separated tokens, each an
// optional operator (^ ~ ~> = < > <= >=) glued to a partial version whose
// numbers have no leading zeros and at most 15 digits, with a prerelease
// only on a full x.y.z and no build metadata. For such input node-semver's
// hyphen, trim, build and star rewrites are the identity (or turn a bare
// "*" into ""), so only the caret, tilde and x-range rewrites remain, and
// those are shared with the slow path. ok is false when the part does not
// have this shape.
func fastComparators(part string, opts Options) (list []string, ok bool) {
	if part == "" {
		return []string{""}, true
	}
	if len(part) > safeFromLen {
		return nil, false
	}
	var b strings.Builder
	toks, ok := joinOperators(strings.Split(part, " "))
	if !ok {
		return nil, false
	}
	for i, tok := range toks {
		op, M, mi, p, pr, ok := fastToken(tok)
		if !ok {
			return nil, false
		}
		var out string
		switch op {
		case "^":
			out = caretString(M, mi, p, pr, opts.IncludePrerelease)
		case "~", "~>":
			out = tildeString(M, mi, p, pr, opts.IncludePrerelease)
		default:
			out = xRangeString(tok, op, M, mi, p, opts.IncludePrerelease)
			if out == "*" {
				out = ""
			} else if strings.IndexByte(out, '*') >= 0 {
				// An invalid x-range such as 1.*.2 is left alone, and
				// node-semver's star rewrite then edits it: use the slow path.
				return nil, false
			}
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(out)
	}
	list = jsSplitSpace(b.String())
	gte0 := ">=0.0.0"
	if opts.IncludePrerelease {
		gte0 = ">=0.0.0-0"
	}
	for i, c := range list {
		if c == gte0 {
			list[i] = ""
		}
	}
	return list, true
}

// joinOperators glues an operator standing alone ("> =" aside) to the
// version after it, as node-semver's comparator, tilde and caret trims do
// (">= 4.21.0" is ">=4.21.0", "~ 1.2" is "~1.2"); ok is false when an
// operator is not followed by something that starts like a version.
func joinOperators(toks []string) (out []string, ok bool) {
	out = toks[:0:0]
	for i := 0; i < len(toks); i++ {
		switch toks[i] {
		case "<", ">", "<=", ">=", "=", "~", "~>", "^":
			if i+1 == len(toks) || toks[i+1] == "" || strings.IndexByte("0123456789xX*", toks[i+1][0]) < 0 {
				return nil, false
			}
			out = append(out, toks[i]+toks[i+1])
			i++
		default:
			out = append(out, toks[i])
		}
	}
	return out, true
}

// fastToken splits tok into operator, major, minor, patch and prerelease
// (absent parts are ""), or reports that tok is outside the fast grammar.
func fastToken(tok string) (op, M, mi, p, pr string, ok bool) {
	i := 0
	switch {
	case strings.HasPrefix(tok, "~>"), strings.HasPrefix(tok, "<="), strings.HasPrefix(tok, ">="):
		i = 2
	case tok != "" && strings.IndexByte("^~=<>", tok[0]) >= 0:
		i = 1
	}
	op = tok[:i]
	nums := [3]string{}
	n := 0
	for n < 3 {
		start := i
		switch {
		case i >= len(tok):
			return
		case tok[i] == 'x' || tok[i] == 'X' || tok[i] == '*':
			i++
		case tok[i] == '0':
			i++
		case tok[i] >= '1' && tok[i] <= '9':
			for i < len(tok) && isDigit(tok[i]) {
				i++
			}
			if i-start > 15 {
				return
			}
		default:
			return
		}
		nums[n] = tok[start:i]
		n++
		if i == len(tok) {
			break
		}
		if tok[i] != '.' || n == 3 {
			break
		}
		i++
	}
	M, mi, p = nums[0], nums[1], nums[2]
	if i < len(tok) {
		// Only a prerelease may follow, and only after three numbers.
		if n != 3 || tok[i] != '-' || isX(M) || isX(mi) || isX(p) {
			return
		}
		var q parts
		if !parseStrict("0.0.0"+tok[i:], &q) || q.build != "" {
			return
		}
		pr = q.pre
	}
	return op, M, mi, p, pr, true
}
