package npmrc

import (
	"encoding/base64"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

type fixture struct {
	project, user, global string            // file contents ("" = absent)
	env                   map[string]string // environment
	flags                 map[string]string
}

// load writes the fixture into a temp dir: dir/proj/.npmrc, dir/home/.npmrc
// and dir/prefix/etc/npmrc (PREFIX points there).
func (f fixture) load(t *testing.T) (*Config, string, error) {
	t.Helper()
	dir := t.TempDir()
	proj, home, prefix := filepath.Join(dir, "proj"), filepath.Join(dir, "home"), filepath.Join(dir, "prefix")
	for _, d := range []string{proj, home, filepath.Join(prefix, "etc")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		if s != "" {
			if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(filepath.Join(proj, ".npmrc"), f.project)
	write(filepath.Join(home, ".npmrc"), f.user)
	write(filepath.Join(prefix, "etc", "npmrc"), f.global)
	environ := []string{"HOME=" + home, "PREFIX=" + prefix, "PATH="}
	for k, v := range f.env {
		environ = append(environ, k+"="+strings.ReplaceAll(v, "$DIR", dir))
	}
	c, err := Load(LoadOptions{Dir: proj, Environ: environ, Flags: f.flags})
	return c, dir, err
}

func TestPrecedence(t *testing.T) {
	tests := []struct {
		name string
		fx   fixture
		key  string
		want string
	}{
		{"default", fixture{}, "registry", "https://registry.npmjs.org/"},
		{"global", fixture{global: "registry=https://g.example/"}, "registry", "https://g.example/"},
		{"user over global", fixture{global: "registry=https://g.example/", user: "registry=https://u.example/"}, "registry", "https://u.example/"},
		{"project over user", fixture{user: "registry=https://u.example/", project: "registry=https://p.example/"}, "registry", "https://p.example/"},
		{"env over project", fixture{project: "registry=https://p.example/", env: map[string]string{"npm_config_registry": "https://e.example/"}}, "registry", "https://e.example/"},
		{"env upper case", fixture{project: "registry=https://p.example/", env: map[string]string{"NPM_CONFIG_REGISTRY": "https://E.example/"}}, "registry", "https://E.example/"},
		{"env underscore to dash", fixture{env: map[string]string{"npm_config_fetch_retries": "5"}}, "fetch-retries", "5"},
		{"env empty ignored", fixture{project: "fetch-retries=4", env: map[string]string{"npm_config_fetch_retries": ""}}, "fetch-retries", "4"},
		{"flag over env", fixture{env: map[string]string{"npm_config_registry": "https://e.example/"}, flags: map[string]string{"registry": "https://f.example/"}}, "registry", "https://f.example/"},
		{"keys are case sensitive in files", fixture{user: "Registry=https://u.example/"}, "registry", "https://registry.npmjs.org/"},
		{"sections ignored", fixture{user: "[sec]\nregistry=https://u.example/"}, "registry", "https://registry.npmjs.org/"},
		{"userconfig from env", fixture{env: map[string]string{"NPM_CONFIG_USERCONFIG": "$DIR/proj/custom"}, user: "registry=https://u.example/"}, "registry", "https://registry.npmjs.org/"},
		{"project equals userconfig read once", fixture{env: map[string]string{"npm_config_userconfig": "$DIR/proj/.npmrc"}, project: "registry=https://p.example/"}, "registry", "https://p.example/"},
		{"env expansion", fixture{user: "registry=https://${HOST}/x/", env: map[string]string{"HOST": "h.example"}}, "registry", "https://h.example/x/"},
		{"env expansion in key", fixture{user: "//${HOST}/:_authToken=tok", env: map[string]string{"HOST": "h.example"}}, "//h.example/:_authToken", "tok"},
		{"nerf-dart env key kept verbatim", fixture{env: map[string]string{"npm_config_//h.example/:_authToken": "tok"}}, "//h.example/:_authToken", "tok"},
		{"unset var kept", fixture{user: "x=${NOPE}"}, "x", "${NOPE}"},
		{"optional unset var empty", fixture{user: "x=a${NOPE?}b"}, "x", "ab"},
		{"quoted value with comment chars", fixture{user: `x = "a;b#c"`}, "x", "a;b#c"},
		{"inline comment", fixture{user: "x = abc ; comment"}, "x", "abc"},
		{"quoted then comment keeps quotes", fixture{user: `x = "7" ; c`}, "x", `"7"`},
		{"escaped semicolon", fixture{user: `x = a\;b`}, "x", "a;b"},
		{"array", fixture{user: "x[]=a\nx[]=b"}, "x", "a,b"},
		{"bare key is true", fixture{user: "ignore-scripts"}, "ignore-scripts", "true"},
		{"last assignment wins", fixture{user: "x=1\nx=2"}, "x", "2"},
		{"CRLF", fixture{user: "x=1\r\ny=2\r\n"}, "y", "2"},
		{"path tilde", fixture{user: "cafile=~/ca.pem"}, "cafile", "$HOME/ca.pem"},
		{"null overrides lower layer", fixture{user: "proxy=http://p.example:1/", project: "proxy=null"}, "proxy", "<unset>"},
		{"user sets globalconfig", fixture{user: "globalconfig=$GLOBAL2", global: "registry=https://g.example/"}, "registry", "https://registry.npmjs.org/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, dir, err := tt.fx.load(t)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := c.Get(tt.key)
			if !ok {
				got = "<unset>"
			}
			want := strings.ReplaceAll(tt.want, "$HOME", filepath.Join(dir, "home"))
			if got != want {
				t.Errorf("Get(%q) = %q, want %q (sources %v)", tt.key, got, want, c.Sources())
			}
		})
	}
}

func TestSources(t *testing.T) {
	c, dir, err := fixture{project: "a=1", user: "b=2", global: "c=3"}.load(t)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "proj", ".npmrc"), filepath.Join(dir, "home", ".npmrc"), filepath.Join(dir, "prefix", "etc", "npmrc")}
	if got := c.Sources(); !reflect.DeepEqual(got, want) {
		t.Errorf("Sources() = %v, want %v", got, want)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name     string
		fx       fixture
		contains []string
	}{
		{"bad number", fixture{user: "a=1\n\nfetch-retries=abc"}, []string{"home/.npmrc", "line 3", "fetch-retries", `"abc"`}},
		{"missing key", fixture{project: "; c\n=value"}, []string{"proj/.npmrc", "line 2"}},
		{"bad omit", fixture{project: "omit=devv"}, []string{"proj/.npmrc", "line 1", "omit"}},
		{"bad registry", fixture{user: "registry=registry.example.com"}, []string{"line 1", "registry"}},
		{"bad env number", fixture{env: map[string]string{"npm_config_fetch_timeout": "soon"}}, []string{"npm_config_fetch_timeout", "fetch-timeout"}},
		{"top-level token", fixture{user: "x=1\n_authToken=SECRET123"}, []string{"home/.npmrc", "line 2", "_authToken", "//registry.npmjs.org/:_authToken"}},
		{"top-level basic", fixture{project: "username=u\n_password=cGFzcw=="}, []string{"proj/.npmrc", "username"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := tt.fx.load(t)
			if err == nil {
				t.Fatal("Load succeeded, want error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "failed to ") {
				t.Errorf("error %q does not start with \"failed to \"", msg)
			}
			for _, s := range tt.contains {
				if !strings.Contains(msg, s) {
					t.Errorf("error %q does not contain %q", msg, s)
				}
			}
			if strings.Contains(msg, "SECRET123") || strings.Contains(msg, "cGFzcw") {
				t.Errorf("error %q leaks a secret", msg)
			}
		})
	}
}

func TestUnreadableConfigIsError(t *testing.T) {
	dir := t.TempDir()
	// a directory where the user config should be
	if err := os.Mkdir(filepath.Join(dir, ".npmrc"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Load(LoadOptions{Dir: t.TempDir(), Environ: []string{"HOME=" + dir}})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, ".npmrc")) {
		t.Fatalf("Load = %v, want an error naming the file", err)
	}
}

func TestGetenvOnly(t *testing.T) {
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, ".npmrc"), []byte("registry=https://u.example\n//u.example/:_authToken=${TOKEN}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HOME": home, "TOKEN": "t0k", "NPM_CONFIG_FETCH_RETRIES": "7",
		"npm_config_foreground_scripts": "true", "npm_config_script_shell": "/bin/bash"}
	c, err := Load(LoadOptions{Dir: t.TempDir(), Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Registry(); got != "https://u.example/" {
		t.Errorf("Registry() = %q", got)
	}
	if got := c.Auth("https://u.example/pkg"); got != "Bearer t0k" {
		t.Errorf("Auth = %q", got)
	}
	if got := c.FetchRetries(); got != 7 {
		t.Errorf("FetchRetries() = %d, want 7 (probed env)", got)
	}
	// The script settings ci reads are probed too.
	if !c.Bool("foreground-scripts", false) {
		t.Error("foreground-scripts from npm_config_foreground_scripts not seen")
	}
	if got, _ := c.Get("script-shell"); got != "/bin/bash" {
		t.Errorf("script-shell = %q, want /bin/bash (probed env)", got)
	}
}

func TestTypedAccessors(t *testing.T) {
	c, _, err := fixture{}.load(t)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"StrictSSL", c.StrictSSL(), true},
		{"ReplaceRegistryHost", c.ReplaceRegistryHost(), "npmjs"},
		{"FetchRetries", c.FetchRetries(), 2},
		{"FetchRetryFactor", c.FetchRetryFactor(), 10.0},
		{"FetchRetryMinTimeout", c.FetchRetryMinTimeout().Milliseconds(), int64(10000)},
		{"FetchRetryMaxTimeout", c.FetchRetryMaxTimeout().Milliseconds(), int64(60000)},
		{"FetchTimeout", c.FetchTimeout().Milliseconds(), int64(300000)},
		{"OmitLockfileRegistryResolved", c.OmitLockfileRegistryResolved(), false},
		{"LegacyPeerDeps", c.LegacyPeerDeps(), false},
		{"IgnoreScripts", c.IgnoreScripts(), false},
		{"Omit", c.Omit(), []string(nil)},
		{"OS", c.OS(), ""},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s = %#v, want %#v", ch.name, ch.got, ch.want)
		}
	}

	c, _, err = fixture{
		user:  "strict-ssl=false\nfetch-retries=0x3\nfetch-retry-mintimeout=1.5\nomit[]=dev\nomit[]=peer\nlegacy-peer-deps\nos=linux\ncpu=arm64\nlibc=musl\nreplace-registry-host=never",
		env:   map[string]string{"npm_config_include": "peer", "npm_config_omit_lockfile_registry_resolved": "1", "npm_config_ignore_scripts": "0"},
		flags: map[string]string{"optional": "false"},
	}.load(t)
	if err != nil {
		t.Fatal(err)
	}
	checks = []struct {
		name      string
		got, want any
	}{
		{"StrictSSL", c.StrictSSL(), false},
		{"FetchRetries", c.FetchRetries(), 3},
		{"FetchRetryMinTimeout", c.FetchRetryMinTimeout().Microseconds(), int64(1500)},
		{"Omit", c.Omit(), []string{"dev", "optional"}},
		{"Include", c.Include(), []string{"peer"}},
		{"LegacyPeerDeps", c.LegacyPeerDeps(), true},
		{"OmitLockfileRegistryResolved", c.OmitLockfileRegistryResolved(), true},
		{"IgnoreScripts", c.IgnoreScripts(), false},
		{"OS", c.OS(), "linux"},
		{"CPU", c.CPU(), "arm64"},
		{"Libc", c.Libc(), "musl"},
		{"ReplaceRegistryHost", c.ReplaceRegistryHost(), "never"},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s = %#v, want %#v", ch.name, ch.got, ch.want)
		}
	}
}

