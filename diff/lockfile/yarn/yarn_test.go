package yarn

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestParseDetails(t *testing.T) {
	for _, tc := range []struct {
		file, format string
	}{{"testdata/basic-head.v1.lock", "yarn-v1"}, {"testdata/basic-head.berry-v10.lock", "yarn-berry-v10"}} {
		data, err := os.ReadFile(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		l, err := Parse(data, tc.file)
		if err != nil {
			t.Fatal(err)
		}
		if l.Format != tc.format {
			t.Errorf("%s: format %q", tc.file, l.Format)
		}
		for _, p := range l.Packages {
			if p.Name == "string-width" && !strings.Contains(p.Path, "sw@npm:string-width@4.2.3") {
				t.Errorf("%s: alias path %q", tc.file, p.Path)
			}
			if p.Name == "debug" && !reflect.DeepEqual(p.Dependencies, []string{"ms"}) {
				t.Errorf("%s: debug deps %v", tc.file, p.Dependencies)
			}
			if !p.Local && p.Integrity == "" {
				t.Errorf("%s: %s has no integrity", tc.file, p.ID())
			}
		}
	}
}

func TestErrorsAndBadEntries(t *testing.T) {
	for _, tc := range []struct {
		name, doc, err string
		ids            []string
		warn           string
	}{
		{name: "v1", doc: "# yarn lockfile v1\n\n\"@s/a@^1\", \"@s/a@^1.1\":\n  version \"1.2.0\"\n  resolved \"https://registry.yarnpkg.com/@s/a/-/a-1.2.0.tgz#0123456789abcdef0123456789abcdef01234567\"\n",
			ids: []string{"@s/a@1.2.0"}},
		{name: "no version", doc: "a@^1:\n  resolved \"x\"\n\nb@^2:\n  version \"2.0.0\"\n", ids: []string{"b@2.0.0"}, warn: `x.lock:1: skipped entry "a@^1": no version`},
		{name: "berry no resolution", doc: "__metadata:\n  version: 8\n\n\"a@npm:^1\":\n  version: 1.0.0\n\n\"b@npm:^2\":\n  version: 2.0.0\n  resolution: \"b@npm:2.0.0\"\n",
			ids: []string{"b@2.0.0"}, warn: `x.lock:4: skipped entry "a@npm:^1": no resolution`},
		{name: "bad indent", doc: "a@^1:\n   version \"1\"\n", err: `failed to read "x.lock": 2:4: unexpected indentation of 3 spaces`},
		{name: "no colon", doc: "a@^1\n  version \"1\"\n", err: `failed to read "x.lock": 1:4: expected ":"`},
		{name: "unterminated", doc: "a@^1:\n  version \"1\n", err: `failed to read "x.lock": 2:11: bad quoted string`},
		{name: "conflict", doc: "a@^1:\n<<<<<<< HEAD\n", err: `failed to read "x.lock": 2:1: git merge conflict marker`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := Parse([]byte(tc.doc), "x.lock")
			if tc.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, p := range l.Packages {
				ids = append(ids, p.ID())
			}
			if !reflect.DeepEqual(ids, tc.ids) {
				t.Errorf("ids %v, want %v", ids, tc.ids)
			}
			if tc.name == "v1" && l.Packages[0].Integrity != "sha1-ASNFZ4mrze8BI0VniavN7wEjRWc=" {
				t.Errorf("sha1 from the URL fragment: %q", l.Packages[0].Integrity)
			}
			if tc.warn != "" && (len(l.Warnings) != 1 || l.Warnings[0] != tc.warn) {
				t.Errorf("warnings %q, want %q", l.Warnings, tc.warn)
			}
		})
	}
}
