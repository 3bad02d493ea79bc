// Package npmrc loads npm configuration the way npm 11 (@npmcli/config) does
// and answers the questions an installer asks of it: which registry serves a
// package, which Authorization header a URL may receive, retry and TLS
// settings, proxies, and the install flags (omit, include, ignore-scripts,
// legacy-peer-deps, os/cpu/libc ...).
//
// Sources, highest precedence first: explicit flags, npm_config_* environment
// variables (case-insensitive, "_" read as "-", keys starting with "//" kept
// verbatim), the project <dir>/.npmrc, the user config (userconfig, by default
// $HOME/.npmrc, usually redirected with NPM_CONFIG_USERCONFIG), the global
// config ($PREFIX/etc/npmrc) and npm's defaults.
//
// Invariants:
//   - Files are parsed like npm's ini package (comments, quoting, key[]=
//     arrays); keys are case sensitive, as in npm; ${VAR} and ${VAR?} are
//     expanded in keys and values like @npmcli/config's env-replace.
//   - Credentials are only ever returned for URLs whose host (and port)
//     match the nerf-darted key, using npm-registry-fetch's longest-prefix
//     walk; there is no suffix or substring matching of hosts.
//   - Secrets never appear in errors produced here; Redact removes every
//     known secret (and URL userinfo) from arbitrary text.
//   - Unlike npm, which warns and ignores, invalid values for typed keys
//     (numbers, URLs, omit/include) and registry-less top-level credentials
//     (npm's ERR_INVALID_AUTH) make Load fail with the file and line.
package npmrc
