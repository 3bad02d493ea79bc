package install

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/lockstep-dev/lockstep/internal/testserver"
)

func TestReadTarballInfo(t *testing.T) {
	tgz := testserver.MustTarball(
		testserver.TarEntry{Name: "package/package.json", Body: `{"name":"a","version":"1.0.0"}`},
		testserver.TarEntry{Name: "package/index.js", Body: "x"},
		testserver.TarEntry{Name: "package/node_modules/b/package.json", Body: `{"name":"b","version":"2.0.0"}`},
		testserver.TarEntry{Name: "package/node_modules/@s/c/node_modules/d/package.json", Body: `{"name":"d","version":"3.0.0"}`},
		testserver.TarEntry{Name: "package/node_modules/b/lib/package.json", Body: `{"not":"a package root"}`},
		testserver.TarEntry{Name: "package/node_modules/../../evil/package.json", Body: `{}`},
		testserver.TarEntry{Name: "package/node_modules/e/package.json", Type: '2', Linkname: "/etc/passwd"},
	)
	ti, err := readTarballInfo(bytes.NewReader(tgz))
	if err != nil {
		t.Fatal(err)
	}
	if want := testserver.SRI(tgz); ti.Integrity != want {
		t.Errorf("integrity = %s, want %s (the hash of every byte served)", ti.Integrity, want)
	}
	if string(ti.Manifest) != `{"name":"a","version":"1.0.0"}` {
		t.Errorf("manifest = %s", ti.Manifest)
	}
	got := map[string]string{}
	for k, v := range ti.Bundled {
		got[k] = string(v)
	}
	want := map[string]string{
		"node_modules/b":                   `{"name":"b","version":"2.0.0"}`,
		"node_modules/@s/c/node_modules/d": `{"name":"d","version":"3.0.0"}`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("bundled = %v, want %v", got, want)
	}

	for name, data := range map[string][]byte{
		"not gzip":        []byte("plain text"),
		"no package.json": testserver.MustTarball(testserver.TarEntry{Name: "package/index.js", Body: "x"}),
	} {
		if _, err := readTarballInfo(bytes.NewReader(data)); err == nil || !strings.HasPrefix(err.Error(), "failed to read tarball") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
