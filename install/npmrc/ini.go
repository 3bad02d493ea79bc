package npmrc

import (
	"encoding/json"
	"strings"
	"unicode"
)

// iniValue is one top-level key of an ini file after npm's ini.decode.
type iniValue struct {
	str     string   // scalar value (after unquoting)
	list    []string // key[]= values
	isList  bool
	literal bool // the value was the bare literal true/false/null (or a key without "=")
	line    int  // 1-based line of the last assignment
}

// iniEntry preserves file order for deterministic error reporting.
type iniEntry struct {
	key string
	val *iniValue
}

// iniError is a line npm's ini parser would silently drop.
type iniError struct {
	line int
	msg  string
}

func isJSSpace(r rune) bool { return unicode.IsSpace(r) || r == '\uFEFF' }

func jsTrim(s string) string { return strings.TrimFunc(s, isJSSpace) }

// parseINI decodes data like npm's ini package (bracketedArray mode). Keys
// inside [sections] are ignored: npm keeps them as nested objects which no
// config definition reads.
func parseINI(data string) ([]iniEntry, []iniError) {
	var (
		out       []iniEntry
		index     = map[string]*iniValue{}
		errs      []iniError
		inSection bool
	)
	lineNo := 0
	for _, physical := range strings.Split(data, "\n") {
		lineNo++
		for _, line := range strings.Split(physical, "\r") {
			if line == "" {
				continue
			}
			t := strings.TrimLeftFunc(line, isJSSpace)
			if t == "" || t[0] == ';' || t[0] == '#' {
				continue
			}
			if line[0] == '[' {
				if end := strings.IndexByte(line, ']'); end > 0 && strings.TrimRightFunc(line[end+1:], isJSSpace) == "" && !strings.Contains(line[1:end], "]") {
					inSection = true
					continue
				}
			}
			eq := strings.IndexByte(line, '=')
			if eq == 0 {
				errs = append(errs, iniError{lineNo, "missing key before \"=\""})
				continue
			}
			rawKey, hasEq, rawVal := line, false, ""
			if eq > 0 {
				rawKey, hasEq, rawVal = line[:eq], true, line[eq+1:]
			}
			if inSection {
				continue
			}
			key := iniUnsafe(rawKey)
			isArray := len(key) > 2 && strings.HasSuffix(key, "[]")
			if isArray {
				key = key[:len(key)-2]
			}
			if key == "__proto__" {
				continue
			}
			val := "true"
			if hasEq {
				val = iniUnsafe(rawVal)
			}
			// ini turns "true", "false" and "null" (quoted or not) into JSON values.
			literal := val == "true" || val == "false" || val == "null"
			v := index[key]
			if v == nil {
				v = &iniValue{}
				index[key] = v
				out = append(out, iniEntry{key, v})
			}
			v.line = lineNo
			switch {
			case isArray && !v.isList:
				v.isList = true
				v.list = nil
				if v.str != "" || v.literal {
					v.list = append(v.list, v.str)
				}
				v.list = append(v.list, val)
			case v.isList:
				v.list = append(v.list, val)
			default:
				v.str, v.literal = val, literal
			}
		}
	}
	return out, errs
}

// iniUnsafe mirrors ini's unsafe(): trim, unquote quoted values, otherwise
// cut at the first unescaped ";" or "#".
func iniUnsafe(val string) string {
	val = jsTrim(val)
	if (strings.HasPrefix(val, `"`) && strings.HasSuffix(val, `"`)) ||
		(strings.HasPrefix(val, "'") && strings.HasSuffix(val, "'")) {
		if val[0] == '\'' {
			if len(val) >= 2 {
				val = val[1 : len(val)-1]
			} else {
				val = ""
			}
		}
		var s string
		if err := json.Unmarshal([]byte(val), &s); err == nil {
			return s
		}
		return val
	}
	var b strings.Builder
	esc := false
	for i := 0; i < len(val); i++ {
		c := val[i]
		if esc {
			if c != '\\' && c != ';' && c != '#' {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
			esc = false
			continue
		}
		if c == ';' || c == '#' {
			break
		}
		if c == '\\' {
			esc = true
			continue
		}
		b.WriteByte(c)
	}
	if esc {
		b.WriteByte('\\')
	}
	return jsTrim(b.String())
}
