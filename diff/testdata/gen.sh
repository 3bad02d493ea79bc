#!/usr/bin/env bash
# Regenerates the reader fixtures from the projects in projects/<scenario>/{base,head}
# with the real tools. Not run by the tests; run by hand when a tool's format moves.
#   TOOLS=/tmp/tools: npm i --prefix /tmp/tools yarn @yarnpkg/cli-dist @pnpm/exe.linux-x64 @oven/bun-linux-x64 --ignore-scripts
#   PNPM8=/tmp/pnpm8: npm i --prefix /tmp/pnpm8 pnpm@8 --ignore-scripts   (writes pnpm lockfile v6)
# Usage: diff/testdata/gen.sh [scenario...]   (run from the repository root)
set -euo pipefail
TOOLS=${TOOLS:-/tmp/tools}
PNPM8=${PNPM8:-/tmp/pnpm8}
REG=${REGISTRY:-https://registry.npmjs.org}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=($(ls "$root/testdata/projects"))
fresh() { rm -rf "$work/p"; cp -r "$root/testdata/projects/$1/$2" "$work/p"; cd "$work/p"; }
for sc in "${scenarios[@]}"; do
  for side in base head; do
    [ -d "$root/testdata/projects/$sc/$side" ] || continue
    for v in 1 2 3; do
      fresh "$sc" "$side"
      npm install --package-lock-only --ignore-scripts --no-audit --no-fund --lockfile-version "$v" \
        --omit-lockfile-registry-resolved=false --registry "$REG/" >/dev/null
      cp package-lock.json "$root/lockfile/npm/testdata/$sc-$side.v$v.json"
    done
    fresh "$sc" "$side"
    node "$TOOLS/node_modules/yarn/bin/yarn.js" install --ignore-scripts --registry "$REG/" --non-interactive --silent >/dev/null
    cp yarn.lock "$root/lockfile/yarn/testdata/$sc-$side.v1.lock"
    fresh "$sc" "$side"
    printf 'npmRegistryServer: "%s"\nenableTelemetry: false\nenableGlobalCache: false\n' "$REG" > .yarnrc.yml
    YARN_ENABLE_SCRIPTS=0 node "$TOOLS/node_modules/@yarnpkg/cli-dist/bin/yarn.js" install --mode=update-lockfile >/dev/null
    cp yarn.lock "$root/lockfile/yarn/testdata/$sc-$side.berry-v$(sed -n "s/^  version: //p" yarn.lock | head -1).lock"
    fresh "$sc" "$side"
    "$TOOLS/node_modules/@pnpm/exe.linux-x64/pnpm" install --lockfile-only --ignore-scripts --registry "$REG/" >/dev/null
    cp pnpm-lock.yaml "$root/lockfile/pnpm/testdata/$sc-$side.v9.yaml"
    fresh "$sc" "$side"
    node "$PNPM8/node_modules/pnpm/bin/pnpm.cjs" install --lockfile-only --ignore-scripts --registry "$REG/" >/dev/null
    cp pnpm-lock.yaml "$root/lockfile/pnpm/testdata/$sc-$side.v6.yaml"
    fresh "$sc" "$side"
    printf '[install]\nregistry = "%s/"\n' "$REG" > bunfig.toml
    "$TOOLS/node_modules/@oven/bun-linux-x64/bin/bun" install --lockfile-only --ignore-scripts >/dev/null
    cp bun.lock "$root/lockfile/bun/testdata/$sc-$side.v$(sed -n "s/^  \"lockfileVersion\": \([0-9]*\),/\1/p" bun.lock).lock"
  done
done
