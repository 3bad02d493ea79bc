// Writes a JSON file back the way npm's Shrinkwrap.toString() does: parse
// with json-parse-even-better-errors (which records indent and newline),
// then json-stringify-nice with arborist's swKeyOrder, `indent || 2`, and
// every "\n" replaced by the newline. Usage: node npm-stringify.js IN [FMT]
// where FMT (default IN) is the file whose formatting is used (npm uses
// package.json's). Reads npm's own copies of the two modules.
const fs = require('fs')
const path = require('path')
const npmDir = process.env.NPM_DIR || '/usr/lib/node_modules/npm'
const req = m => require(path.join(npmDir, 'node_modules', m))
const parse = req('json-parse-even-better-errors')
const stringify = req('json-stringify-nice')
const swKeyOrder = ['name', 'version', 'lockfileVersion', 'resolved',
  'integrity', 'requires', 'packages', 'dependencies']
const data = parse(fs.readFileSync(process.argv[2], 'utf8'))
const fmt = process.argv[3] ? parse(fs.readFileSync(process.argv[3], 'utf8')) : data
const indent = fmt[Symbol.for('indent')] || 2
const eol = fmt[Symbol.for('newline')] || '\n'
process.stdout.write(stringify(data, swKeyOrder, indent).replace(/\n/g, eol))
