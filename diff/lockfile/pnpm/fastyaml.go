package pnpm

import (
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// fastParse builds the node tree of the YAML subset pnpm writes — block
// mappings, single-line plain and quoted scalars, single-line flow
// mappings and sequences of scalars, block sequences of scalars — about
// ten times faster than the general decoder. It reports false for anything
// outside that subset (anchors, tags, block scalars, multi-line or nested
// flow collections, escapes, duplicate keys, several documents, ...), and
// the caller then decodes with go.yaml.in/yaml/v3, which also produces the
// error messages. The tree has the Kind, Value, Line and Column the
// general decoder would give for what the reader looks at.
func fastParse(data []byte) (*yaml.Node, bool) {
	p := fastParser{}
	if !p.run(data) {
		return nil, false
	}
	if p.root == nil || !noDuplicates(p.root, map[string]struct{}{}) {
		return nil, false
	}
	return &yaml.Node{Kind: yaml.DocumentNode, Line: p.root.Line, Column: p.root.Column, Content: []*yaml.Node{p.root}}, true
}

type level struct {
	indent int
	node   *yaml.Node // a mapping or a sequence
	start  int        // where its children begin in fastParser.open
}

type fastParser struct {
	root  *yaml.Node
	stack []level
	// pending is a key whose value opens on the next lines
	pending       *yaml.Node
	pendingIndent int
	pendingCol    int // where its null value would be
	// cur is the line being read; columns count its characters, as the
	// general decoder does, not bytes
	cur      string
	curASCII bool
	slab     []yaml.Node
	// open holds the children of the collections on the stack, each
	// level's after its parent's; a level's children move to one
	// exact-size slice, cut from ptrSlab, when it closes (appending to
	// each Content grew thousands of small slices)
	open    []*yaml.Node
	ptrSlab []*yaml.Node
}

// col turns a 1-based byte column of the current line into a character
// column.
func (p *fastParser) col(byteCol int) int {
	if p.curASCII || byteCol <= 1 || byteCol > len(p.cur)+1 {
		return byteCol
	}
	return utf8.RuneCountInString(p.cur[:byteCol-1]) + 1
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// add appends a child to the innermost open collection.
func (p *fastParser) add(n *yaml.Node) { p.open = append(p.open, n) }

// push opens a collection as the innermost.
func (p *fastParser) push(indent int, n *yaml.Node) {
	p.stack = append(p.stack, level{indent, n, len(p.open)})
}

// pop closes the innermost collection.
func (p *fastParser) pop() {
	lv := p.stack[len(p.stack)-1]
	kids := p.open[lv.start:]
	if len(kids) > 0 {
		if len(p.ptrSlab) < len(kids) {
			p.ptrSlab = make([]*yaml.Node, max(4096, len(kids)))
		}
		c := p.ptrSlab[:len(kids):len(kids)]
		p.ptrSlab = p.ptrSlab[len(kids):]
		copy(c, kids)
		lv.node.Content = c
	}
	clear(kids)
	p.open = p.open[:lv.start]
	p.stack = p.stack[:len(p.stack)-1]
}

func (p *fastParser) newNode() *yaml.Node {
	if len(p.slab) == 0 {
		p.slab = make([]yaml.Node, 1024)
	}
	n := &p.slab[0]
	p.slab = p.slab[1:]
	return n
}

func (p *fastParser) scalar(v string, line, col int, style yaml.Style) *yaml.Node {
	n := p.newNode()
	n.Kind, n.Value, n.Line, n.Column, n.Style = yaml.ScalarNode, v, line, p.col(col), style
	n.Tag = "!!str"
	return n
}

func (p *fastParser) run(data []byte) bool {
	s := string(data)
	s = strings.TrimPrefix(s, "\ufeff")
	if !utf8.ValidString(s) {
		return false
	}
	if !isASCII(s) {
		for _, r := range s {
			// outside YAML's printable set, or taken as a line break
			if (r >= 0x80 && r < 0xa0) || r == 0xfeff || r == 0xfffe || r == 0xffff || r == 0x2028 || r == 0x2029 {
				return false
			}
		}
	}
	lineNo := 0
	for len(s) > 0 {
		lineNo++
		var line string
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			line, s = s[:i], s[i+1:]
		} else {
			line, s = s, ""
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		for i := 0; i < len(line); i++ {
			if c := line[i]; c < 0x20 || c == 0x7f {
				return false // tabs, a lone CR, control characters
			}
		}
		trimmed := strings.TrimLeft(line, " ")
		if trimmed == "" || trimmed[0] == '#' {
			continue
		}
		indent := len(line) - len(trimmed)
		if trimmed[0] == '\t' || strings.HasPrefix(line, "---") || strings.HasPrefix(line, "...") || line[0] == '%' {
			return false
		}
		p.cur, p.curASCII = line, isASCII(line)
		if !p.line(trimmed, indent, lineNo) {
			return false
		}
	}
	if p.pending != nil {
		p.closePending()
	}
	for len(p.stack) > 0 {
		p.pop()
	}
	return true
}

// closePending gives a key with nothing under it a null value.
func (p *fastParser) closePending() {
	k := p.open[len(p.open)-1]
	n := p.newNode()
	n.Kind, n.Tag, n.Line, n.Column = yaml.ScalarNode, "!!null", k.Line, p.pendingCol
	p.add(n)
	p.pending = nil
}

func (p *fastParser) line(t string, indent, lineNo int) bool {
	seqItem := strings.HasPrefix(t, "- ") || t == "-"
	if p.pending != nil {
		// the value of the pending key: a deeper block, or a sequence at
		// the key's own indentation
		if indent > p.pendingIndent || (seqItem && indent == p.pendingIndent) {
			n := p.newNode()
			n.Kind, n.Tag, n.Line, n.Column = yaml.MappingNode, "!!map", lineNo, indent+1
			if seqItem {
				n.Kind, n.Tag = yaml.SequenceNode, "!!seq"
			}
			p.add(n)
			p.push(indent, n)
			p.pending = nil
		} else {
			p.closePending()
		}
	}
	if p.root == nil {
		if indent != 0 || seqItem {
			return false
		}
		p.root = p.newNode()
		p.root.Kind, p.root.Tag, p.root.Line, p.root.Column = yaml.MappingNode, "!!map", lineNo, 1
		p.push(0, p.root)
	}
	for len(p.stack) > 0 && p.stack[len(p.stack)-1].indent > indent {
		p.pop()
	}
	if len(p.stack) == 0 || p.stack[len(p.stack)-1].indent != indent {
		return false // a continuation line, or a bad indentation
	}
	top := p.stack[len(p.stack)-1].node
	if seqItem {
		if top.Kind != yaml.SequenceNode {
			return false
		}
		v := strings.TrimLeft(t[1:], " ")
		col := indent + len(t) - len(v) + 1
		if v == "" {
			col = indent + 2 // a null item sits right after its dash
		}
		n, ok := p.value(v, lineNo, col)
		if !ok || n.Kind != yaml.ScalarNode {
			return false
		}
		p.add(n)
		return true
	}
	if top.Kind != yaml.MappingNode {
		if len(p.stack) < 2 {
			return false
		}
		// the sequence ended at its key's indentation
		p.pop()
		top = p.stack[len(p.stack)-1].node
		if top.Kind != yaml.MappingNode || p.stack[len(p.stack)-1].indent != indent {
			return false
		}
	}
	key, rest, colon, ok := p.key(t, lineNo, indent+1)
	if !ok {
		return false
	}
	p.add(key)
	if rest == "" {
		p.pending, p.pendingIndent, p.pendingCol = key, indent, p.col(indent+colon+2)
		return true
	}
	v, ok := p.value(rest, lineNo, indent+len(t)-len(rest)+1)
	if !ok {
		return false
	}
	p.add(v)
	return true
}

// key reads `key:` or `key: value`, the key plain or quoted; rest is the
// value text, "" when the value opens below.
func (p *fastParser) key(t string, line, col int) (*yaml.Node, string, int, bool) {
	var k, rest string
	var colon int // index of the ':' in t
	style := yaml.Style(0)
	switch t[0] {
	case '\'', '"':
		v, r, ok := quoted(t)
		if !ok {
			return nil, "", 0, false
		}
		k, rest = v, r
		style = yaml.SingleQuotedStyle
		if t[0] == '"' {
			style = yaml.DoubleQuotedStyle
		}
		if !strings.HasPrefix(rest, ":") {
			return nil, "", 0, false
		}
		colon = len(t) - len(rest)
		rest = rest[1:]
	default:
		if strings.ContainsRune("{[]}&*!|>%@`?,:#\"'", rune(t[0])) {
			return nil, "", 0, false
		}
		i := strings.Index(t, ": ")
		switch {
		case i >= 0:
			k, rest, colon = t[:i], t[i+1:], i
		case t[len(t)-1] == ':':
			k, rest, colon = t[:len(t)-1], "", len(t)-1
		default:
			return nil, "", 0, false
		}
		if strings.Contains(k, " #") {
			return nil, "", 0, false
		}
		k = strings.TrimRight(k, " ")
		if k == "" {
			return nil, "", 0, false
		}
	}
	if rest != "" && rest[0] != ' ' {
		return nil, "", 0, false
	}
	if colon > 1000 {
		return nil, "", 0, false // YAML caps an implicit key at 1024 characters
	}
	rest = strings.TrimLeft(rest, " ")
	if strings.HasPrefix(rest, "#") {
		rest = ""
	}
	return p.scalar(k, line, col, style), rest, colon, true
}

// value reads a single-line value: a scalar, or a flow mapping or
// sequence of scalars.
func (p *fastParser) value(v string, line, col int) (*yaml.Node, bool) {
	if v == "" {
		n := p.newNode()
		n.Kind, n.Tag, n.Line, n.Column = yaml.ScalarNode, "!!null", line, p.col(col)
		return n, true
	}
	switch v[0] {
	case '{', '[':
		return p.flow(v, line, col)
	case '\'', '"':
		s, rest, ok := quoted(v)
		if !ok {
			return nil, false
		}
		rest = strings.TrimLeft(rest, " ")
		if rest != "" && rest[0] != '#' {
			return nil, false
		}
		style := yaml.SingleQuotedStyle
		if v[0] == '"' {
			style = yaml.DoubleQuotedStyle
		}
		return p.scalar(s, line, col, style), true
	case '&', '*', '!', '|', '>', '%', '@', '`', '?', '-', ',', ']', '}', '#':
		if v[0] == '-' && len(v) > 1 && v[1] != ' ' {
			break // "-1", a plain scalar
		}
		return nil, false
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = v[:i]
	}
	v = strings.TrimRight(v, " ")
	if strings.Contains(v, ": ") || strings.HasSuffix(v, ":") {
		return nil, false
	}
	return p.scalar(v, line, col, 0), true
}

// flow reads `{a: b, c: 'd'}` or `[a, b]` whose elements are scalars.
func (p *fastParser) flow(v string, line, col int) (*yaml.Node, bool) {
	isMap := v[0] == '{'
	closer := byte(']')
	n := p.newNode()
	n.Line, n.Column, n.Style = line, p.col(col), yaml.FlowStyle
	if isMap {
		closer = '}'
		n.Kind, n.Tag = yaml.MappingNode, "!!map"
	} else {
		n.Kind, n.Tag = yaml.SequenceNode, "!!seq"
	}
	pos := 1 // offset in v
	skip := func() {
		for pos < len(v) && v[pos] == ' ' {
			pos++
		}
	}
	// elem reads a scalar at pos; a key stops at ": " or ":" before the
	// closer
	elem := func(key bool) bool {
		start := pos
		var text string
		style := yaml.Style(0)
		switch c := v[pos]; c {
		case '\'', '"':
			q, rest, ok := quoted(v[pos:])
			if !ok {
				return false
			}
			style = yaml.SingleQuotedStyle
			if c == '"' {
				style = yaml.DoubleQuotedStyle
			}
			text, pos = q, len(v)-len(rest)
		case '{', '[', '&', '*', '!', '|', '>', '%', '@', '`', '?', ',', ']', '}', ':', '#':
			return false
		default:
			end := pos
			for ; end < len(v); end++ {
				c := v[end]
				if c == ',' || c == '[' || c == ']' || c == '{' || c == '}' {
					break
				}
				if c == ':' && (end+1 == len(v) || v[end+1] == ' ') {
					if !key {
						return false // "a: b: c"
					}
					break
				}
				if (c == '#' && v[end-1] == ' ') || c == '?' {
					return false // a comment; '?' ends a flow scalar for yaml.v3
				}
			}
			text = strings.TrimRight(v[pos:end], " ")
			pos = end
		}
		n.Content = append(n.Content, p.scalar(text, line, col+start, style))
		return true
	}
	for {
		skip()
		if pos >= len(v) {
			return nil, false // continues on the next line
		}
		if v[pos] == closer {
			rest := strings.TrimLeft(v[pos+1:], " ")
			return n, rest == "" || rest[0] == '#'
		}
		if !elem(isMap) {
			return nil, false
		}
		skip()
		if isMap {
			if pos >= len(v) || v[pos] != ':' {
				return nil, false
			}
			pos++
			skip()
			if pos >= len(v) || !elem(false) {
				return nil, false
			}
			skip()
		}
		if pos >= len(v) {
			return nil, false
		}
		switch v[pos] {
		case ',':
			pos++
		case closer:
		default:
			return nil, false
		}
	}
}

// quoted reads a single- or double-quoted scalar at the start of s;
// double-quoted strings with escapes are left to the general decoder.
func quoted(s string) (v, rest string, ok bool) {
	q := s[0]
	if q == '"' {
		i := strings.IndexByte(s[1:], '"')
		if i < 0 || strings.IndexByte(s[1:i+1], '\\') >= 0 {
			return "", "", false
		}
		return s[1 : i+1], s[i+2:], true
	}
	var b []byte
	for i := 1; i < len(s); i++ {
		if s[i] != '\'' {
			continue
		}
		if i+1 < len(s) && s[i+1] == '\'' {
			if b == nil {
				b = append(b, s[1:i]...)
			}
			b = append(b, '\'')
			// copy up to the next quote
			j := i + 2
			for j < len(s) && s[j] != '\'' {
				b = append(b, s[j])
				j++
			}
			i = j - 1
			continue
		}
		if b != nil {
			return string(b), s[i+1:], true
		}
		return s[1:i], s[i+1:], true
	}
	return "", "", false
}

// noDuplicates reports that no mapping in the tree repeats a key (the
// general decoder rejects that, so such a file goes to it).
func noDuplicates(n *yaml.Node, seen map[string]struct{}) bool {
	switch n.Kind {
	case yaml.MappingNode:
		if len(n.Content) > 16 {
			clear(seen)
			for i := 0; i < len(n.Content); i += 2 {
				k := n.Content[i].Value
				if _, dup := seen[k]; dup {
					return false
				}
				seen[k] = struct{}{}
			}
		} else {
			for i := 0; i < len(n.Content); i += 2 {
				for j := i + 2; j < len(n.Content); j += 2 {
					if n.Content[i].Value == n.Content[j].Value {
						return false
					}
				}
			}
		}
		for i := 1; i < len(n.Content); i += 2 {
			if !noDuplicates(n.Content[i], seen) {
				return false
			}
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			if !noDuplicates(c, seen) {
				return false
			}
		}
	}
	return true
}
