package inflate

import "encoding/binary"

// decodeFast decodes a Huffman block while at least fastInMin input bytes
// remain and the write position is below outLimit (the window has 512 bytes
// of slack after outLimit for a step's output and overrun).
//
// Bit budget: each step refills the bit buffer to at least 56 bits, enough
// for three literals (15 bits each), or two literals plus a length code
// with its extra bits (20 bits). Before the distance (up to 28 bits) the
// buffer is refilled unless it holds 39 bits, so that at least 11 valid bits
// remain to preload the next step's litlen entry; every path into the next
// step leaves at least 11 bits in the buffer.
func (z *Reader) decodeFast() (eob bool, err error) {
	in := z.in[:z.inEnd]
	inPos := z.inPos
	bitbuf, bitsleft := z.bitbuf, z.bitsleft
	win := z.win[:winSize]
	wpos := z.wpos
	validStart := z.validStart
	lit := &z.lit
	dist := &z.dist
	inLimit := len(in) - fastInMin

	if inPos > inLimit {
		return false, nil
	}
	bitbuf |= binary.LittleEndian.Uint64(in[inPos:]) << (bitsleft & 63)
	inPos += 7 - int(bitsleft>>3&7)
	bitsleft |= 56
	e := lit[bitbuf&(1<<litBits-1)]

	for inPos <= inLimit && wpos < outLimit {
		bitbuf |= binary.LittleEndian.Uint64(in[inPos:]) << (bitsleft & 63)
		inPos += 7 - int(bitsleft>>3&7)
		bitsleft |= 56

		if e&flagLit != 0 {
			bitbuf >>= e & 63
			bitsleft -= uint(e & 63)
			win[wpos] = byte(e >> 16)
			wpos++
			e = lit[bitbuf&(1<<litBits-1)]
			if e&flagLit != 0 {
				bitbuf >>= e & 63
				bitsleft -= uint(e & 63)
				win[wpos] = byte(e >> 16)
				wpos++
				e = lit[bitbuf&(1<<litBits-1)]
				if e&flagLit != 0 {
					bitbuf >>= e & 63
					bitsleft -= uint(e & 63)
					win[wpos] = byte(e >> 16)
					wpos++
					e = lit[bitbuf&(1<<litBits-1)]
					continue
				}
			}
		}
		if e&flagExc != 0 {
			if e&flagSub != 0 {
				bitbuf >>= e & 63
				bitsleft -= uint(e & 63)
				e = lit[((e>>16)+uint32(bitbuf)&(1<<(e>>8&15)-1))&(litTableSize-1)]
				if e&flagLit != 0 {
					bitbuf >>= e & 63
					bitsleft -= uint(e & 63)
					win[wpos] = byte(e >> 16)
					wpos++
					e = lit[bitbuf&(1<<litBits-1)]
					continue
				}
			}
			if e&flagExc != 0 {
				if e&flagEOB != 0 {
					bitbuf >>= e & 63
					bitsleft -= uint(e & 63)
					eob = true
				} else {
					err = corrupt("invalid literal/length code")
				}
				break
			}
		}
		saved := bitbuf
		bitbuf >>= e & 63
		bitsleft -= uint(e & 63)
		length := int(e>>16) + int((saved&(1<<(e&63)-1))>>(e>>8&15))

		if bitsleft < 39 {
			bitbuf |= binary.LittleEndian.Uint64(in[inPos:]) << (bitsleft & 63)
			inPos += 7 - int(bitsleft>>3&7)
			bitsleft |= 56
		}
		e = dist[bitbuf&(1<<distBits-1)]
		if e&flagExc != 0 {
			if e&flagSub != 0 {
				bitbuf >>= e & 63
				bitsleft -= uint(e & 63)
				e = dist[((e>>16)+uint32(bitbuf)&(1<<(e>>8&15)-1))&(distTableSize-1)]
			}
			if e&flagExc != 0 {
				err = corrupt("invalid distance code")
				break
			}
		}
		saved = bitbuf
		bitbuf >>= e & 63
		bitsleft -= uint(e & 63)
		d := int(e>>16) + int((saved&(1<<(e&63)-1))>>(e>>8&15))
		e = lit[bitbuf&(1<<litBits-1)]
		if d > wpos-validStart {
			err = corrupt("distance %d beyond the start of the output", d)
			break
		}
		src := wpos - d
		if d >= 8 {
			// 8 bytes at a time, up to 39 bytes past the match's end
			// (within the slack). Each word is stored before the next is
			// loaded, so overlapping matches (8 <= d < length) are right.
			dp := (*[40]byte)(win[wpos : wpos+40])
			sp := (*[40]byte)(win[src : src+40])
			binary.LittleEndian.PutUint64(dp[0:], binary.LittleEndian.Uint64(sp[0:]))
			binary.LittleEndian.PutUint64(dp[8:], binary.LittleEndian.Uint64(sp[8:]))
			binary.LittleEndian.PutUint64(dp[16:], binary.LittleEndian.Uint64(sp[16:]))
			binary.LittleEndian.PutUint64(dp[24:], binary.LittleEndian.Uint64(sp[24:]))
			binary.LittleEndian.PutUint64(dp[32:], binary.LittleEndian.Uint64(sp[32:]))
			for i := 40; i < length; i += 8 {
				binary.LittleEndian.PutUint64(win[wpos+i:], binary.LittleEndian.Uint64(win[src+i:]))
			}
		} else if d == 1 {
			v := uint64(win[src]) * 0x0101010101010101
			for i := 0; i < length; i += 8 {
				binary.LittleEndian.PutUint64(win[wpos+i:], v)
			}
		} else {
			w := win[wpos : wpos+length]
			s := win[src : src+length]
			for i := range w {
				w[i] = s[i]
			}
		}
		wpos += length
	}
	z.inPos = inPos
	z.bitbuf, z.bitsleft = bitbuf, bitsleft
	z.wpos = wpos
	return eob, err
}
