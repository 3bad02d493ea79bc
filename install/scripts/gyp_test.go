package scripts

import (
	"os"
	"path/filepath"
	"testing"
)

func TestNeedsGypBuild(t *testing.T) {
	for _, c := range []struct {
		name string
		pkg  string // package.json; "" for none
		gyp  bool   // a binding.gyp file
		link bool
		want bool
	}{
		{"no binding.gyp", `{"name":"a"}`, false, false, false},
		{"binding.gyp, no scripts", `{"name":"a"}`, true, false, true},
		{"install script", `{"scripts":{"install":"make"}}`, true, false, false},
		{"preinstall script", `{"scripts":{"preinstall":"x"}}`, true, false, false},
		{"postinstall only", `{"scripts":{"postinstall":"x"}}`, true, false, true},
		{"gypfile false", `{"gypfile":false}`, true, false, false},
		{"unreadable package.json", "", true, false, true},
		{"link without scripts object", `{"name":"a"}`, true, true, false},
		{"link with scripts object", `{"scripts":{}}`, true, true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if c.pkg != "" {
				if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(c.pkg), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if c.gyp {
				if err := os.WriteFile(filepath.Join(dir, "binding.gyp"), []byte("{}"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if got := NeedsGypBuild(dir, c.link); got != c.want {
				t.Errorf("NeedsGypBuild = %v, want %v", got, c.want)
			}
		})
	}
}