func TestOmitProductionEnv(t *testing.T) {
	c, _, err := fixture{env: map[string]string{"NODE_ENV": "production"}}.load(t)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Omit(); !reflect.DeepEqual(got, []string{"dev"}) {
		t.Errorf("Omit() = %v, want [dev]", got)
	}
}

func TestScopedRegistry(t *testing.T) {
	c, _, err := fixture{
		user:    "registry=https://main.example/npm\n@corp:registry=https://corp.example/api/npm",
		project: "@other:registry=https://other.example/",
	}.load(t)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ pkg, want string }{
		{"lodash", "https://main.example/npm/"},
		{"@corp/ui", "https://corp.example/api/npm/"},
		{"@other/x", "https://other.example/"},
		{"@unknown/x", "https://main.example/npm/"},
		{"@corp", "https://corp.example/api/npm/"},
		{"corp/ui", "https://main.example/npm/"},
	}
	for _, tt := range tests {
		if got := c.RegistryFor(tt.pkg); got != tt.want {
			t.Errorf("RegistryFor(%q) = %q, want %q", tt.pkg, got, tt.want)
		}
	}
}

func TestAuth(t *testing.T) {
	basic := base64.StdEncoding.EncodeToString([]byte("alice:s3cret"))
	c, _, err := fixture{
		user: strings.Join([]string{
			"registry=https://registry.npmjs.org/",
			"//registry.npmjs.org/:_authToken=${NPM_TOKEN}",
			"@corp:registry=https://corp.example:8443/api/npm/",
			"//corp.example:8443/api/npm/:_authToken=corptoken",
			"//corp.example:8443/api/npm/special/:_authToken=specialtoken",
			"//basic.example/:username=alice",
			"//basic.example/:_password=" + base64.StdEncoding.EncodeToString([]byte("s3cret")),
			"//auth.example/path:_auth=" + basic,
			"//half.example/:username=bob",
		}, "\n"),
		env: map[string]string{"NPM_TOKEN": "npmtoken"},
	}.load(t)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ url, want string }{
		{"https://registry.npmjs.org/lodash", "Bearer npmtoken"},
		{"https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz", "Bearer npmtoken"},
		{"https://REGISTRY.npmjs.org:443/lodash", "Bearer npmtoken"},
		{"http://registry.npmjs.org/lodash", "Bearer npmtoken"}, // npm keys ignore the scheme
		{"https://registry.npmjs.org.evil.com/lodash", ""},
		{"https://evil.com/registry.npmjs.org/lodash", ""},
		{"https://evilregistry.npmjs.org/lodash", ""},
		{"https://registry.npmjs.org:444/lodash", ""},
		{"https://user@evil.com/@registry.npmjs.org/", ""},
		{"https://corp.example:8443/api/npm/@corp%2fui", "Bearer corptoken"},
		{"https://corp.example:8443/api/npm/special/x", "Bearer specialtoken"},
		{"https://corp.example:8443/api/npm/specialx", "Bearer corptoken"},
		{"https://corp.example:8443/other/tarball.tgz", "Bearer corptoken"}, // same host as a configured registry
		{"https://corp.example/api/npm/x", ""},                              // different port
		{"https://basic.example/x", "Basic " + basic},
		{"https://auth.example/path/x", "Basic " + basic},
		{"https://auth.example/pathx", ""},
		{"https://auth.example/", ""},
		{"https://half.example/x", ""},
		{"https://cdn.example/x.tgz", ""},
		{"ftp://registry.npmjs.org/x", ""},
		{"not a url", ""},
	}
	for _, tt := range tests {
		if got := c.Auth(tt.url); got != tt.want {
			t.Errorf("Auth(%q) = %q, want %q", tt.url, got, tt.want)
		}
	}
}

