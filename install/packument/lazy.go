package packument

import (
	"encoding/binary"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/lockstep-dev/lockstep/install/semver"
)

// Source holds a packument's versions in an encoded form outside this
// package (the manifest cache's entry, in memory or mapped from its file).
// A packument made by SetSource materializes a Version only when it is
// looked up or when all of them are listed: a warm preload looks up one or
// two versions of documents that have hundreds.
//
// A Source is validated when it is made, so its methods cannot fail; it is
// safe for concurrent use and never modified.
type Source interface {
	// Len is the number of versions.
	Len() int
	// At returns version i (in the document's order): its summary and its
	// section over the packument's table.
	At(i int) (Summary, []byte)
	// Find returns the index of the version keyed v exactly, or -1.
	Find(v string) int
}

// lazy is the state of a packument whose versions come from a Source.
type lazy struct {
	src   Source
	slots []atomic.Pointer[Version] // materialized versions, by index
	once  sync.Once
	all   []*Version
}

// SetSource makes p's versions come from src, with fields over tab.
// Versions stays nil; All lists them.
func (p *Packument) SetSource(tab *Table, src Source) {
	p.Versions = nil
	p.index = nil
	p.table = tab
	p.lazy = &lazy{src: src, slots: make([]atomic.Pointer[Version], src.Len())}
}

// at returns version i of a lazy packument, made once.
func (p *Packument) at(i int) *Version {
	slot := &p.lazy.slots[i]
	if v := slot.Load(); v != nil {
		return v
	}
	s, sec := p.lazy.src.At(i)
	v := &Version{Summary: s, tab: p.table, sec: sec, name: p.Name}
	if slot.CompareAndSwap(nil, v) {
		return v
	}
	return slot.Load()
}

// All returns the versions in the document's order: Versions, or for a
// packument made by SetSource every version, materialized once.
func (p *Packument) All() []*Version {
	l := p.lazy
	if l == nil {
		return p.Versions
	}
	l.once.Do(func() {
		all := make([]*Version, len(l.slots))
		for i := range all {
			all[i] = p.at(i)
		}
		l.all = all
	})
	return l.all
}

// Len is the number of versions.
func (p *Packument) Len() int {
	if p.lazy != nil {
		return len(p.lazy.slots)
	}
	return len(p.Versions)
}

// Spans are byte strings stored back to back in blob, span i ending at
// the little-endian uint32 ends[4i:4i+4]: the encoded form of a table's
// strings, and of the manifest cache's version records.
type Spans struct {
	blob, ends []byte
}

// NewSpans checks that the ends are in order and within blob, so At cannot
// fail.
func NewSpans(blob, ends []byte) (Spans, error) {
	if len(ends)%4 != 0 {
		return Spans{}, fmt.Errorf("%w: span ends of %d bytes", ErrSection, len(ends))
	}
	if uint64(len(blob)) > 1<<32-1 {
		return Spans{}, fmt.Errorf("%w: spans of %d bytes", ErrSection, len(blob))
	}
	prev := uint32(0)
	for i := 0; i < len(ends); i += 4 {
		e := binary.LittleEndian.Uint32(ends[i:])
		if e < prev || e > uint32(len(blob)) {
			return Spans{}, fmt.Errorf("%w: span %d ends at %d (previous %d, %d bytes)", ErrSection, i/4, e, prev, len(blob))
		}
		prev = e
	}
	return Spans{blob: blob, ends: ends}, nil
}

// Len is the number of spans.
func (s Spans) Len() int { return len(s.ends) / 4 }

// At returns span i; i must be below Len.
func (s Spans) At(i int) []byte {
	start := uint32(0)
	if i > 0 {
		start = binary.LittleEndian.Uint32(s.ends[4*i-4:])
	}
	end := binary.LittleEndian.Uint32(s.ends[4*i:])
	return s.blob[start:end:end]
}

// NewTableView returns a table viewing strings stored as spans (see
// NewSpans).
func NewTableView(blob, ends []byte) (*Table, error) {
	sp, err := NewSpans(blob, ends)
	if err != nil {
		return nil, err
	}
	return &Table{view: &sp}, nil
}

// Ranked is implemented by a Source that ranks its versions by semver
// precedence, so that a range pick can walk down from the highest version
// instead of parsing every one.
type Ranked interface {
	// Ranked is how many versions parse loosely.
	Ranked() int
	// RankedAt is the index of the k-th highest of them; versions of
	// equal precedence keep the document's order.
	RankedAt(k int) int
}

// RankedIndexes ranks the versions as a Ranked Source does: the indexes of
// the versions that parse loosely, highest first, ties in the document's
// order. It shares Pick's parse of the versions.
func (p *Packument) RankedIndexes() []int {
	parsed, ok := p.semvers()
	idx := make([]int, 0, len(parsed))
	for i := range parsed {
		if ok[i] {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return semver.Compare(&parsed[idx[a]], &parsed[idx[b]]) > 0 })
	return idx
}

// pickRanked is pick's walk down a ranked packument for range r without a
// publication cutoff. It returns the winner when the highest satisfying
// version is neither deprecated nor refused by engines (no other candidate
// can outrank it), found=true and nil when no version satisfies, and
// found=false when the full ranking has to decide.
func pickRanked(p *Packument, r *semver.Range, node, npm string) (v *Version, found bool) {
	if p.lazy == nil {
		return nil, false
	}
	rk, ok := p.lazy.src.(Ranked)
	if !ok {
		return nil, false
	}
	for k := range rk.Ranked() {
		i := rk.RankedAt(k)
		s := p.summary(i)
		sv, ok := semver.ParseValue(s.Version, true)
		if !ok || !r.Test(&sv) {
			continue
		}
		if s.Deprecated == "" && engineOK(&s, node, npm) {
			return p.version(i), true
		}
		return nil, false
	}
	return nil, true
}
