package packument

import (
	"encoding/json"
	"strings"
	"testing"
)

// scanValid runs the scanner over one whole JSON text.
func scanValid(s string) bool {
	c := scanner{s: s}
	c.ws()
	return c.skip() && c.end()
}

// TestScanValid checks the scanner's grammar against encoding/json's
// Valid on texts that probe each rule; FuzzDecode compares the two on
// anything else.
func TestScanValid(t *testing.T) {
	long := strings.Repeat("abcdefgh", 5)
	docs := []string{
		``, ` `, `{}`, ` {} `, `[]`, `[ ]`, `{ }`, `"x"`, `0`, `-0`, `1`, `-`, `01`, `1.`, `1.5`, `.5`, `1e`,
		`1e5`, `1E+5`, `1e-5`, `1.5e+`, `-1.25E-3`, `+1`, `1x`, `tru`, `true`, `truex`, `false`, `null`,
		`nul`, `True`, `[1,]`, `[,1]`, `[1 2]`, `[1,2]`, `{"a":1,}`, `{"a" 1}`, `{"a":}`, `{a:1}`,
		`{"a":1 "b":2}`, `{"a":1}x`, `{"a":1}}`, `[[[]]]`, `[[[]]`, `{"a":[{"b":null}]}`, `{1:2}`,
		`"\u00e9"`, `"\u00zz"`, `"\u00e"`, `"\x"`, `"\/\b\f\n\r\t\"\\"`, `"\` + long + `"`,
		`"a` + "\x01" + `b"`, `"` + long + "\x1f" + `"`, `"` + long + "\t" + `"`, "\"\xff\"", "\"\x7f\"",
		`"` + long, `"` + long + `\"`, `"` + long + `\\"`, `"` + long + `\\\"`, `"abc`, `"ab\`,
		"\ufeff{}", "{}\x00", "{\n\t\"a\" :\r\n 1 }", `{"":""}`, `["` + long + `",` + `"` + long + `\n"]`,
		strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	}
	// Every place a special byte can fall in the scanner's words.
	for i := range len(long) + 1 {
		for _, b := range []string{`"`, `\n`, `\`, "\x00", "\x1f", " ", "\x80"} {
			docs = append(docs, `"`+long[:i]+b+long[i:]+`"`, `["`+long[:i]+b+`"]`)
		}
	}
	for _, doc := range docs {
		if got, want := scanValid(doc), json.Valid([]byte(doc)); got != want {
			t.Errorf("scanner on %q: valid = %v, encoding/json says %v", doc, got, want)
		}
	}
}

// TestDecodeNotJSON checks that Decode refuses what is not JSON, wherever
// the fault is: Decode reads the versions as it checks the text.
func TestDecodeNotJSON(t *testing.T) {
	for _, doc := range []string{
		`{"name":"a","versions":{"1.0.0":{"dist":{"tarball":"x"}}}`,
		`{"name":"a","versions":{"1.0.0":{"dist":{"tarball":"x"}}},}`,
		`{"name":"a","versions":{"1.0.0":{"readme":"a` + "\x01" + `"}}}`,
		`{"name":"a","versions":{"1.0.0":{"x":01}}}`,
		`{"versions":{"1.0.0":{"x":[1 2]}},"name":"a"}`,
		`{"name":"a","versions":{"1.0.0":{}},"readme":"\q"}`,
		`{"name":"a","versions":{"1.0.0":{}}} x`,
	} {
		if _, err := Decode([]byte(doc)); err == nil || !strings.Contains(err.Error(), "failed to decode packument") {
			t.Errorf("Decode(%q) = %v, want a JSON error", doc, err)
		}
	}
}
