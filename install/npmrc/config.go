package npmrc

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// DefaultRegistry is npm's default registry.
const DefaultRegistry = "https://registry.npmjs.org/"

// LoadOptions says where configuration comes from. Zero values mean the
// process's own environment and working directory.
type LoadOptions struct {
	// Dir is the project directory whose .npmrc is read (default: the
	// working directory).
	Dir string
	// Getenv looks up single variables (HOME, NPM_CONFIG_USERCONFIG, ${VAR}
	// expansion, proxies). When set, an empty value counts as unset.
	Getenv func(string) string
	// Environ lists the environment as KEY=VALUE; it is scanned for
	// npm_config_* and, when Getenv is nil, also answers lookups. When both
	// are nil, os.Environ is used. When only Getenv is set, npm_config_*
	// variables are found by probing the names of known config keys.
	Environ []string
	// Flags are explicit settings (command-line), highest precedence. Keys
	// are config names without "--"; list-typed values separate members
	// with a blank line ("\n\n"), as npm does in the environment.
	Flags map[string]string
	// Home overrides $HOME for "~/" and the default userconfig.
	Home string
}

// Layer names, highest precedence first.
const (
	whereCLI     = "cli"
	whereEnv     = "env"
	whereProject = "project"
	whereUser    = "user"
	whereGlobal  = "global"
	whereDefault = "default"
)

type entry struct {
	val    string
	list   []string
	isList bool
	isNull bool
	where  string
	origin string // file path, env var name or flag name
	line   int
}

func (e *entry) location() string {
	switch {
	case e.line > 0:
		return fmt.Sprintf("%q: line %d", e.origin, e.line)
	case e.where == whereEnv:
		return "environment variable " + e.origin
	case e.where == whereCLI:
		return "flag --" + e.origin
	default:
		return e.where
	}
}

// Config is loaded npm configuration. It is read-only after Load and safe
// for concurrent use.
type Config struct {
	layers    []map[string]*entry // cli, env, project, user, global, default
	lookup    func(string) (string, bool)
	home      string
	sources   []string
	secrets   []string // longest first
	authHosts map[string]bool
	regs      []string // configured registries (default first), for auth fallback
}

// Load reads flags, environment, project, user and global config.
func Load(o LoadOptions) (*Config, error) {
	c := &Config{}
	c.lookup = makeLookup(o)
	c.home = o.Home
	if c.home == "" {
		c.home, _ = c.lookup("HOME")
	}
	if c.home == "" {
		c.home, _ = os.UserHomeDir()
	}
	dir := o.Dir
	if dir == "" {
		dir, _ = os.Getwd()
	}
	dir, _ = filepath.Abs(dir)

	cli := map[string]*entry{}
	for k, v := range o.Flags {
		k = strings.TrimPrefix(k, "--")
		e := &entry{where: whereCLI, origin: k}
		if err := c.setString(cli, e, k, v); err != nil {
			return nil, err
		}
	}
	env := map[string]*entry{}
	for _, kv := range envConfigVars(o, c.lookup) {
		e := &entry{where: whereEnv, origin: kv[0]}
		if err := c.setString(env, e, kv[1], kv[2]); err != nil {
			return nil, err
		}
	}
	c.layers = []map[string]*entry{cli, env, {}, {}, {}, c.defaults()}

	userconfig := c.pathValue("userconfig", c.layers[:2], c.layers[5])
	projectFile := filepath.Join(dir, ".npmrc")
	if projectFile != userconfig {
		if err := c.loadFile(projectFile, whereProject, 2); err != nil {
			return nil, err
		}
	}
	userconfig = c.pathValue("userconfig", c.layers[:3], c.layers[5])
	if err := c.loadFile(userconfig, whereUser, 3); err != nil {
		return nil, err
	}
	if global := c.globalConfigPath(); global != "" {
		if err := c.loadFile(global, whereGlobal, 4); err != nil {
			return nil, err
		}
	}
	if err := c.validateAuth(); err != nil {
		return nil, err
	}
	c.collectSecrets()
	c.indexAuthHosts()
	c.regs = append(c.regs, c.Registry())
	for _, k := range c.keys() {
		if strings.HasPrefix(k, "@") && strings.HasSuffix(k, ":registry") {
			if r, ok := c.Get(k); ok && r != "" {
				c.regs = append(c.regs, withSlash(r))
			}
		}
	}
	return c, nil
}

