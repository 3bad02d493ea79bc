package semver

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// The regular expressions below are node-semver's grammar (internal/re.js),
// rebuilt token by token. node-semver matches with its "safe" variants, in
// which the unbounded \s, \d and [a-zA-Z0-9-] repetitions are capped; safe()
// applies the same caps, and goRE() turns JavaScript's \s into the explicit
// JavaScript whitespace class (Go's \s is ASCII only).

const (
	maxLength           = 256
	maxSafeComponentLen = 16
	maxSafeBuildLength  = maxLength - 6
	maxSafeInteger      = 1<<53 - 1
	letterDashNumber    = `[a-zA-Z0-9-]`
)

// safe mirrors node-semver's makeSafeRegex.
func safe(src string) string {
	for _, r := range []struct {
		token string
		max   int
	}{{`\s`, 1}, {`\d`, maxLength}, {letterDashNumber, maxSafeBuildLength}} {
		m := strconv.Itoa(r.max)
		src = strings.ReplaceAll(src, r.token+"*", r.token+"{0,"+m+"}")
		src = strings.ReplaceAll(src, r.token+"+", r.token+"{1,"+m+"}")
	}
	return src
}

// goRE converts a JavaScript regular-expression source to Go syntax: \s
// becomes JavaScript's whitespace set.
func goRE(src string) string {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '\\' && i+1 < len(src):
			if src[i+1] == 's' {
				if inClass {
					b.WriteString(jsSpaceClass)
				} else {
					b.WriteString("[" + jsSpaceClass + "]")
				}
			} else {
				b.WriteByte(c)
				b.WriteByte(src[i+1])
			}
			i++
			continue
		case c == '[':
			inClass = true
		case c == ']':
			inClass = false
		}
		b.WriteByte(c)
	}
	return b.String()
}

// Token sources, named as in node-semver.
var (
	srcNumericIdentifier      = `0|[1-9]\d*`
	srcNumericIdentifierLoose = `\d+`
	srcNonNumericIdentifier   = `\d*[a-zA-Z-]` + letterDashNumber + `*`

	srcMainVersionLoose = `(` + srcNumericIdentifierLoose + `)\.(` + srcNumericIdentifierLoose + `)\.(` + srcNumericIdentifierLoose + `)`
	srcMainVersion      = `(` + srcNumericIdentifier + `)\.(` + srcNumericIdentifier + `)\.(` + srcNumericIdentifier + `)`

	srcPrereleaseIdentifier      = `(?:` + srcNonNumericIdentifier + `|` + srcNumericIdentifier + `)`
	srcPrereleaseIdentifierLoose = `(?:` + srcNonNumericIdentifier + `|` + srcNumericIdentifierLoose + `)`
	srcPrerelease                = `(?:-(` + srcPrereleaseIdentifier + `(?:\.` + srcPrereleaseIdentifier + `)*))`
	srcPrereleaseLoose           = `(?:-?(` + srcPrereleaseIdentifierLoose + `(?:\.` + srcPrereleaseIdentifierLoose + `)*))`

	srcBuildIdentifier = letterDashNumber + `+`
	srcBuild           = `(?:\+(` + srcBuildIdentifier + `(?:\.` + srcBuildIdentifier + `)*))`

	srcFullPlain  = `v?` + srcMainVersion + srcPrerelease + `?` + srcBuild + `?`
	srcLoosePlain = `[v=\s]*` + srcMainVersionLoose + srcPrereleaseLoose + `?` + srcBuild + `?`

	srcGTLT = `((?:<|>)?=?)`

	srcXRangeIdentifierLoose = srcNumericIdentifierLoose + `|x|X|\*`
	srcXRangeIdentifier      = srcNumericIdentifier + `|x|X|\*`

	srcXRangePlain = `[v=\s]*(` + srcXRangeIdentifier + `)` +
		`(?:\.(` + srcXRangeIdentifier + `)` +
		`(?:\.(` + srcXRangeIdentifier + `)` +
		`(?:` + srcPrerelease + `)?` + srcBuild + `?` +
		`)?)?`
	srcXRangePlainLoose = `[v=\s]*(` + srcXRangeIdentifierLoose + `)` +
		`(?:\.(` + srcXRangeIdentifierLoose + `)` +
		`(?:\.(` + srcXRangeIdentifierLoose + `)` +
		`(?:` + srcPrereleaseLoose + `)?` + srcBuild + `?` +
		`)?)?`

	srcLoneTilde = `(?:~>?)`
	srcLoneCaret = `(?:\^)`
)

