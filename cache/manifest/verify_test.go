package manifest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockstep-dev/lockstep/install/packument"
)

func TestScan(t *testing.T) {
	const reg = "https://registry.example/"
	p := &packument.Packument{Name: "x", DistTags: map[string]string{"latest": "1.0.0"}}
	tests := []struct {
		name   string
		damage func(t *testing.T, c *Cache) // after storing "x" and "@s/y"
		want   map[string]FileStatus        // file base name → status
	}{
		{name: "intact", damage: func(t *testing.T, c *Cache) {},
			want: map[string]FileStatus{"x": FileOK, "@s%2fy": FileOK}},
		{name: "flipped byte", damage: func(t *testing.T, c *Cache) {
			path, _ := c.path(reg, "x")
			b, _ := os.ReadFile(path)
			b[len(b)-1] ^= 1
			os.WriteFile(path, b, 0o644)
		}, want: map[string]FileStatus{"x": FileCorrupt, "@s%2fy": FileOK}},
		{name: "truncated", damage: func(t *testing.T, c *Cache) {
			path, _ := c.path(reg, "x")
			os.Truncate(path, 5)
		}, want: map[string]FileStatus{"x": FileCorrupt, "@s%2fy": FileOK}},
		{name: "renamed entry", damage: func(t *testing.T, c *Cache) {
			// A valid entry under another name would serve the wrong
			// package: Load refuses it, Scan reports it.
			path, _ := c.path(reg, "x")
			os.Rename(path, filepath.Join(filepath.Dir(path), "z"))
		}, want: map[string]FileStatus{"z": FileCorrupt, "@s%2fy": FileOK}},
		{name: "temp and stray and old version", damage: func(t *testing.T, c *Cache) {
			path, _ := c.path(reg, "x")
			os.WriteFile(path+".tmp-1-1", []byte("half"), 0o644)
			os.WriteFile(filepath.Join(c.Dir(), "README"), nil, 0o644)
			os.MkdirAll(filepath.Join(c.Dir(), "v1", "abc"), 0o755)
		}, want: map[string]FileStatus{"x": FileOK, "@s%2fy": FileOK, "x.tmp-1-1": FileTemp, "README": FileStray, "v1": FileOtherVersion}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Store(reg, "x", p, Validators{ETag: `"e"`}); err != nil {
				t.Fatal(err)
			}
			if err := c.Store(reg, "@s/y", &packument.Packument{Name: "@s/y"}, Validators{}); err != nil {
				t.Fatal(err)
			}
			tt.damage(t, c)
			reports, err := c.Scan()
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]FileStatus{}
			for _, r := range reports {
				got[filepath.Base(r.Path)] = r.Status
				if r.Status == FileCorrupt && (r.Err == nil || !strings.Contains(r.Err.Error(), "corrupt")) {
					t.Errorf("%s: corrupt without a reason: %v", r.Path, r.Err)
				}
			}
			if len(got) != len(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s: %v, want %v", k, got[k], v)
				}
			}
		})
	}
}

func TestScanMissingDir(t *testing.T) {
	c, _ := Open(filepath.Join(t.TempDir(), "nope"))
	if r, err := c.Scan(); err != nil || len(r) != 0 {
		t.Errorf("Scan = %v, %v", r, err)
	}
}

// A password in the registry URL is not written into the cache, and the
// entry is found whatever credentials the URL carries.
func TestStoreStripsRegistryCredentials(t *testing.T) {
	c, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const secret = "hunter2SECRET"
	withCreds := "https://user:" + secret + "@registry.example/npm/"
	if err := c.Store(withCreds, "x", &packument.Packument{Name: "x"}, Validators{}); err != nil {
		t.Fatal(err)
	}
	reports, err := c.Scan()
	if err != nil || len(reports) != 1 || reports[0].Status != FileOK {
		t.Fatalf("Scan = %+v, %v", reports, err)
	}
	b, _ := os.ReadFile(reports[0].Path)
	if strings.Contains(string(b), secret) || strings.Contains(reports[0].Path, secret) {
		t.Errorf("the cache entry holds the password")
	}
	for _, reg := range []string{"https://registry.example/npm", "https://other:pw@registry.example/npm/"} {
		if _, err := c.Load(reg, "x"); err != nil {
			t.Errorf("Load(%q): %v", reg, err)
		}
	}
}
