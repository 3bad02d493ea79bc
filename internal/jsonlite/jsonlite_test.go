package jsonlite

import (
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"
)

func TestValue(t *testing.T) {
	for _, c := range []struct {
		in   string
		want any
		ok   bool
	}{
		{`"a"`, "a", true},
		{` true `, true, true},
		{`false`, false, true},
		{`null`, nil, true},
		{`[]`, []any{}, true},
		{`{}`, map[string]any{}, true},
		{`{"a":["b",{"c":null}],"d":true}`, map[string]any{"a": []any{"b", map[string]any{"c": nil}}, "d": true}, true},
		{" {\n\t\"a\" : \"b\" ,\r\n \"c\":[ ] }", map[string]any{"a": "b", "c": []any{}}, true},
		{`1`, nil, false},                 // numbers are declined
		{`{"a":1}`, nil, false},           // also inside
		{`"a\"b"`, nil, false},            // escapes
		{"\"a\tb\"", nil, false},          // control characters
		{`{"a":"1","a":"2"}`, nil, false}, // a repeated key
		{`["a",]`, nil, false},            // not JSON
		{`{"a":"b"} x`, nil, false},       // trailing text
		{`tru`, nil, false},
		{``, nil, false},
	} {
		got, ok := Value(c.in)
		if ok != c.ok || ok && !reflect.DeepEqual(got, c.want) {
			t.Errorf("Value(%q) = %#v, %v; want %#v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
	deep := ""
	for range MaxDepth + 2 {
		deep = "[" + deep + "]"
	}
	if _, ok := Value(deep); ok {
		t.Errorf("Value read %d levels of nesting", MaxDepth+2)
	}
}

func TestStrMap(t *testing.T) {
	for _, c := range []struct {
		in   string
		want map[string]string
		ok   bool
	}{
		{`{"a":"^1","@s/b":"npm:c@2"}`, map[string]string{"a": "^1", "@s/b": "npm:c@2"}, true},
		{`{}`, map[string]string{}, true},
		{`{"a":null}`, nil, false},
		{`{"a":{"b":"c"}}`, nil, false},
		{`{"a":"1","a":"1"}`, nil, false},
		{`null`, nil, false},
	} {
		got, ok := StrMap(c.in)
		if ok != c.ok || ok && !reflect.DeepEqual(got, c.want) {
			t.Errorf("StrMap(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
	p := Scanner{S: `{"a":1} rest`}
	if _, ok := p.StrMap(); ok || p.I != 0 {
		t.Errorf("a declined StrMap left the scanner at %d, not 0", p.I)
	}
}

func TestSmallInt(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
		ok   bool
	}{{"3", 3, true}, {"0", 0, true}, {"123456789", 123456789, true}, {"1234567890", 0, false},
		{"03", 0, false}, {"3.0", 0, false}, {"3e0", 0, false}, {"-3", 0, false}, {"", 0, false}} {
		p := Scanner{S: c.in}
		got, ok := p.SmallInt()
		if ok != c.ok || ok && got != c.want {
			t.Errorf("SmallInt(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// skipAll reports whether Skip passes over all of s but whitespace.
func skipAll(s string) bool {
	p := Scanner{S: s}
	p.WS()
	return p.Skip() && p.End()
}

func TestSkip(t *testing.T) {
	for _, c := range []struct {
		in string
		ok bool
	}{
		{`"a"`, true},
		{` [true, false, null, [], {}] `, true},
		{`{"a":["b",{"c":null}],"d":true}`, true},
		{`{"a":"1","a":"2"}`, true}, // a repeated key does not matter to a skip
		{`1`, false},
		{`{"a":1}`, false},
		{`"a\"b"`, false},
		{`["a",]`, false},
		{`{"a" "b"}`, false},
		{`{"a":"b"} x`, false},
		{`nul`, false},
		{``, false},
	} {
		if got := skipAll(c.in); got != c.ok {
			t.Errorf("Skip(%q) = %v, want %v", c.in, got, c.ok)
		}
	}
	deep := ""
	for range MaxDepth + 2 {
		deep = "[" + deep + "]"
	}
	if skipAll(deep) {
		t.Errorf("Skip passed %d levels of nesting", MaxDepth+2)
	}
}

// FuzzValue: whatever Value reads, encoding/json reads the same; Skip
// passes over exactly what Value reads.
func FuzzValue(f *testing.F) {
	for _, s := range []string{`{"a":["b",{"c":null}],"d":true}`, `[]`, `"x"`, `{"a":"1","b":"2"}`, `[true,false,null]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return // encoding/json replaces invalid UTF-8; callers decode it first
		}
		got, ok := Value(s)
		if skipped := skipAll(s); ok && !skipped {
			t.Fatalf("Skip refused %q, which Value reads", s)
		} else if skipped && !ok {
			if err := json.Unmarshal([]byte(s), new(any)); err != nil {
				t.Fatalf("Skip passed %q, which encoding/json refuses: %v", s, err)
			}
		}
		if !ok {
			return
		}
		var want any
		if err := json.Unmarshal([]byte(s), &want); err != nil {
			t.Fatalf("Value read %q, which encoding/json refuses: %v", s, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Value(%q) = %#v, encoding/json %#v", s, got, want)
		}
	})
}
