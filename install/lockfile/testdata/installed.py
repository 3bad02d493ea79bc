#!/usr/bin/env python3
"""Print the lock keys of what is on disk under a project (sorted): every
package folder or symlink in node_modules (recursively), and every lock key
outside node_modules that exists as a folder (workspaces, file: targets)."""
import json, os, sys
root = sys.argv[1]
lock = json.load(open(os.path.join(root, 'package-lock.json')))
out = set()
def walk_nm(key):
    nm = os.path.join(root, key, 'node_modules') if key else os.path.join(root, 'node_modules')
    if not os.path.isdir(nm):
        return
    for name in os.listdir(nm):
        if name.startswith('.'):
            continue
        full = os.path.join(nm, name)
        names = [name]
        if name.startswith('@') and os.path.isdir(full) and not os.path.islink(full):
            names = [name + '/' + s for s in os.listdir(full) if not s.startswith('.')]
        for n in names:
            k = (key + '/' if key else '') + 'node_modules/' + n
            p = os.path.join(root, k)
            out.add(k)
            if not os.path.islink(p):
                walk_nm(k)
walk_nm('')
for k in lock['packages']:
    if k and '/node_modules/' not in '/' + k and os.path.isdir(os.path.join(root, k)):
        out.add(k)
        walk_nm(k)
for k in sorted(out):
    print(k)