func makeLookup(o LoadOptions) func(string) (string, bool) {
	if o.Getenv != nil {
		return func(k string) (string, bool) {
			v := o.Getenv(k)
			return v, v != ""
		}
	}
	environ := o.Environ
	if environ == nil {
		return os.LookupEnv
	}
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// envConfigVars returns [envName, configKey, value] for every non-empty
// npm_config_* variable, in a stable order.
func envConfigVars(o LoadOptions, lookup func(string) (string, bool)) [][3]string {
	var names []string
	switch {
	case o.Environ != nil || o.Getenv == nil:
		environ := o.Environ
		if environ == nil {
			environ = os.Environ()
		}
		for _, kv := range environ {
			k, _, _ := strings.Cut(kv, "=")
			names = append(names, k)
		}
	default:
		for k := range definitions {
			u := strings.ReplaceAll(k, "-", "_")
			names = append(names, "npm_config_"+u, "NPM_CONFIG_"+strings.ToUpper(u))
		}
	}
	sort.Strings(names)
	var out [][3]string
	seen := map[string]bool{}
	for _, name := range names {
		if len(name) <= len("npm_config_") || !strings.EqualFold(name[:len("npm_config_")], "npm_config_") || seen[name] {
			continue
		}
		seen[name] = true
		v, ok := lookup(name)
		if !ok || v == "" {
			continue
		}
		key := name[len("npm_config_"):]
		if !strings.HasPrefix(key, "//") {
			key = key[:1] + strings.ReplaceAll(key[1:], "_", "-")
			key = strings.ToLower(key)
		}
		out = append(out, [3]string{name, key, v})
	}
	return out
}

func (c *Config) defaults() map[string]*entry {
	m := make(map[string]*entry, len(definitions))
	for k, d := range definitions {
		if !d.hasDef {
			continue
		}
		e := &entry{where: whereDefault, origin: "default", val: d.def}
		if d.kind == kList {
			e.isList = true
			if d.def != "" {
				e.list = []string{d.def}
			}
		}
		m[k] = e
	}
	if v, _ := c.lookup("NODE_ENV"); v == "production" {
		m["omit"].list = []string{"dev"}
	}
	return m
}

// setString stores a flag or environment value (a string) under key after
// npm's parseField.
func (c *Config) setString(layer map[string]*entry, e *entry, key, raw string) error {
	key = envReplace(key, c.lookup)
	d := definitions[key]
	raw = jsTrim(raw)
	if d.kind == kList {
		e.isList = true
		for _, part := range strings.Split(raw, "\n\n") {
			v, null := c.parseScalar(d, jsTrim(part), true)
			if !null {
				e.list = append(e.list, v)
			}
		}
		if err := c.check(key, d, e); err != nil {
			return err
		}
		layer[key] = e
		return nil
	}
	if d.kind == kBool && raw == "" {
		raw = "true"
	}
	e.val, e.isNull = c.parseScalar(d, raw, false)
	if err := c.check(key, d, e); err != nil {
		return err
	}
	layer[key] = e
	return nil
}

// parseScalar applies parseField to one trimmed string: literals for
// non-string types, ${VAR} expansion, path resolution.
func (c *Config) parseScalar(d definition, f string, listElem bool) (string, bool) {
	if d.kind != kString && d.kind != kPath && d.kind != kNumber && !(d.kind == kList && listElem) {
		switch f {
		case "null", "undefined":
			return "", true
		case "true", "false":
			return f, false
		}
	}
	f = envReplace(f, c.lookup)
	if d.kind == kPath {
		f = c.resolvePath(f)
	}
	return f, false
}

func (c *Config) resolvePath(f string) string {
	if strings.HasPrefix(f, "~/") && c.home != "" {
		return filepath.Join(c.home, f[2:])
	}
	if abs, err := filepath.Abs(f); err == nil {
		return abs
	}
	return f
}

// check validates a typed value; npm warns and drops such values.
func (c *Config) check(key string, d definition, e *entry) error {
	if e.isNull {
		return nil
	}
	bad := func(v, why string) error {
		return fmt.Errorf("failed to load npm config %s: %s %q %s", e.location(), key, v, why)
	}
	switch d.kind {
	case kNumber:
		if _, ok := jsNumber(e.val); !ok {
			return bad(e.val, "is not a number")
		}
	case kURL:
		if d.nullable && (e.val == "" || e.val == "false") {
			e.isNull = true
			return nil
		}
		if u, err := url.Parse(e.val); err != nil || u.Host == "" {
			return bad(c.Redact(e.val), "is not a URL with a host")
		}
	case kList:
		if d.enum != nil {
			for _, v := range e.list {
				if !contains(d.enum, v) {
					return bad(v, "is not one of "+strings.Join(d.enum, ", "))
				}
			}
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// jsNumber converts like JavaScript's unary +.
func jsNumber(s string) (float64, bool) {
	s = jsTrim(s)
	if s == "" {
		return 0, true
	}
	switch s {
	case "Infinity", "+Infinity":
		return math.Inf(1), true
	case "-Infinity":
		return math.Inf(-1), true
	}
	if len(s) > 2 && s[0] == '0' && strings.ContainsRune("xXoObB", rune(s[1])) {
		n, err := strconv.ParseUint(s, 0, 64)
		return float64(n), err == nil
	}
	if strings.ContainsAny(s, "_xXpP") || strings.EqualFold(s, "nan") || strings.Contains(strings.ToLower(s), "inf") {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

func (c *Config) loadFile(path, where string, idx int) error {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("failed to read npm config %q: %w", path, err)
	}
	c.sources = append(c.sources, path)
	entries, perrs := parseINI(string(data))
	if len(perrs) > 0 {
		return fmt.Errorf("failed to parse npm config %q: line %d: %s", path, perrs[0].line, perrs[0].msg)
	}
	layer := c.layers[idx]
	for _, ie := range entries {
		key := envReplace(ie.key, c.lookup)
		d := definitions[key]
		e := &entry{where: where, origin: path, line: ie.val.line}
		switch {
		case ie.val.isList:
			if d.kind == kList {
				e.isList = true
				for _, s := range ie.val.list {
					if v, null := c.parseScalar(d, jsTrim(s), true); !null {
						e.list = append(e.list, v)
					}
				}
			} else {
				// npm keeps an array for a scalar key; "config get" joins it.
				parts := make([]string, 0, len(ie.val.list))
				for _, s := range ie.val.list {
					v, _ := c.parseScalar(d, jsTrim(s), true)
					parts = append(parts, v)
				}
				e.val = strings.Join(parts, ",")
			}
		case ie.val.str == "null" && d.kind != kString && d.kind != kPath:
			e.isNull = true
		case d.kind == kList:
			e.isList = true
			for _, part := range strings.Split(ie.val.str, "\n\n") {
				if v, null := c.parseScalar(d, jsTrim(part), true); !null {
					e.list = append(e.list, v)
				}
			}
		default:
			raw := ie.val.str
			if d.kind == kBool && raw == "" {
				raw = "true"
			}
			e.val, e.isNull = c.parseScalar(d, raw, false)
		}
		if err := c.check(key, d, e); err != nil {
			return err
		}
		layer[key] = e
	}
	return nil
}

// pathValue reads a path-typed key from the given layers (in order), then
// from def.
func (c *Config) pathValue(key string, layers []map[string]*entry, def map[string]*entry) string {
	for _, l := range layers {
		if e := l[key]; e != nil && !e.isNull {
			return e.val
		}
	}
	if e := def[key]; e != nil {
		return c.resolvePath(e.val)
	}
	return ""
}

func (c *Config) globalConfigPath() string {
	layers := c.layers[:4]
	if p := c.pathValue("globalconfig", layers, nil); p != "" {
		return p
	}
	prefix := c.pathValue("prefix", layers, nil)
	if prefix == "" {
		prefix, _ = c.lookup("PREFIX")
	}
	if prefix == "" {
		pathEnv, _ := c.lookup("PATH")
		for _, d := range filepath.SplitList(pathEnv) {
			node := filepath.Join(d, "node")
			if st, err := os.Stat(node); err == nil && !st.IsDir() {
				if real, err := filepath.EvalSymlinks(node); err == nil {
					node = real
				}
				prefix = filepath.Dir(filepath.Dir(node))
				if destdir, _ := c.lookup("DESTDIR"); destdir != "" {
					prefix = filepath.Join(destdir, prefix)
				}
				break
			}
		}
	}
	if prefix == "" {
		return ""
	}
	return filepath.Join(prefix, "etc", "npmrc")
}

// validateAuth reproduces npm's ERR_INVALID_AUTH: credentials in a config
// file must be scoped to a registry ("//host/:_authToken").
func (c *Config) validateAuth() error {
	nerfed := nerfDart(c.Registry())
	for _, layer := range c.layers[2:5] {
		for _, key := range []string{"_authtoken", "-authtoken", "_auth", "_authToken", "username", "_password"} {
			e := layer[key]
			if e == nil || e.isNull || e.val == "" || e.val == "false" {
				continue
			}
			fix := fmt.Sprintf("rename it to %q", nerfed+":"+key)
			switch key {
			case "_authtoken", "-authtoken":
				fix = "delete it"
			case "username", "_password":
				if other := map[string]string{"username": "_password", "_password": "username"}[key]; layer[other] == nil {
					fix = "delete it"
				}
			}
			return fmt.Errorf("failed to load npm config %s: %q must be scoped to a registry (npm ERR_INVALID_AUTH); %s", e.location(), key, fix)
		}
	}
	return nil
}

// nerfDart maps a URL to its "//host/path/" config prefix.
func nerfDart(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "//registry.npmjs.org/"
	}
	p := u.EscapedPath()
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		p = p[:i+1]
	} else {
		p = "/"
	}
	return "//" + urlHost(u) + p
}

func (c *Config) find(key string) *entry {
	for _, l := range c.layers {
		if e := l[key]; e != nil {
			return e
		}
	}
	return nil
}

func (c *Config) keys() []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range c.layers {
		for k := range l {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Get returns the effective value of key. List values are joined with ","
// (as "npm config get" prints them). A key set to null, or unset with a null
// default, reports false.
func (c *Config) Get(key string) (string, bool) {
	e := c.find(key)
	if e == nil || e.isNull {
		return "", false
	}
	if e.isList {
		return strings.Join(e.list, ","), true
	}
	if e.where == whereDefault && definitions[key].kind == kPath {
		return c.resolvePath(e.val), true
	}
	return e.val, true
}

// List returns the members of a list-typed key (ca, omit, include, noproxy,
// key[]= arrays); a scalar value is a one-member list.
func (c *Config) List(key string) []string {
	e := c.find(key)
	if e == nil || e.isNull {
		return nil
	}
	if e.isList {
		return append([]string(nil), e.list...)
	}
	return []string{e.val}
}

// Where reports which layer (cli, env, project, user, global, default) and
// file or variable set key, for messages.
func (c *Config) Where(key string) (where, origin string) {
	if e := c.find(key); e != nil {
		return e.where, e.origin
	}
	return "", ""
}

// Bool reads key with nopt's Boolean rules ("false", "null", "0", "" are
// false; other strings are true); def when unset.
func (c *Config) Bool(key string, def bool) bool {
	e := c.find(key)
	if e == nil {
		return def
	}
	if e.isNull {
		return false
	}
	v := e.val
	if e.isList {
		v = strings.Join(e.list, ",")
	}
	if n, ok := jsNumber(v); ok {
		return n != 0 && !math.IsNaN(n)
	}
	return v != "false" && v != "null"
}

// Int reads a numeric key (JavaScript number syntax, truncated); def when
// unset or not a number.
func (c *Config) Int(key string, def int) int {
	v, ok := c.Get(key)
	if !ok {
		return def
	}
	n, ok := jsNumber(v)
	if !ok || math.IsNaN(n) {
		return def
	}
	if math.IsInf(n, 0) || math.Abs(n) > math.MaxInt32 {
		if n > 0 {
			return math.MaxInt32
		}
		return math.MinInt32
	}
	return int(n)
}

// Float reads a numeric key; def when unset or not a number.
func (c *Config) Float(key string, def float64) float64 {
	v, ok := c.Get(key)
	if !ok {
		return def
	}
	n, ok := jsNumber(v)
	if !ok {
		return def
	}
	return n
}

// Sources lists the config files that were read, highest precedence first.
func (c *Config) Sources() []string { return append([]string(nil), c.sources...) }

func withSlash(r string) string {
	return strings.TrimRight(r, "/") + "/"
}

// Registry is the default registry URL, always ending in "/".
func (c *Config) Registry() string {
	r, ok := c.Get("registry")
	if !ok || r == "" {
		r = DefaultRegistry
	}
	return withSlash(r)
}

// RegistryFor is the registry serving pkgName: "@scope:registry" for scoped
// names when set, else Registry(). Always ends in "/".
func (c *Config) RegistryFor(pkgName string) string {
	if strings.HasPrefix(pkgName, "@") {
		scope, _, _ := strings.Cut(pkgName, "/")
		if r, ok := c.Get(scope + ":registry"); ok && r != "" {
			return withSlash(r)
		}
	}
	return c.Registry()
}
