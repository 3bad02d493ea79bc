package inflate

import "io"

// readBlockHeader reads a block header (and a dynamic block's code
// description) and sets up the block's state.
func (z *Reader) readBlockHeader() error {
	if err := z.need(3); err != nil {
		return err
	}
	z.final = z.bitbuf&1 != 0
	typ := z.bitbuf >> 1 & 3
	z.consume(3)
	switch typ {
	case 0:
		z.alignInput()
		var h [4]byte
		for i := range h {
			b, err := z.readByte()
			if err != nil {
				return noEOF(err)
			}
			h[i] = b
		}
		n := uint16(h[0]) | uint16(h[1])<<8
		if n != ^(uint16(h[2]) | uint16(h[3])<<8) {
			return corrupt("stored block length %d does not match its complement", n)
		}
		z.storedLeft = int(n)
		z.state = stStored
	case 1:
		if !z.fixed {
			lit, dist := fixedTables()
			z.lit = *lit
			z.dist = *dist
			z.fixed = true
		}
		z.state = stHuffman
	case 2:
		z.fixed = false
		if err := z.readDynamic(); err != nil {
			return err
		}
		z.state = stHuffman
	default:
		return corrupt("invalid block type 3")
	}
	return nil
}

// readDynamic reads a dynamic block's code lengths and builds its tables.
func (z *Reader) readDynamic() error {
	if err := z.need(14); err != nil {
		return err
	}
	nlit := int(z.bitbuf&31) + 257
	ndist := int(z.bitbuf>>5&31) + 1
	nclen := int(z.bitbuf>>10&15) + 4
	z.consume(14)
	if nlit > 286 {
		return corrupt("%d literal/length codes (max 286)", nlit)
	}
	if ndist > 30 {
		return corrupt("%d distance codes (max 30)", ndist)
	}
	var cl [19]uint8
	for _, sym := range clenOrder[:nclen] {
		if err := z.need(3); err != nil {
			return err
		}
		cl[sym] = uint8(z.bitbuf & 7)
		z.consume(3)
	}
	if !buildTable(z.clen[:], cl[:], clenTmpl[:], clenBits) {
		return corrupt("over-subscribed or incomplete code-length code")
	}
	lens := z.lens[:nlit+ndist]
	for i := 0; i < len(lens); {
		if err := z.tryFill(14); err != nil {
			return err
		}
		e := z.clen[z.bitbuf&(clenTableSize-1)]
		if e&flagExc != 0 {
			if uint(e&0xff) > z.bitsleft {
				return io.ErrUnexpectedEOF
			}
			return corrupt("invalid code-length symbol")
		}
		n := uint(e & 0xff)
		if n > z.bitsleft {
			return io.ErrUnexpectedEOF
		}
		z.consume(n)
		sym := e >> 16
		if sym < 16 {
			lens[i] = uint8(sym)
			i++
			continue
		}
		var rep int
		var nb uint
		var v uint8
		switch sym {
		case 16:
			if i == 0 {
				return corrupt("code-length repeat with no previous length")
			}
			rep, nb, v = 3, 2, lens[i-1]
		case 17:
			rep, nb = 3, 3
		default:
			rep, nb = 11, 7
		}
		if nb > z.bitsleft {
			return io.ErrUnexpectedEOF
		}
		rep += int(z.bitbuf & (1<<nb - 1))
		z.consume(nb)
		if i+rep > len(lens) {
			return corrupt("code lengths overflow the code count")
		}
		for ; rep > 0; rep-- {
			lens[i] = v
			i++
		}
	}
	if !buildTable(z.lit[:], lens[:nlit], litTmpl[:], litBits) {
		return corrupt("over-subscribed or incomplete literal/length code")
	}
	if !buildTable(z.dist[:], lens[nlit:], distTmpl[:], distBits) {
		return corrupt("over-subscribed or incomplete distance code")
	}
	return nil
}

// copyStored copies a stored block's bytes to the window.
func (z *Reader) copyStored() error {
	for z.storedLeft > 0 && z.wpos < outLimit {
		if z.inPos == z.inEnd {
			if err := z.fillInput(); err != nil {
				return noEOF(err)
			}
		}
		n := min(z.storedLeft, z.inEnd-z.inPos, len(z.win)-z.wpos)
		copy(z.win[z.wpos:], z.in[z.inPos:z.inPos+n])
		z.wpos += n
		z.inPos += n
		z.storedLeft -= n
	}
	if z.storedLeft == 0 {
		z.state = stEnd
	}
	return nil
}

// decodeSlow decodes one symbol with careful refills; used near the end of
// the input.
func (z *Reader) decodeSlow() (eob bool, err error) {
	if err := z.tryFill(56); err != nil {
		return false, err
	}
	e := z.lit[z.bitbuf&(1<<litBits-1)]
	if e&flagSub != 0 {
		if uint(e&0xff) > z.bitsleft {
			return false, io.ErrUnexpectedEOF
		}
		z.consume(uint(e & 0xff))
		e = z.lit[((e>>16)+uint32(z.bitbuf)&(1<<(e>>8&15)-1))&(litTableSize-1)]
	}
	n := uint(e & 0xff)
	if n > z.bitsleft {
		return false, io.ErrUnexpectedEOF
	}
	if e&flagLit != 0 {
		z.consume(n)
		z.win[z.wpos] = byte(e >> 16)
		z.wpos++
		return false, nil
	}
	if e&flagExc != 0 {
		if e&flagEOB != 0 {
			z.consume(n)
			return true, nil
		}
		return false, corrupt("invalid literal/length code")
	}
	saved := z.bitbuf
	z.consume(n)
	length := int(e>>16) + int((saved&(1<<n-1))>>(e>>8&15))

	e = z.dist[z.bitbuf&(1<<distBits-1)]
	if e&flagSub != 0 {
		if uint(e&0xff) > z.bitsleft {
			return false, io.ErrUnexpectedEOF
		}
		z.consume(uint(e & 0xff))
		e = z.dist[((e>>16)+uint32(z.bitbuf)&(1<<(e>>8&15)-1))&(distTableSize-1)]
	}
	n = uint(e & 0xff)
	if n > z.bitsleft {
		return false, io.ErrUnexpectedEOF
	}
	if e&flagExc != 0 {
		return false, corrupt("invalid distance code")
	}
	saved = z.bitbuf
	z.consume(n)
	dist := int(e>>16) + int((saved&(1<<n-1))>>(e>>8&15))
	if dist > z.wpos-z.validStart {
		return false, corrupt("distance %d beyond the start of the output", dist)
	}
	w := z.win[z.wpos : z.wpos+length]
	src := z.win[z.wpos-dist:]
	for i := range w {
		w[i] = src[i]
	}
	z.wpos += length
	return false, nil
}
