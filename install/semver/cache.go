package semver

import "sync"

type cacheKey struct {
	rng  string
	opts Options
}

// rangeCacheMax bounds the memo of parsed ranges; when full it is emptied
// (cheaper than LRU bookkeeping, and the working set of an install is small).
const rangeCacheMax = 1 << 14

// memoEntry is a parse result; invalid ranges are remembered too.
type memoEntry struct {
	r   *Range
	err error
}

type rangeMemo struct {
	mu sync.RWMutex
	m  map[cacheKey]memoEntry
}

var rangeCache = &rangeMemo{m: make(map[cacheKey]memoEntry)}

func (c *rangeMemo) get(k cacheKey) (memoEntry, bool) {
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	return e, ok
}

func (c *rangeMemo) put(k cacheKey, e memoEntry) {
	c.mu.Lock()
	if len(c.m) >= rangeCacheMax {
		clear(c.m)
	}
	c.m[k] = e
	c.mu.Unlock()
}
