package lockfile

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestJSNumberLiteral(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0", "0"}, {"-0", "0"}, {"3", "3"}, {"3.0", "3"}, {"2.50", "2.5"}, {"1e2", "100"},
		{"1E2", "100"}, {"-1.5e-3", "-0.0015"}, {"1e21", "1e+21"}, {"1e20", "100000000000000000000"},
		{"123456789012345678901234", "1.2345678901234569e+23"}, {"1e-7", "1e-7"}, {"0.000001", "0.000001"},
		{"1.5e-7", "1.5e-7"}, {"5e-324", "5e-324"}, {"1e400", "null"}, {"-1e400", "null"}, {"1e-400", "0"},
		{"9007199254740993", "9007199254740992"}, {"0.1", "0.1"}, {"123456789012345", "123456789012345"},
	}
	for _, tt := range tests {
		if got := jsNumberLiteral(tt.in); got != tt.want {
			t.Errorf("jsNumberLiteral(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestWriteJSString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", `"plain"`},
		{"<>&", `"<>&"`},
		{"\u2028\u2029", "\"\u2028\u2029\""},
		{"q\"b\\", `"q\"b\\"`},
		{"\b\f\n\r\t", `"\b\f\n\r\t"`},
		{"\x00\x01\x1f\x7f", `"\u0000\u0001\u001f` + "\x7f\""},
		{"é😀", `"é😀"`},
		{"a\xffb", "\"a\uFFFDb\""},
		{"\xed\xa0\x80", `"\ud800"`},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		writeJSString(&b, tt.in)
		if b.String() != tt.want {
			t.Errorf("writeJSString(%q) = %s, want %s", tt.in, b.String(), tt.want)
		}
	}
}

func TestStringifyKeyOrder(t *testing.T) {
	v := map[string]any{
		"zeta":         map[string]any{},
		"dependencies": map[string]string{"b": "1", "a": "1"},
		"arr":          []any{},
		"name":         "n",
		"10":           map[string]any{"x": true},
		"2":            "two",
		"__proto__":    "dropped",
		"B":            1,
		"b":            false,
	}
	want := `{
  "2": "two",
  "10": {
    "x": true
  },
  "name": "n",
  "arr": [],
  "b": false,
  "B": 1,
  "dependencies": {
    "a": "1",
    "b": "1"
  },
  "zeta": {}
}
`
	if got := string(Stringify(v, "", "")); got != want {
		t.Errorf("Stringify =\n%s\nwant\n%s", got, want)
	}
}

// TestStringifyMatchesNode feeds hand-made documents through npm's own
// serializer (testdata/npm-stringify.js, with json-stringify-nice from the
// installed npm) and through Parse+Marshal.
func TestStringifyMatchesNode(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not installed")
	}
	docs := map[string]string{
		"numbers":  `{"lockfileVersion":3,"packages":{},"n":[0,-0,1.0,2.50,1e2,1E-7,1e21,123456789012345678901234,5e-324,1e400,0.1,-3.25e+5]}`,
		"strings":  `{"lockfileVersion":3,"packages":{"":{"name":"\u0000\u0007\b\f\n\r\t\u001f\u007f\"\\/<>&\u2028\u2029\u00e9\ud83d\ude00"}}}`,
		"keys":     `{"lockfileVersion":3,"packages":{},"k":{"b":{},"a":[],"10":1,"9":{},"01":1,"-1":1,"4294967295":1,"4294967294":1,"name":{},"resolved":"r","integrity":"i"}}`,
		"nested":   `{"lockfileVersion":3,"packages":{"":{"funding":[{"url":"u","type":"t"},"s",[[],{}]],"x":{"z":{"y":{"dependencies":{"b":"1","a":"2"}}}}}}}`,
		"dup keys": `{"lockfileVersion":3,"packages":{},"a":1,"b":2,"a":3}`,
		"crlf tab": "{\r\n\t\"lockfileVersion\": 3,\r\n\t\"packages\": {\"a\": {\"version\": \"1\"}}}",
	}
	dir := t.TempDir()
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			f := dir + "/" + strings.ReplaceAll(name, " ", "-") + ".json"
			if err := writeFile(f, doc); err != nil {
				t.Fatal(err)
			}
			want, err := exec.Command("node", "testdata/npm-stringify.js", f).Output()
			if err != nil {
				t.Skipf("npm's serializer unavailable: %v", err)
			}
			l, err := Parse([]byte(doc), f)
			if err != nil {
				t.Fatal(err)
			}
			if got := l.Marshal(); !bytes.Equal(got, want) {
				t.Errorf("Marshal differs from npm %s", firstDiff(got, want))
			}
		})
	}
}

func writeFile(p, s string) error { return os.WriteFile(p, []byte(s), 0o644) }