func TestRedact(t *testing.T) {
	pass := base64.StdEncoding.EncodeToString([]byte("hunter22"))
	c, _, err := fixture{
		user: "//a.example/:_authToken=tokenAAAA\n//b.example/:username=bob\n//b.example/:_password=" + pass +
			"\n//c.example/:_auth=" + base64.StdEncoding.EncodeToString([]byte("carol:pw-carol")),
		env: map[string]string{"npm_config_//d.example/:_authToken": "envtokenD"},
	}.load(t)
	if err != nil {
		t.Fatal(err)
	}
	npmTok := "npm_" + strings.Repeat("x1", 18)
	in := strings.Join([]string{
		"tokenAAAA", pass, "hunter22", c.Auth("https://b.example/"), c.Auth("https://c.example/"), "pw-carol",
		"envtokenD", "https://user:pw@host.example/x", npmTok, "https://registry.npmjs.org/@babel/core",
	}, " ")
	out := c.Redact(in)
	for _, secret := range []string{"tokenAAAA", pass, "hunter22", "pw-carol", "envtokenD", "user:pw", npmTok} {
		if strings.Contains(out, secret) {
			t.Errorf("Redact left %q in %q", secret, out)
		}
	}
	if !strings.Contains(out, "https://***@host.example/x") || !strings.Contains(out, "https://registry.npmjs.org/@babel/core") {
		t.Errorf("Redact(%q) = %q: URLs mangled", in, out)
	}
}