// safeFromLen is the length below which every run of [a-zA-Z0-9-] in a
// range is far shorter than the caps of the safe expressions (250), even
// after the rewrites lengthen numbers and identifiers by a few characters.
// Such ranges are matched with the uncapped expressions, which accept
// exactly the same strings and are much cheaper for Go's regexp engine.
const safeFromLen = 200

// regexps is one set of the expressions the range parser uses, each
// compiled on first use: compiling all of them took ~5 ms, paid by every
// process that parses a range, and a parse with one options set uses about
// half of them.
type regexps struct {
	loose, xRange, xRangeLoose                         *lazyRE
	tildeTrim, tilde, tildeLoose                       *lazyRE
	caretTrim, caret, caretLoose                       *lazyRE
	comparator, comparatorLoose, comparatorTrim        *lazyRE
	hyphenRange, hyphenRangeLoose, star, gte0, gte0Pre *lazyRE
	build                                              *lazyRE
}

// lazyRE is an expression compiled once, when first used.
type lazyRE struct {
	src  string
	once sync.Once
	re   *regexp.Regexp
}

func (l *lazyRE) get() *regexp.Regexp {
	l.once.Do(func() { l.re = regexp.MustCompile(l.src) })
	return l.re
}

func compile(capped bool) *regexps {
	re := func(src string) *lazyRE {
		if capped {
			src = safe(src)
		} else {
			src = strings.ReplaceAll(strings.ReplaceAll(src, `\s*`, `\s{0,1}`), `\s+`, `\s{1,1}`)
		}
		return &lazyRE{src: goRE(src)}
	}
	return &regexps{
		loose:            re(`^` + srcLoosePlain + `$`),
		xRange:           re(`^` + srcGTLT + `\s*` + srcXRangePlain + `$`),
		xRangeLoose:      re(`^` + srcGTLT + `\s*` + srcXRangePlainLoose + `$`),
		tildeTrim:        re(`(\s*)` + srcLoneTilde + `\s+`),
		tilde:            re(`^` + srcLoneTilde + srcXRangePlain + `$`),
		tildeLoose:       re(`^` + srcLoneTilde + srcXRangePlainLoose + `$`),
		caretTrim:        re(`(\s*)` + srcLoneCaret + `\s+`),
		caret:            re(`^` + srcLoneCaret + srcXRangePlain + `$`),
		caretLoose:       re(`^` + srcLoneCaret + srcXRangePlainLoose + `$`),
		comparatorLoose:  re(`^` + srcGTLT + `\s*(` + srcLoosePlain + `)$|^$`),
		comparator:       re(`^` + srcGTLT + `\s*(` + srcFullPlain + `)$|^$`),
		comparatorTrim:   re(`(\s*)` + srcGTLT + `\s*(` + srcLoosePlain + `|` + srcXRangePlain + `)`),
		hyphenRange:      re(`^\s*(` + srcXRangePlain + `)\s+-\s+(` + srcXRangePlain + `)\s*$`),
		hyphenRangeLoose: re(`^\s*(` + srcXRangePlainLoose + `)\s+-\s+(` + srcXRangePlainLoose + `)\s*$`),
		star:             re(`(<|>)?=?\s*\*`),
		gte0:             re(`^\s*>=\s*0\.0\.0\s*$`),
		gte0Pre:          re(`^\s*>=\s*0\.0\.0-0\s*$`),
		build:            re(srcBuild),
	}
}

var (
	cappedRE   = sync.OnceValue(func() *regexps { return compile(true) })
	uncappedRE = sync.OnceValue(func() *regexps { return compile(false) })
	// node-semver strips build metadata from each || part with the
	// unbounded (not "safe") BUILD expression.
	buildStripRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(goRE(srcBuild)) })
)

// regexpsFor returns the expression set to use for range string s.
func regexpsFor(s string) *regexps {
	run := 0
	for i := 0; i < len(s); i++ {
		if isIdentChar(s[i]) {
			if run++; run > safeFromLen {
				return cappedRE()
			}
		} else {
			run = 0
		}
	}
	return uncappedRE()
}
