package registry

import (
	"net/url"
	"strings"
)

// PackumentURL is {registry}/{name} with a scoped name's "/" escaped as
// "%2f" (npm-package-arg's escapedName), using the name's registry.
func (c *Client) PackumentURL(name string) string {
	return c.cfg.RegistryFor(name) + strings.Replace(name, "/", "%2f", 1)
}

// TarballURL is the conventional tarball location
// {registry}/{name}/-/{basename}-{version}.tgz, e.g.
// "…/@s/x/-/x-1.0.0.tgz" for "@s/x".
func (c *Client) TarballURL(name, version string) string {
	base := name
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		base = name[i+1:]
	}
	return c.cfg.RegistryFor(name) + name + "/-/" + base + "-" + version + ".tgz"
}

// ResolveTarball applies replace-registry-host to a lockfile "resolved" URL
// like arborist's reify #registryResolved: with "npmjs" (the default) URLs
// on registry.npmjs.org, with "always" every URL, with a hostname URLs on
// that host, and with a full URL those under its path prefix, are moved to
// the configured default registry (scheme, host, port, and path prefix).
// "never" leaves every URL alone. Unparsable input is returned unchanged.
func (c *Client) ResolveTarball(resolved string) string {
	mode := c.cfg.ReplaceRegistryHost()
	if mode == "" || mode == "npmjs" {
		mode = "registry.npmjs.org"
	}
	u, err := url.Parse(resolved)
	if err != nil || u.Host == "" {
		return resolved
	}
	reg, err := url.Parse(c.cfg.Registry())
	if err != nil || reg.Host == "" {
		return resolved
	}
	regPath := strings.TrimSuffix(reg.EscapedPath(), "/")

	matchHost, matchPath := mode, ""
	if mu, err := url.Parse(mode); err == nil && mu.Scheme != "" && mu.Host != "" {
		matchHost = strings.ToLower(mu.Hostname())
		matchPath = strings.TrimSuffix(mu.EscapedPath(), "/")
	}
	hasPrefix := func(p, prefix string) bool { return p == prefix || strings.HasPrefix(p, prefix+"/") }
	path := u.EscapedPath()
	if mode != "always" && matchHost != strings.ToLower(u.Hostname()) {
		return resolved
	}
	if matchPath != "" && !hasPrefix(path, matchPath) {
		return resolved
	}
	out := *u
	out.Scheme = reg.Scheme
	out.Host = reg.Host
	switch {
	case matchPath != "":
		path = regPath + path[len(matchPath):]
	case regPath != "" && !hasPrefix(path, regPath):
		path = regPath + path
	}
	if p, err := url.PathUnescape(path); err == nil {
		out.Path, out.RawPath = p, path
	}
	return out.String()
}