func TestProxy(t *testing.T) {
	tests := []struct {
		name string
		fx   fixture
		url  string
		want string
	}{
		{"none", fixture{}, "https://r.example/", ""},
		{"env https", fixture{env: map[string]string{"HTTPS_PROXY": "http://hp:1"}}, "https://r.example/", "http://hp:1"},
		{"env http only ignored for https", fixture{env: map[string]string{"HTTP_PROXY": "http://p:1"}}, "https://r.example/", ""},
		{"env http for http", fixture{env: map[string]string{"http_proxy": "http://p:1"}}, "http://r.example/", "http://p:1"},
		{"config https-proxy wins", fixture{user: "https-proxy=http://cfg:2\nproxy=http://cfg:3", env: map[string]string{"HTTPS_PROXY": "http://hp:1"}}, "http://r.example/", "http://cfg:2"},
		{"config proxy for https", fixture{user: "proxy=http://cfg:3"}, "https://r.example/", "http://cfg:3"},
		{"noproxy suffix", fixture{user: "proxy=http://cfg:3\nnoproxy=example.com,.internal"}, "https://r.Example.com/", ""},
		{"noproxy label boundary", fixture{user: "proxy=http://cfg:3\nnoproxy=ample.com"}, "https://r.example.com/", "http://cfg:3"},
		{"NO_PROXY env", fixture{env: map[string]string{"HTTPS_PROXY": "http://hp:1", "NO_PROXY": "r.example"}}, "https://r.example/", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, err := tt.fx.load(t)
			if err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse(tt.url)
			p, err := c.Proxy(u)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if p != nil {
				got = p.String()
			}
			if got != tt.want {
				t.Errorf("Proxy(%q) = %q, want %q", tt.url, got, tt.want)
			}
		})
	}
}

