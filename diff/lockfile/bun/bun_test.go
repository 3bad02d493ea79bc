package bun

import (
	"reflect"
	"strings"
	"testing"
)

func TestStripJSONC(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"a": [1, 2,], }`, `{"a": [1, 2 ]  }`},
		{"{\"a\": \"x,}//\", // c\n \"b\": 1 /* d */,\n}", "{\"a\": \"x,}//\",     \n \"b\": 1         \n}"},
		{`{"a": "q\",]"}`, `{"a": "q\",]"}`},
	} {
		if got := string(StripJSONC([]byte(tc.in))); got != tc.want {
			t.Errorf("StripJSONC(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseSynthetic(t *testing.T) {
	doc := `{
  // comment
  "lockfileVersion": 1,
  "workspaces": {
    "": {
      "dependencies": { "sw": "npm:string-width@4", "t": "https://example.com/t-1.0.0.tgz", },
      "devDependencies": { "ws": "workspace:*", },
    },
  },
  "trustedDependencies": ["t"],
  "packages": {
    "sw": ["string-width@4.2.3", "", { "dependencies": { "ms": "^2" } }, "sha512-s"],
    "sw/ms": ["ms@2.1.3", "https://npm.corp/", {}, "sha512-m"],
    "ms": ["ms@1.0.0", "", {}, "sha512-m1"],
    "t": ["t@https://example.com/t-1.0.0.tgz", {}, "sha512-t"],
    "ws": ["ws@workspace:packages/ws"],
    "bad": 7,
  },
}`
	l, err := Parse([]byte(doc), "bun.lock")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range l.Packages {
		if !p.Local {
			got[p.ID()] = p.Resolved + "|" + p.Integrity + "|" + strings.Join(p.Dependencies, ",")
		}
	}
	want := map[string]string{"string-width@4.2.3": "|sha512-s|ms", "ms@2.1.3": "https://npm.corp/ms/-/ms-2.1.3.tgz|sha512-m|",
		"ms@1.0.0": "|sha512-m1|", "t@1.0.0": "https://example.com/t-1.0.0.tgz|sha512-t|"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("packages %v\nwant %v", got, want)
	}
	if len(l.Warnings) != 1 || !strings.HasPrefix(l.Warnings[0], `bun.lock:17:12: skipped entry "bad"`) {
		t.Errorf("warnings %q", l.Warnings)
	}
	if len(l.Direct) != 2 || l.Direct["string-width"] != "prod" || l.Direct["t"] != "prod" {
		t.Errorf("direct %v", l.Direct)
	}
	for _, p := range l.Packages {
		if p.Name == "t" && !p.InstallScript {
			t.Error("trusted dependency t: InstallScript not set")
		}
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"{\n  \"lockfileVersion\": 1,\n  \"packages\": {\n    \"a\": [\"a@1\" \"x\"]\n  }\n}", `failed to read "bun.lock": 4:17: invalid character '"' after array element`},
		{"{}", `failed to read "bun.lock": 1:1: no "lockfileVersion"`},
		{"{\"lockfileVersion\": 1, \"packages\": []}", `failed to read "bun.lock": 1:`},
	} {
		_, err := Parse([]byte(tc.doc), "bun.lock")
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
	}
}
