#!/usr/bin/env node
// Converts node-semver's test fixtures (test/fixtures/*.js, ISC licence, see
// ../LICENSE.node-semver) into ../fixtures.json for the Go tests.
//
// Usage: node fixtures.js <node-semver checkout at v7.8.5>
//   e.g. git -C node-semver archive v7.8.5 test/fixtures internal | tar -x -C /tmp/ns
//        node fixtures.js /tmp/ns > ../fixtures.json
'use strict'
const path = require('path')

const dir = process.argv[2]
if (!dir) {
  console.error('usage: node fixtures.js <node-semver dir>')
  process.exit(2)
}
const fx = name => require(path.resolve(dir, 'test/fixtures', name))

// node-semver's parseOptions: falsy -> {}, non-object -> {loose: true},
// object -> its loose/includePrerelease flags.
const opts = o => {
  if (!o) {
    return { loose: false, includePrerelease: false }
  }
  if (typeof o !== 'object') {
    return { loose: true, includePrerelease: false }
  }
  return { loose: !!o.loose, includePrerelease: !!o.includePrerelease }
}
const loose = o => opts(o).loose
const strings = (...xs) => xs.every(x => typeof x === 'string')

const out = {
  source: 'github.com/npm/node-semver v7.8.5 test/fixtures (ISC)',
  rangeParse: fx('range-parse.js').map(([r, want, o]) => [r, want, opts(o)]),
  rangeInclude: fx('range-include.js').filter(([r, v]) => strings(r, v))
    .map(([r, v, o]) => [r, v, opts(o)]),
  rangeExclude: fx('range-exclude.js').filter(([r, v]) => strings(r, v))
    .map(([r, v, o]) => [r, v, opts(o)]),
  comparisons: fx('comparisons.js').map(([a, b, o]) => [a, b, loose(o)]),
  equality: fx('equality.js').map(([a, b, o]) => [a, b, loose(o)]),
  validVersions: fx('valid-versions.js')
    .map(([v, M, m, p, pre, build]) => [v, M, m, p, pre.map(String), build]),
  invalidVersions: fx('invalid-versions.js').filter(([v]) => typeof v === 'string')
    .map(([v, why, o]) => [v, why, loose(o)]),
}
process.stdout.write(JSON.stringify(out, null, 1) + '\n')