func TestCA(t *testing.T) {
	dir := t.TempDir()
	pem := "-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\r\n-----BEGIN CERTIFICATE-----\nBBB\n-----END CERTIFICATE-----\n"
	caf := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caf, []byte(pem), 0o644); err != nil {
		t.Fatal(err)
	}
	c, _, err := fixture{user: "cafile=" + caf + "\nca=ignored"}.load(t)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.CA()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----", "-----BEGIN CERTIFICATE-----\nBBB\n-----END CERTIFICATE-----"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("CA() = %q, want %q", got, want)
	}
	c, _, err = fixture{user: `ca[]="-----BEGIN CERTIFICATE-----\nCCC\n-----END CERTIFICATE-----"`}.load(t)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = c.CA()
	if len(got) != 1 || !strings.Contains(got[0], "\nCCC\n") {
		t.Errorf("inline CA() = %q", got)
	}
}

func TestEnvReplace(t *testing.T) {
	env := map[string]string{"A": "aa", "EMPTY": ""}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	tests := []struct{ in, want string }{
		{"x${A}y", "xaay"},
		{"${A}${A}", "aaaa"},
		{"${EMPTY}", ""},
		{"${NOPE}", "${NOPE}"},
		{"${NOPE?}", ""},
		{"${A?}", "aa"},
		{`\${A}`, "${A}"},
		{`\\${A}`, `\aa`},
		{`\\\${A}`, `\${A}`},
		{`\\\\${A}`, `\\aa`},
		{"${}", "${}"},
		{"${A", "${A"},
		{"$${A}", "$aa"},
		{"${a${A}", "${aaa"},
		{"no vars", "no vars"},
	}
	for _, tt := range tests {
		if got := envReplace(tt.in, lookup); got != tt.want {
			t.Errorf("envReplace(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseINI(t *testing.T) {
	data := "; comment\n# comment\n  ;indented\nplain = value\nquoted = \"  spaced  \"\nsingle = 'it''s'\n" +
		"trail = a # b\nnums[] = 1\nnums[] = 2\nflag\nempty =\n\ufeffbom = 1\n'q key' = v\nk=v=w\n[section]\ninside = 1\n"
	entries, errs := parseINI(data)
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	got := map[string]string{}
	for _, e := range entries {
		v := e.val.str
		if e.val.isList {
			v = strings.Join(e.val.list, "|")
		}
		got[e.key] = v
	}
	want := map[string]string{
		"plain": "value", "quoted": "  spaced  ", "single": "it''s", "trail": "a", "nums": "1|2",
		"flag": "true", "empty": "", "bom": "1", "q key": "v", "k": "v=w",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseINI = %#v\nwant %#v", got, want)
	}
}
