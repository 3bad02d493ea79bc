package npmrc

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"
)

// StrictSSL is strict-ssl (default true).
func (c *Config) StrictSSL() bool { return c.Bool("strict-ssl", true) }

// CAFile is the cafile path, or "".
func (c *Config) CAFile() string { v, _ := c.Get("cafile"); return v }

// CA returns the PEM certificates that replace the default trust store, as
// npm does: the contents of cafile when set and present, else the inline
// "ca" values. nil means "use the system roots".
func (c *Config) CA() ([]string, error) {
	if f := c.CAFile(); f != "" {
		raw, err := os.ReadFile(f)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, nil // npm silently ignores a missing cafile
			}
			return nil, fmt.Errorf("failed to read cafile %q: %w", f, err)
		}
		const delim = "-----END CERTIFICATE-----"
		var out []string
		for _, sec := range strings.Split(strings.ReplaceAll(string(raw), "\r\n", "\n"), delim) {
			if strings.TrimSpace(sec) == "" {
				continue
			}
			out = append(out, strings.TrimLeft(sec, " \t\r\n")+delim)
		}
		return out, nil
	}
	var out []string
	for _, v := range c.List("ca") {
		// ca values in .npmrc usually carry literal "\n" sequences
		out = append(out, strings.ReplaceAll(v, `\n`, "\n"))
	}
	return out, nil
}

// ReplaceRegistryHost is replace-registry-host (default "npmjs").
func (c *Config) ReplaceRegistryHost() string {
	v, ok := c.Get("replace-registry-host")
	if !ok || v == "" {
		return "npmjs"
	}
	return v
}

func (c *Config) millis(key string, def int) time.Duration {
	return time.Duration(c.Float(key, float64(def)) * float64(time.Millisecond))
}

// FetchRetries is fetch-retries (default 2).
func (c *Config) FetchRetries() int { return max(0, c.Int("fetch-retries", 2)) }

// FetchRetryFactor is fetch-retry-factor (default 10).
func (c *Config) FetchRetryFactor() float64 { return c.Float("fetch-retry-factor", 10) }

// FetchRetryMinTimeout is fetch-retry-mintimeout (default 10 s).
func (c *Config) FetchRetryMinTimeout() time.Duration {
	return c.millis("fetch-retry-mintimeout", 10000)
}

// FetchRetryMaxTimeout is fetch-retry-maxtimeout (default 60 s).
func (c *Config) FetchRetryMaxTimeout() time.Duration {
	return c.millis("fetch-retry-maxtimeout", 60000)
}

// FetchTimeout is fetch-timeout (default 5 min): npm applies it as a socket
// idle timeout. 0 means none.
func (c *Config) FetchTimeout() time.Duration { return c.millis("fetch-timeout", 300000) }

// MaxSockets is maxsockets (default 15).
func (c *Config) MaxSockets() int { return c.Int("maxsockets", 15) }

// OmitLockfileRegistryResolved is omit-lockfile-registry-resolved.
func (c *Config) OmitLockfileRegistryResolved() bool {
	return c.Bool("omit-lockfile-registry-resolved", false)
}

// LegacyPeerDeps is legacy-peer-deps.
func (c *Config) LegacyPeerDeps() bool { return c.Bool("legacy-peer-deps", false) }

// StrictPeerDeps is strict-peer-deps.
func (c *Config) StrictPeerDeps() bool { return c.Bool("strict-peer-deps", false) }

// Force is force.
func (c *Config) Force() bool { return c.Bool("force", false) }

// IgnoreScripts is ignore-scripts.
func (c *Config) IgnoreScripts() bool { return c.Bool("ignore-scripts", false) }

// EngineStrict is engine-strict.
func (c *Config) EngineStrict() bool { return c.Bool("engine-strict", false) }

// OS is the os override, or "" for the running platform.
func (c *Config) OS() string { v, _ := c.Get("os"); return v }

// CPU is the cpu override, or "".
func (c *Config) CPU() string { v, _ := c.Get("cpu"); return v }

// Libc is the libc override, or "".
func (c *Config) Libc() string { v, _ := c.Get("libc"); return v }

// Include is the effective include list after npm's buildOmitList.
func (c *Config) Include() []string { _, inc := c.omitInclude(); return inc }

