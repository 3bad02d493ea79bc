package lockfile

import (
	"strings"
	"testing"
)

func TestParseV1(t *testing.T) {
	tests := []struct {
		name    string
		lock    string
		want    map[string]string // location -> name@version ("" name: the folder's)
		wantErr string
	}{
		{
			name: "nested and aliased",
			lock: `{"name":"p","version":"1.0.0","lockfileVersion":1,"requires":true,"dependencies":{
				"debug":{"version":"2.6.0","resolved":"https://r/debug-2.6.0.tgz","integrity":"sha512-d","requires":{"ms":"0.7.2"},
					"dependencies":{"ms":{"version":"0.7.2","integrity":"sha512-m"}}},
				"ms":{"version":"2.1.3"},
				"ms2":{"version":"npm:ms@2.0.0"},
				"@s/x":{"version":"1.0.0-beta.1","dev":true}}}`,
			want: map[string]string{
				"":                                   "p@1.0.0",
				"node_modules/debug":                 "@2.6.0",
				"node_modules/debug/node_modules/ms": "@0.7.2",
				"node_modules/ms":                    "@2.1.3",
				"node_modules/ms2":                   "ms@2.0.0",
				"node_modules/@s/x":                  "@1.0.0-beta.1",
			},
		},
		{name: "git", lock: `{"lockfileVersion":1,"dependencies":{"a":{"version":"github:o/a#abc"}}}`, wantErr: "not a registry version"},
		{name: "file", lock: `{"lockfileVersion":1,"dependencies":{"a":{"version":"file:../a"}}}`, wantErr: "not a registry version"},
		{name: "bundled", lock: `{"lockfileVersion":1,"dependencies":{"a":{"version":"1.0.0","dependencies":{"b":{"version":"1.0.0","bundled":true}}}}}`, wantErr: "bundled"},
		{name: "bad alias", lock: `{"lockfileVersion":1,"dependencies":{"a":{"version":"npm:b"}}}`, wantErr: "bad alias"},
		{name: "v2", lock: `{"lockfileVersion":2,"packages":{}}`, wantErr: "is not 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lf, err := ParseV1([]byte(tc.lock))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if lf.LockfileVersion != 1 {
				t.Errorf("LockfileVersion = %d, want 1 (Build inflates such entries)", lf.LockfileVersion)
			}
			got := map[string]string{}
			for k, p := range lf.Packages {
				got[k] = p.Name + "@" + p.Version
			}
			if len(got) != len(tc.want) {
				t.Errorf("entries = %v, want %v", got, tc.want)
			}
			for k, w := range tc.want {
				if got[k] != w {
					t.Errorf("%q = %q, want %q", k, got[k], w)
				}
			}
			if p := lf.Packages["node_modules/debug"]; p.Resolved != "https://r/debug-2.6.0.tgz" || p.Integrity != "sha512-d" {
				t.Errorf("debug resolved/integrity = %q %q", p.Resolved, p.Integrity)
			}
		})
	}
}
