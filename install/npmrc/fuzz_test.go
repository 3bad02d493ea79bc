package npmrc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad: a project .npmrc of any content never panics Load; errors
// are "failed to …"; and a token set for a registry is redacted wherever
// it appears. Seed corpus: testdata/fuzz/FuzzLoad.
func FuzzLoad(f *testing.F) {
	f.Add("registry=https://r.example/\n@s:registry=https://s.example/\n", "tok_abcdef123456")
	f.Add("[section]\nkey = \"quoted\"\nlist[]=a\nlist[]=b\n; comment\n", "p4ssw0rd!")
	f.Add("//r.example/:_auth=dXNlcjpwYXNz\n//r.example/:username=u\n//r.example/:_password=cGFzcw==\n", "secretsecret")
	f.Add("cafile=${HOME}/ca.pem\nstrict-ssl=false\nfetch-retries=x\n", "${NOT_SET}")
	f.Fuzz(func(t *testing.T, content, token string) {
		dir := t.TempDir()
		rc := content + "\n//reg.example/:_authToken=" + token + "\n"
		if err := os.WriteFile(filepath.Join(dir, ".npmrc"), []byte(rc), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := Load(LoadOptions{Dir: dir, Home: dir, Getenv: func(string) string { return "" }, Environ: []string{}})
		if err != nil {
			if msg := err.Error(); !strings.HasPrefix(msg, "failed to ") || len(msg) > 8*len(rc)+1024 {
				t.Errorf("malformed error: %q", msg)
			}
			return
		}
		_ = cfg.Auth("https://reg.example/pkg")
		_ = cfg.RegistryFor("@s/x")
		v, ok := cfg.Get("//reg.example/:_authToken")
		if !ok || len(v) < 6 || strings.Contains(v, "*") || v == "true" || v == "false" {
			return
		}
		shown := cfg.Redact("token " + v + " in a message, and https://u:" + v + "@h/")
		if strings.Contains(shown, v) {
			t.Errorf("token %q survives Redact: %q", v, shown)
		}
	})
}
