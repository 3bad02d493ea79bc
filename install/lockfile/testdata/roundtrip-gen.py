import json, os
S = "sha512-" + "A"*86 + "=="
def reg(name, ver): 
    base = name.split('/')[-1]
    return f"https://registry.npmjs.org/{name}/-/{base}-{ver}.tgz"
out = {}

# aliases
out['aliases.v3'] = {
 "lockfileVersion": 3, "requires": True, "name": "aliases", "version": "1.0.0",
 "packages": {
  "": {"name": "aliases", "version": "1.0.0", "dependencies": {"string-width-cjs": "npm:string-width@^4.2.0", "sw": "npm:string-width@^5.1.2", "@my/react": "npm:react@18.3.1", "lodash": "npm:@scope/lodash-fork@1.0.0"}},
  "node_modules/string-width-cjs": {"name": "string-width", "version": "4.2.3", "resolved": reg("string-width","4.2.3"), "integrity": S, "license": "MIT", "dependencies": {"strip-ansi": "^6.0.1"}, "engines": {"node": ">=8"}},
  "node_modules/sw": {"version": "5.1.2", "name": "string-width", "integrity": S, "resolved": reg("string-width","5.1.2"), "dependencies": {"strip-ansi": "^7.0.1"}, "funding": {"url": "https://github.com/sponsors/sindresorhus"}},
  "node_modules/sw/node_modules/strip-ansi": {"version": "7.1.0", "integrity": S, "license": "MIT"},
  "node_modules/strip-ansi": {"version": "6.0.1", "integrity": S},
  "node_modules/@my/react": {"name": "react", "version": "18.3.1", "integrity": S, "dependencies": {"loose-envify": "^1.1.0"}},
  "node_modules/lodash": {"name": "@scope/lodash-fork", "version": "1.0.0", "integrity": S, "dev": True},
 }}

# workspaces + links
out['workspaces-links.v3'] = {
 "name": "mono", "lockfileVersion": 3, "requires": True,
 "packages": {
  "": {"name": "mono", "workspaces": ["packages/*", "tools/@internal/*"], "devDependencies": {}, "dependencies": {"local-lib": "file:local-lib"}},
  "node_modules/ws-a": {"link": True, "resolved": "packages/ws-a"},
  "node_modules/@internal/cli": {"resolved": "tools/@internal/cli", "link": True},
  "node_modules/local-lib": {"resolved": "local-lib", "link": True},
  "local-lib": {"version": "2.0.0", "license": "ISC"},
  "packages/ws-a": {"version": "0.1.0", "dependencies": {"is-number": "^6.0.0", "@internal/cli": "*"}, "devDependencies": {"typescript": "^5"}},
  "packages/ws-a/node_modules/is-number": {"version": "6.0.0", "integrity": S, "resolved": reg("is-number","6.0.0")},
  "tools/@internal/cli": {"name": "@internal/cli", "version": "0.0.1", "bin": {"icli": "bin/cli.js"}, "devDependencies": {}},
  "node_modules/is-number": {"version": "7.0.0", "integrity": S, "engines": {"node": ">=0.12.0"}},
  "node_modules/typescript": {"version": "5.6.3", "dev": True, "integrity": S, "bin": {"tsc": "bin/tsc", "tsserver": "bin/tsserver"}, "engines": {"node": ">=14.17"}},
 }}

# peer meta
out['peer-meta.v3'] = {
 "name": "peers", "version": "0.0.0", "lockfileVersion": 3, "requires": True,
 "packages": {
  "": {"name": "peers", "version": "0.0.0", "dependencies": {"react-dom": "^18", "use-sync": "1.0.0"}},
  "node_modules/react-dom": {"version": "18.3.1", "integrity": S, "peerDependencies": {"react": "^18.3.1"}, "dependencies": {"scheduler": "^0.23.2"}},
  "node_modules/react": {"version": "18.3.1", "integrity": S, "peer": True},
  "node_modules/use-sync": {"version": "1.0.0", "integrity": S, "peerDependencies": {"react": ">=16", "@types/react": "*", "immer": ">=9"}, "peerDependenciesMeta": {"@types/react": {"optional": True}, "immer": {"optional": True}, "react": {}}},
  "node_modules/scheduler": {"version": "0.23.2", "integrity": S, "devOptional": True, "acceptDependencies": {"loose-envify": "^1"}},
  "node_modules/fsevents": {"version": "2.3.3", "integrity": S, "optional": True, "dev": True, "os": ["darwin"], "hasInstallScript": True, "engines": {"node": "^8.16.0 || ^10.6.0 || >=11.0.0"}},
  "node_modules/@img/sharp-linuxmusl-x64": {"version": "0.33.5", "integrity": S, "cpu": ["x64"], "os": ["linux"], "libc": ["musl"], "optional": True, "funding": {"url": "https://opencollective.com/libvips"}, "license": "Apache-2.0"},
 }}

