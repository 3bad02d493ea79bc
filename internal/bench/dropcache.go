package bench

import (
	"fmt"
	"io/fs"
	"path/filepath"
)

// A large fixture writes gigabytes per run: five runs of two tools leave
// the page cache holding the trash and free memory near zero, and the
// later runs then pay for reclaim (measured: lockstep's p3 large at 20 s
// instead of 9 s, with three times the system time, in the last runs of a
// bench). Before each timed run, settle therefore drops from the page cache
// what the caches moved to the trash since the last run held, so every run
// starts with memory in the same state. Only discarded caches are dropped:
// discarded projects hold hardlinks into them, or into the cache a warm
// run still uses.

// dropPageCache evicts the clean cached pages of every regular file under
// the given trees (best effort: errors are ignored).
func dropPageCache(roots []string) {
	for _, root := range roots {
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return nil
			}
			dropFile(p)
			return nil
		})
	}
}

// Deleting a tree leaves its dentries in the kernel's cache, negative:
// after a few large installs and deletions the machine here held 17
// million, and every path lookup of every tool walked longer hash chains
// (__d_lookup_rcu, __d_lookup and insert_inode_locked took 12% of a cold install's
// CPU). A CI machine starts with an empty cache. With Settle set, each
// fixture therefore starts by dropping the dentry and inode caches (see
// dropDentries), before its untimed setup runs warm the tools again.
func (b *bencher) dropDentries() {
	if b.o.Settle <= 0 {
		return
	}
	before, err := dropDentries()
	if err != nil {
		if !b.dropFailed {
			b.dropFailed = true
			fmt.Fprintf(b.o.Stdout, "bench: could not drop the dentry and inode caches (%v); runs start with what earlier work left cached\n", err)
		}
		return
	}
	fmt.Fprintf(b.o.Stdout, "bench: dropped the dentry and inode caches (%d dentries cached before)\n", before)
}
