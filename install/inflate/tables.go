package inflate

import (
	"math/bits"
	"sync"
)

// Decode-table entries are uint32s:
//
//	bits 0-7   bits to consume: code length (+ extra bits for length/distance
//	           entries); for a subtable pointer, the main table's bit count
//	bits 8-11  code length (so extra bits are (saved&mask(bits0-7))>>codelen);
//	           for a subtable pointer, the subtable's bit count
//	bit 13     end of block (with flagExc)
//	bit 14     subtable pointer (with flagExc)
//	bit 15     exceptional: end of block, subtable pointer or invalid code
//	bits 16-31 literal byte (with flagLit), length/distance base, or the
//	           subtable's start index
//	bit 31     literal (litlen tables only; literals never exceed 255)
const (
	flagLit = 1 << 31
	flagExc = 1 << 15
	flagSub = 1 << 14
	flagEOB = 1 << 13

	litBits  = 11
	distBits = 8
	clenBits = 7

	// Array sizes are powers of two so masked indexes need no bounds check;
	// they exceed the largest possible table (zlib's "enough": 2342 and 402).
	litTableSize  = 4096
	distTableSize = 512
	clenTableSize = 128

	invalidEntry = flagExc
)

var (
	lenBase   = [29]uint32{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lenExtra  = [29]uint32{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase  = [30]uint32{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra = [30]uint32{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}

	// Per-symbol entry templates; an entry for a code of length l is
	// template + l*0x101.
	litTmpl  [288]uint32
	distTmpl [32]uint32
	clenTmpl [19]uint32

	clenOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

	fixedOnce sync.Once
	fixedLit  [litTableSize]uint32
	fixedDist [distTableSize]uint32
)

func init() {
	for i := 0; i < 256; i++ {
		litTmpl[i] = flagLit | uint32(i)<<16
	}
	litTmpl[256] = flagExc | flagEOB
	for i := 0; i < 29; i++ {
		litTmpl[257+i] = lenBase[i]<<16 | lenExtra[i]
	}
	litTmpl[286] = invalidEntry // only reachable in fixed blocks; compress/flate rejects them
	litTmpl[287] = invalidEntry
	for i := 0; i < 30; i++ {
		distTmpl[i] = distBase[i]<<16 | distExtra[i]
	}
	distTmpl[30] = invalidEntry
	distTmpl[31] = invalidEntry
	for i := range clenTmpl {
		clenTmpl[i] = uint32(i) << 16
	}
}

// fixedTables returns the tables of the fixed Huffman code (RFC 1951 3.2.6).
func fixedTables() (*[litTableSize]uint32, *[distTableSize]uint32) {
	fixedOnce.Do(func() {
		var lens [288]uint8
		for i := range lens {
			switch {
			case i < 144:
				lens[i] = 8
			case i < 256:
				lens[i] = 9
			case i < 280:
				lens[i] = 7
			default:
				lens[i] = 8
			}
		}
		if !buildTable(fixedLit[:], lens[:], litTmpl[:], litBits) {
			panic("inflate: fixed litlen code rejected")
		}
		var dl [32]uint8
		for i := range dl {
			dl[i] = 5
		}
		if !buildTable(fixedDist[:], dl[:], distTmpl[:], distBits) {
			panic("inflate: fixed distance code rejected")
		}
	})
	return &fixedLit, &fixedDist
}

// buildTable fills table with the canonical Huffman code given by lens
// (values 0..15; 0 = unused symbol), tmpl giving each symbol's entry template
// and tb the main table's bit count. It reports false for codes that
// compress/flate rejects: over-subscribed codes and incomplete codes other
// than the empty code and a single code of length 1. Slots of accepted
// incomplete codes decode as invalid entries.
func buildTable(table []uint32, lens []uint8, tmpl []uint32, tb int) bool {
	var count [16]int
	for _, l := range lens {
		count[l&15]++
	}
	count[0] = 0
	left, maxLen, total := 1, 0, 0
	for l := 1; l <= 15; l++ {
		left <<= 1
		left -= count[l]
		if left < 0 {
			return false // over-subscribed
		}
		if count[l] > 0 {
			maxLen = l
			total += count[l]
		}
	}
	mainSize := 1 << tb
	if len(table) < mainSize {
		return false
	}
	if left != 0 {
		if maxLen > 1 || total > 1 {
			return false // incomplete
		}
		for i := range table[:mainSize] {
			table[i] = invalidEntry
		}
		if total == 0 {
			return true
		}
	}
	var offs [17]int
	for l := 1; l <= 15; l++ {
		offs[l+1] = offs[l] + count[l]
	}
	var sorted [288]uint16
	for sym, l := range lens {
		if l != 0 && sym < len(tmpl) {
			sorted[offs[l&15]] = uint16(sym)
			offs[l&15]++
		}
	}
	remaining := count
	next := mainSize
	code, idx := 0, 0
	curPrefix, subStart, subBits := -1, 0, 0
	for l := 1; l <= maxLen; l++ {
		for k := count[l]; k > 0; k-- {
			sym := int(sorted[idx])
			idx++
			e := tmpl[sym]
			rev := int(bits.Reverse16(uint16(code)) >> (16 - l))
			if l <= tb {
				e += uint32(l) * 0x101
				for i := rev; i < mainSize; i += 1 << l {
					table[i] = e
				}
			} else {
				if prefix := rev & (mainSize - 1); prefix != curPrefix {
					curPrefix = prefix
					subBits = l - tb
					space := 1 << subBits
					for subBits+tb < maxLen {
						space -= remaining[subBits+tb]
						if space <= 0 {
							break
						}
						subBits++
						space <<= 1
					}
					subStart = next
					next += 1 << subBits
					if next > len(table) {
						return false
					}
					table[prefix] = flagExc | flagSub | uint32(subStart)<<16 | uint32(subBits)<<8 | uint32(tb)
				}
				e += uint32(l-tb) * 0x101
				for i := rev >> tb; i < 1<<subBits; i += 1 << (l - tb) {
					table[subStart+i] = e
				}
			}
			remaining[l]--
			code++
		}
		code <<= 1
	}
	return true
}
