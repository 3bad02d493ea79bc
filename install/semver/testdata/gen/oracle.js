#!/usr/bin/env node
// Answers semver queries with node-semver, for the Go differential test and
// for corpus.js. Reads one JSON array of queries on stdin and writes one
// JSON array of answers (null where node-semver returns null or throws).
//
// Query forms:
//   ["satisfies", version, range, loose, includePrerelease]
//   ["validRange", range, loose, includePrerelease]
//   ["valid", version, loose]
//   ["clean", version, loose]
//   ["compare", a, b, loose]         (null when either is invalid)
//   ["compareBuild", a, b, loose]
//   ["maxSatisfying", [versions], range, loose, includePrerelease]
//   ["intersects", range1, range2, loose, includePrerelease]
//
// The semver module is $SEMVER_JS, else npm's bundled copy.
'use strict'
const path = require('path')
const { execSync } = require('child_process')

const locate = () => {
  if (process.env.SEMVER_JS) {
    return process.env.SEMVER_JS
  }
  const resolves = c => {
    try {
      require.resolve(c)
      return true
    } catch {
      return false
    }
  }
  const usual = '/usr/lib/node_modules/npm/node_modules/semver'
  if (resolves(usual)) {
    return usual
  }
  try {
    // npm is slow to start, so ask it only when the usual place is empty.
    const root = execSync('npm root -g', { encoding: 'utf8' }).trim()
    const c = path.join(root, 'npm/node_modules/semver')
    if (resolves(c)) {
      return c
    }
  } catch {
    // no npm either
  }
  throw new Error('cannot find node-semver')
}
const semver = require(locate())

const answer = q => {
  const [op, ...a] = q
  try {
    switch (op) {
      case 'satisfies':
        return semver.satisfies(a[0], a[1], { loose: a[2], includePrerelease: a[3] })
      case 'validRange':
        return semver.validRange(a[0], { loose: a[1], includePrerelease: a[2] })
      case 'valid':
        return semver.valid(a[0], { loose: a[1] })
      case 'clean':
        return semver.clean(a[0], { loose: a[1] })
      case 'compare':
        return semver.compare(a[0], a[1], a[2])
      case 'compareBuild':
        return semver.compareBuild(a[0], a[1], a[2])
      case 'intersects':
        return semver.intersects(a[0], a[1], { loose: a[2], includePrerelease: a[3] })
      case 'maxSatisfying':
        return semver.maxSatisfying(a[0], a[1], { loose: a[2], includePrerelease: a[3] })
      case 'version':
        return require(path.join(locate(), 'package.json')).version
    }
  } catch {
    return null
  }
  throw new Error(`unknown query ${op}`)
}

const run = input => JSON.parse(input).map(answer)
module.exports = { run, answer }

if (require.main === module) {
  const chunks = []
  process.stdin.on('data', c => chunks.push(c))
  process.stdin.on('end', () => {
    process.stdout.write(JSON.stringify(run(Buffer.concat(chunks).toString('utf8'))))
  })
}
