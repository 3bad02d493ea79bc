package npmrc

import (
	"encoding/base64"
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// urlHost is WHATWG URL's host: lower-case, default port dropped.
func urlHost(u *url.URL) string {
	h := strings.ToLower(u.Host)
	switch {
	case u.Scheme == "https" && strings.HasSuffix(h, ":443"):
		h = h[:len(h)-4]
	case u.Scheme == "http" && strings.HasSuffix(h, ":80"):
		h = h[:len(h)-3]
	}
	return h
}

// regKeyFor walks "//host/path" up like npm-registry-fetch's regFromURI and
// returns the longest prefix with credentials, or "".
func (c *Config) regKeyFor(u *url.URL) string {
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	key := "//" + urlHost(u) + p
	for len(key) > 2 {
		if c.hasAuth(key) {
			return key
		}
		// remove either the last segment or the trailing slash
		if key[len(key)-1] == '/' {
			key = key[:len(key)-1]
		} else {
			key = key[:strings.LastIndexByte(key, '/')+1]
		}
	}
	return ""
}

func (c *Config) nonEmpty(key string) string {
	v, ok := c.Get(key)
	if !ok {
		return ""
	}
	return v
}

func (c *Config) hasAuth(regKey string) bool {
	return c.nonEmpty(regKey+":_authToken") != "" ||
		c.nonEmpty(regKey+":_auth") != "" ||
		(c.nonEmpty(regKey+":username") != "" && c.nonEmpty(regKey+":_password") != "")
}

// Auth returns the Authorization header value for rawURL ("Bearer …" or
// "Basic …"), or "". Credentials come from "//host[:port]/path/:_authToken",
// ":_auth" or ":username" + ":_password" (base64) keys, matched by the
// longest path prefix on the URL's own host. Like npm-registry-fetch, a URL
// without its own credentials that is on the same host as a configured
// registry (default or scoped) gets that registry's credentials. No other
// host ever receives them.
func (c *Config) Auth(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	host := urlHost(u)
	if !c.authHosts[host] {
		return "" // fast path: no credentials for this host at all
	}
	key := c.regKeyFor(u)
	if key == "" {
		for _, reg := range c.regs {
			ru, err := url.Parse(reg)
			if err != nil || ru.Host == "" || urlHost(ru) != host {
				continue
			}
			if key = c.regKeyFor(ru); key != "" {
				break
			}
		}
	}
	if key == "" {
		return ""
	}
	return c.header(key)
}

func (c *Config) header(key string) string {
	if t := c.nonEmpty(key + ":_authToken"); t != "" {
		return "Bearer " + t
	}
	if a := c.nonEmpty(key + ":_auth"); a != "" {
		return "Basic " + a
	}
	user, pass := c.nonEmpty(key+":username"), c.nonEmpty(key+":_password")
	if user != "" && pass != "" {
		return "Basic " + basicAuth(user, pass)
	}
	return ""
}

func basicAuth(user, b64pass string) string {
	p := decodeBase64(b64pass)
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + p))
}

// decodeBase64 decodes leniently like Node's Buffer.from(s, "base64").
func decodeBase64(s string) string {
	s = strings.TrimRight(strings.Map(func(r rune) rune {
		switch {
		case r == '-':
			return '+'
		case r == '_':
			return '/'
		case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '+', r == '/', r == '=':
			return r
		}
		return -1
	}, s), "=")
	b, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		// drop a dangling partial quantum, as Node does
		for len(s) > 0 && err != nil {
			s = s[:len(s)-1]
			b, err = base64.RawStdEncoding.DecodeString(s)
		}
	}
	return string(b)
}

// ClientCert returns the mTLS certfile and keyfile configured for rawURL's
// host ("//host/path/:certfile" and ":keyfile", longest prefix), if any.
func (c *Config) ClientCert(rawURL string) (certfile, keyfile string) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return "", ""
	}
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	key := "//" + urlHost(u) + p
	for len(key) > 2 {
		cf, kf := c.nonEmpty(key+":certfile"), c.nonEmpty(key+":keyfile")
		if cf != "" && kf != "" {
			return c.resolvePath(cf), c.resolvePath(kf)
		}
		if key[len(key)-1] == '/' {
			key = key[:len(key)-1]
		} else {
			key = key[:strings.LastIndexByte(key, '/')+1]
		}
	}
	return "", ""
}

var secretSuffixes = []string{":_authToken", ":_auth", ":_password", ":_authtoken"}

var topLevelSecrets = map[string]bool{"_authToken": true, "_auth": true, "_password": true, "_authtoken": true, "-authtoken": true}

// indexAuthHosts records every host named by a "//host/...:<cred>" key.
func (c *Config) indexAuthHosts() {
	c.authHosts = map[string]bool{}
	for _, l := range c.layers {
		for k := range l {
			if !strings.HasPrefix(k, "//") {
				continue
			}
			i := strings.LastIndexByte(k, ':')
			switch k[i+1:] {
			case "_authToken", "_auth", "username", "_password":
			default:
				continue
			}
			rest := k[2:i]
			if j := strings.IndexByte(rest, '/'); j >= 0 {
				rest = rest[:j]
			}
			c.authHosts[rest] = true
		}
	}
}

func (c *Config) collectSecrets() {
	set := map[string]bool{}
	add := func(s string) {
		if s != "" && s != "true" && s != "false" {
			set[s] = true
		}
	}
	for _, l := range c.layers {
		for k, e := range l {
			if e.isNull {
				continue
			}
			secret := topLevelSecrets[k]
			for _, suf := range secretSuffixes {
				if strings.HasSuffix(k, suf) {
					secret = true
				}
			}
			if !secret {
				continue
			}
			vals := e.list
			if !e.isList {
				vals = []string{e.val}
			}
			for _, v := range vals {
				add(v)
				switch {
				case strings.HasSuffix(k, "_password"):
					add(decodeBase64(v))
					user := c.nonEmpty(strings.TrimSuffix(k, "_password") + "username")
					if user != "" {
						add(basicAuth(user, v))
					}
				case strings.HasSuffix(k, "_auth"):
					dec := decodeBase64(v)
					if _, pass, ok := strings.Cut(dec, ":"); ok {
						add(dec)
						add(pass)
					}
				}
			}
		}
	}
	c.secrets = c.secrets[:0]
	for s := range set {
		c.secrets = append(c.secrets, s)
	}
	sort.Slice(c.secrets, func(i, j int) bool {
		if len(c.secrets[i]) != len(c.secrets[j]) {
			return len(c.secrets[i]) > len(c.secrets[j])
		}
		return c.secrets[i] < c.secrets[j]
	})
}

var (
	userinfoRE = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@\s"']+@`)
	npmTokenRE = regexp.MustCompile(`npm_[A-Za-z0-9]{36}`)
)

// Redact removes every known secret value (tokens, passwords, basic-auth
// strings), URL userinfo and npm_… tokens from s.
func (c *Config) Redact(s string) string {
	if c != nil {
		for _, sec := range c.secrets {
			if strings.Contains(s, sec) {
				s = strings.ReplaceAll(s, sec, "***")
			}
		}
	}
	if strings.Contains(s, "@") {
		s = userinfoRE.ReplaceAllString(s, "${1}***@")
	}
	if strings.Contains(s, "npm_") {
		s = npmTokenRE.ReplaceAllString(s, "npm_***")
	}
	return s
}