// Omit is the effective list of omitted dependency types (dev, optional,
// peer) after npm's buildOmitList: omit plus the legacy only/production/
// optional flags, minus include; sorted.
func (c *Config) Omit() []string { omit, _ := c.omitInclude(); return omit }

func (c *Config) omitInclude() (omit, include []string) {
	include = c.List("include")
	omit = c.List("omit")
	only, _ := c.Get("only")
	prod := c.find("production")
	switch {
	case only == "prod" || only == "production" || (prod != nil && !prod.isNull && c.Bool("production", false)):
		omit = append(omit, "dev")
	case prod != nil && !prod.isNull && !c.Bool("production", false):
		include = append(include, "dev")
	}
	if also, _ := c.Get("also"); strings.HasPrefix(also, "dev") {
		include = append(include, "dev")
	}
	if c.Bool("dev", false) {
		include = append(include, "dev")
	}
	if opt := c.find("optional"); opt != nil && !opt.isNull {
		if c.Bool("optional", false) {
			include = append(include, "optional")
		} else {
			omit = append(omit, "optional")
		}
	}
	include = uniq(include)
	var o []string
	for _, t := range uniq(omit) {
		if !contains(include, t) {
			o = append(o, t)
		}
	}
	return o, include
}

func uniq(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	s = append([]string(nil), s...)
	sort.Strings(s)
	out := s[:1]
	for _, v := range s[1:] {
		if v != out[len(out)-1] {
			out = append(out, v)
		}
	}
	return out
}

// HTTPSProxy is https-proxy, or "".
func (c *Config) HTTPSProxy() string { v, _ := c.Get("https-proxy"); return v }

// HTTPProxy is proxy, or "".
func (c *Config) HTTPProxy() string { v, _ := c.Get("proxy"); return v }

// NoProxy is noproxy (comma-joined), else the NO_PROXY/no_proxy variable.
func (c *Config) NoProxy() string {
	if v, _ := c.Get("noproxy"); v != "" {
		return v
	}
	return c.proxyEnv("no_proxy")
}

// proxyEnv reads a proxy variable case-insensitively (@npmcli/agent
// lower-cases the names; the lower-case spelling wins here).
func (c *Config) proxyEnv(name string) string {
	if v, ok := c.lookup(name); ok && v != "" {
		return v
	}
	v, _ := c.lookup(strings.ToUpper(name))
	return v
}

// Proxy returns the proxy for a request to u, or nil, following
// npm-registry-fetch and @npmcli/agent: https-proxy, else proxy, from config
// for every scheme; otherwise HTTPS_PROXY for https URLs and HTTPS_PROXY,
// HTTP_PROXY or PROXY for http URLs; none when the host matches noproxy /
// NO_PROXY (domain-suffix match on whole labels). Usable as
// http.Transport.Proxy via a closure.
func (c *Config) Proxy(u *url.URL) (*url.URL, error) {
	p := c.HTTPSProxy()
	if p == "" {
		p = c.HTTPProxy()
	}
	if p == "" {
		if u.Scheme == "https" {
			p = c.proxyEnv("https_proxy")
		} else {
			p = c.proxyEnv("https_proxy")
			if p == "" {
				p = c.proxyEnv("http_proxy")
			}
			if p == "" {
				p = c.proxyEnv("proxy")
			}
		}
	}
	if p == "" || isNoProxy(u.Hostname(), c.NoProxy()) {
		return nil, nil
	}
	pu, err := url.Parse(p)
	if err != nil || pu.Host == "" {
		return nil, fmt.Errorf("failed to parse proxy %q: not a URL with a host", c.Redact(p))
	}
	return pu, nil
}

func isNoProxy(hostname, noProxy string) bool {
	if noProxy == "" {
		return false
	}
	host := strings.Split(strings.ToLower(hostname), ".")
	for _, no := range strings.Split(noProxy, ",") {
		no = strings.ToLower(strings.TrimSpace(no))
		var segs []string
		for _, s := range strings.Split(no, ".") {
			if s != "" {
				segs = append(segs, s)
			}
		}
		if len(segs) == 0 || len(segs) > len(host) {
			continue
		}
		match := true
		for i := 1; i <= len(segs); i++ {
			if host[len(host)-i] != segs[len(segs)-i] {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}