# funding arrays and other raw fields
out['funding-arrays.v3'] = {
 "name": "funding", "lockfileVersion": 3, "requires": True,
 "packages": {
  "": {"name": "funding", "dependencies": {"a": "1", "b": "1", "c": "1", "d": "1"}},
  "node_modules/a": {"version": "1.0.0", "integrity": S, "funding": [{"type": "github", "url": "https://github.com/sponsors/a"}, "https://tidelift.com/a", {"type": "opencollective", "url": "https://opencollective.com/a"}]},
  "node_modules/b": {"version": "1.0.0", "integrity": S, "funding": {"type": "individual", "url": "https://b.example/fund"}, "license": "(MIT OR Apache-2.0)"},
  "node_modules/c": {"version": "1.0.0", "integrity": S, "funding": "https://c.example", "engines": ["node >= 0.4.0"], "license": {"type": "MIT", "url": "https://opensource.org/licenses/MIT"}},
  "node_modules/d": {"version": "1.0.0", "integrity": "sha1-" + "B"*27 + "=", "deprecated": "use e instead", "bundleDependencies": ["x", "y"], "hasShrinkwrap": True, "extraneous": True, "workspaces": {"packages": ["p/*"]}},
  "node_modules/d/node_modules/x": {"version": "0.1.0", "inBundle": True, "dev": False, "optional": "", "unknownField": {"z": [1, 2.50, 1e2, -0.0, 1e21, 1e-7, 0.000001, 123456789012345678901234, 5e-324]}},
  "node_modules/d/node_modules/y": {"version": "", "inBundle": True, "engines": {}, "os": [], "bin": {}},
 }}

# unicode / escapes / key order
out['unicode-escapes.v3'] = {
 "name": "uni<&>", "version": "1.0.0-\u2028\u2029", "lockfileVersion": 3, "requires": True,
 "packages": {
  "": {"name": "uni<&>", "version": "1.0.0-\u2028\u2029", "dependencies": {"1": "^1", "10": "^1", "2": "^1", "01": "^1", "a_b": "1", "a-b": "1", "a.b": "1", "ab": "1", "Ab": "1", "AB": "1", "_a": "1", "@scope/a": "1", "1pkg": "1", "name": "1", "version": "2", "\u00e9t\u00e9": "1", "ete": "1", "zz": "1"}},
  "node_modules/a_b": {"version": "1.0.0", "description-ish": "tab\there \"quoted\" back\\slash \u0001\u001f\u007f <script>&amp; \u2028\u2029 \U0001F600 e\u0301"},
  "node_modules/a-b": {"version": "1.0.0"},
  "node_modules/a.b": {"version": "1.0.0"},
  "node_modules/a/node_modules/b": {"version": "1.0.0"},
  "node_modules/a": {"version": "1.0.0"},
  "node_modules/ab": {"version": "1.0.0"},
  "node_modules/Ab": {"version": "1.0.0"},
  "node_modules/@scope/a": {"version": "1.0.0"},
  "node_modules/1pkg": {"version": "1.0.0"},
  "node_modules/\u00e9t\u00e9": {"version": "1.0.0", "license": "\u00a9 \u4e2d\u6587"},
 }}

# legacy v2 with dependencies tree
out['legacy.v2'] = {
 "name": "legacy", "version": "1.0.0", "lockfileVersion": 2, "requires": True,
 "packages": {
  "": {"name": "legacy", "version": "1.0.0", "dependencies": {"a": "^1.0.0", "sw": "npm:string-width@4"}, "devDependencies": {"b": "^2"}},
  "node_modules/a": {"version": "1.0.0", "resolved": reg("a","1.0.0"), "integrity": S, "dependencies": {"c": "^1"}},
  "node_modules/a/node_modules/c": {"version": "1.1.0", "resolved": reg("c","1.1.0"), "integrity": S},
  "node_modules/b": {"version": "2.0.0", "resolved": reg("b","2.0.0"), "integrity": S, "dev": True},
  "node_modules/sw": {"name": "string-width", "version": "4.2.3", "resolved": reg("string-width","4.2.3"), "integrity": S},
 },
 "dependencies": {
  "a": {"version": "1.0.0", "resolved": reg("a","1.0.0"), "integrity": S, "requires": {"c": "^1"}, "dependencies": {"c": {"version": "1.1.0", "resolved": reg("c","1.1.0"), "integrity": S}}},
  "b": {"version": "2.0.0", "resolved": reg("b","2.0.0"), "integrity": S, "dev": True},
  "sw": {"version": "npm:string-width@4.2.3", "resolved": reg("string-width","4.2.3"), "integrity": S},
  "g": {"version": "git+ssh://git@github.com/u/g.git#0123456789abcdef0123456789abcdef01234567", "from": "g@github:u/g"},
 }}
for k, v in out.items():
    with open(f"src/{k}.json", "w") as f:
        json.dump(v, f, indent=2, ensure_ascii=False)
