package cli

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestResolveInstallStrategy: npm's install-strategy, from the flag, the
// environment or .npmrc (and its deprecated aliases legacy-bundling and
// global-style), decides where a@1.1.0's b@2 goes: hoisted to the top, or
// kept under a (nested and shallow alike for a direct dependency's own
// dependency).
func TestResolveInstallStrategy(t *testing.T) {
	reg := resolveRegistry(t)
	const top, under = `"node_modules/b": {`, `"node_modules/a/node_modules/b": {`
	cases := []struct {
		name   string
		args   []string
		env    map[string]string
		npmrc  string
		want   string // lock key expected; "" for a usage error
		errMsg string
	}{
		{name: "default hoisted", want: top},
		{name: "flag nested", args: []string{"--install-strategy", "nested"}, want: under},
		{name: "flag shallow", args: []string{"--install-strategy=shallow"}, want: under},
		{name: "flag hoisted over npmrc", args: []string{"--install-strategy", "hoisted"}, npmrc: "install-strategy=nested\n", want: top},
		{name: "npmrc nested", npmrc: "install-strategy=nested\n", want: under},
		{name: "npmrc legacy-bundling", npmrc: "legacy-bundling=true\n", want: under},
		{name: "env global-style", env: map[string]string{"npm_config_global_style": "true"}, want: under},
		{name: "env over npmrc", env: map[string]string{"npm_config_install_strategy": "nested"}, npmrc: "install-strategy=hoisted\n", want: under},
		{name: "alias false is no setting", env: map[string]string{"npm_config_legacy_bundling": "false"}, want: top},
		{name: "higher alias wins", env: map[string]string{"NPM_CONFIG_LEGACY_BUNDLING": "true"}, npmrc: "install-strategy=hoisted\n", want: under},
		{name: "env alias 0 is no setting", env: map[string]string{"npm_config_global_style": "0"}, want: top},
		{name: "npmrc invalid value ignored", npmrc: "install-strategy=flat\n", want: top},
		{name: "linked refused", args: []string{"--install-strategy", "linked"},
			errMsg: "failed to resolve: install-strategy=linked is not supported; use hoisted, nested or shallow"},
		{name: "npmrc linked refused", npmrc: "install-strategy=linked\n", errMsg: "install-strategy=linked is not supported"},
		{name: "flag invalid", args: []string{"--install-strategy", "flat"}, errMsg: `invalid value "flat" for --install-strategy`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stderr, lock := resolveCase(t, reg.URL(), `{"name":"x","dependencies":{"a":"^1.0.0"}}`, tc.npmrc, tc.env, tc.args...)
			if tc.errMsg != "" {
				if code != ExitUsage || !strings.Contains(stderr, tc.errMsg) {
					t.Fatalf("exit %d, stderr:\n%s\nwant exit %d and %q", code, stderr, ExitUsage, tc.errMsg)
				}
				if lock != "" {
					t.Error("a lockfile was written")
				}
				return
			}
			if code != ExitOK {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr)
			}
			for _, key := range []string{top, under} {
				if has := strings.Contains(lock, key); has != (key == tc.want) {
					t.Errorf("lockfile has %s = %v:\n%s", key, has, lock)
				}
			}
		})
	}
}

// TestResolveTagAndBefore: npm's tag (the dist-tag preferred when a range
// accepts it) and before (ignore versions published later) reach the
// resolver from .npmrc, the environment and flags.
func TestResolveTagAndBefore(t *testing.T) {
	const doc = `{"name":"x","dist-tags":{"latest":"1.2.0","next":"1.1.0"},` +
		`"time":{"1.0.0":"2020-01-01T00:00:00.000Z","1.1.0":"2021-01-01T00:00:00.000Z","1.2.0":"2022-01-01T00:00:00.000Z"},"versions":{` +
		`"1.0.0":{"name":"x","version":"1.0.0","dist":{"tarball":"http://h/x-1.0.0.tgz","integrity":"sha512-AAAA"}},` +
		`"1.1.0":{"name":"x","version":"1.1.0","dist":{"tarball":"http://h/x-1.1.0.tgz","integrity":"sha512-BBBB"}},` +
		`"1.2.0":{"name":"x","version":"1.2.0","dist":{"tarball":"http://h/x-1.2.0.tgz","integrity":"sha512-CCCC"}}}}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/x" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(doc))
	}))
	defer srv.Close()
	cases := []struct {
		name   string
		npmrc  string
		env    map[string]string
		want   string
		errMsg string
	}{
		{name: "default", want: "1.2.0"},
		{name: "npmrc tag", npmrc: "tag=next\n", want: "1.1.0"},
		{name: "env tag", env: map[string]string{"npm_config_tag": "next"}, want: "1.1.0"},
		{name: "env tag over npmrc", env: map[string]string{"npm_config_tag": "latest"}, npmrc: "tag=next\n", want: "1.2.0"},
		{name: "npmrc before date", npmrc: "before=2021-06-01\n", want: "1.1.0"},
		{name: "env before time", env: map[string]string{"npm_config_before": "2020-12-31T23:59:59Z"}, want: "1.0.0"},
		{name: "before bad date", npmrc: "before=someday\n", errMsg: `"someday" is not an ISO 8601 date`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stderr, lock := resolveCase(t, srv.URL, `{"name":"p","dependencies":{"x":"^1.0.0"}}`, tc.npmrc, tc.env)
			if tc.errMsg != "" {
				if code != ExitUsage || !strings.Contains(stderr, tc.errMsg) {
					t.Fatalf("exit %d, stderr:\n%s\nwant exit %d and %q", code, stderr, ExitUsage, tc.errMsg)
				}
				return
			}
			if code != ExitOK {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr)
			}
			if want := `"version": "` + tc.want + `"`; !strings.Contains(lock, "\"node_modules/x\": {\n      "+want) {
				t.Errorf("want x@%s, lockfile:\n%s", tc.want, lock)
			}
		})
	}
}

// resolveCase runs lockstep resolve (with node 20 and args) in a new
// project holding manifest as package.json, and npmrc as its .npmrc when
// set, with env as the whole environment. It returns the exit code, stderr
// and the lockfile written ("" when none was).
func resolveCase(t *testing.T, registry, manifest, npmrc string, env map[string]string, args ...string) (code int, stderr, lock string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	if npmrc != "" {
		if err := os.WriteFile(filepath.Join(dir, ".npmrc"), []byte(npmrc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	all := map[string]string{"HOME": t.TempDir()}
	for k, v := range env {
		all[k] = v
	}
	var out, errb bytes.Buffer
	argv := append([]string{"resolve", "--dir", dir, "--cache-dir", t.TempDir(), "--registry", registry, "--node-version", "20.0.0"}, args...)
	code = Main(argv, Stdio{Out: &out, Err: &errb}, func(k string) string { return all[k] })
	b, _ := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	return code, errb.String(), string(b)
}
