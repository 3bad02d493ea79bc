package inflate

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

var (
	// ErrHeader is returned when the input does not start a gzip member where
	// one is expected: at the start of the stream, or after a complete member
	// (trailing bytes that are not a gzip member, which callers may ignore).
	ErrHeader = errors.New("invalid gzip header")
	// ErrChecksum is returned when a member's CRC-32 or ISIZE does not match
	// the decompressed data.
	ErrChecksum = errors.New("gzip checksum mismatch")
	// ErrCorrupt is wrapped by every error for invalid DEFLATE data.
	ErrCorrupt = errors.New("corrupt deflate data")
)

func corrupt(format string, args ...any) error {
	return fmt.Errorf("failed to inflate: %w: "+format, append([]any{ErrCorrupt}, args...)...)
}

const (
	histSize  = 32 << 10  // DEFLATE window
	outRegion = 128 << 10 // bytes decoded per refill of the window
	outLimit  = histSize + outRegion
	winSize   = outLimit + 512 // slack: a fast-loop step writes < 512 bytes past outLimit
	inBufSize = 64 << 10
	fastInMin = 16 // input bytes the fast loop needs (two 8-byte refills)
)

type state uint8

const (
	stBlock   state = iota // at a block header
	stStored               // inside a stored block
	stHuffman              // inside a Huffman block
	stEnd                  // after a block's end
	stHeader               // before a gzip member header
	stDone                 // raw stream finished
)

// Reader decompresses a gzip stream (RFC 1952), including concatenated
// members, verifying each member's CRC-32 and ISIZE.
type Reader struct {
	r     io.Reader
	raw   bool // single raw DEFLATE stream, no gzip framing (tests)
	err   error
	inErr error // sticky error of r (io.EOF at end)

	in           []byte
	inPos, inEnd int

	bitbuf   uint64
	bitsleft uint // 0..63; bits above bitsleft in bitbuf are zero or the next input bits

	win        []byte
	wpos, rpos int
	validStart int // window index where the current DEFLATE stream's output starts (or 0)
	crcPos     int
	crc, size  uint32

	state      state
	final      bool
	fixed      bool // the tables hold the fixed code
	storedLeft int

	lit  [litTableSize]uint32
	dist [distTableSize]uint32
	clen [clenTableSize]uint32
	lens [286 + 30]uint8
}

// NewReader returns a Reader decompressing r, after reading and checking the
// first gzip member header. An empty r gives io.EOF.
func NewReader(r io.Reader) (*Reader, error) {
	z := new(Reader)
	if err := z.Reset(r); err != nil {
		return nil, err
	}
	return z, nil
}

// Reset discards z's state and makes it decompress r, reusing its buffers.
// It reads and checks the first gzip member header.
func (z *Reader) Reset(r io.Reader) error {
	z.reset(r, false)
	if err := z.readHeader(); err != nil {
		z.err = err
		return err
	}
	z.startMember()
	return nil
}

// newRawReader decompresses a single raw DEFLATE stream (RFC 1951).
func newRawReader(r io.Reader) *Reader {
	z := new(Reader)
	z.reset(r, true)
	z.startMember()
	return z
}

func (z *Reader) reset(r io.Reader, raw bool) {
	if z.in == nil {
		z.in = make([]byte, inBufSize)
		z.win = make([]byte, winSize)
	}
	z.r, z.raw, z.err, z.inErr = r, raw, nil, nil
	z.inPos, z.inEnd = 0, 0
	z.bitbuf, z.bitsleft = 0, 0
	z.wpos, z.rpos = 0, 0
	z.fixed = false
}

// startMember begins a DEFLATE stream (and gzip member) at the window's
// write position: no history before it.
func (z *Reader) startMember() {
	z.validStart = z.wpos
	z.crcPos = z.wpos
	z.crc, z.size = 0, 0
	z.state = stBlock
	z.final = false
}

// Read reads decompressed bytes into p. After the last member it returns
// io.EOF; bytes after a complete member that do not start another member
// give ErrHeader.
func (z *Reader) Read(p []byte) (int, error) {
	for z.rpos == z.wpos {
		if z.err != nil {
			return 0, z.err
		}
		if len(p) == 0 {
			return 0, nil
		}
		if z.wpos >= outLimit {
			z.slide()
		}
		err := z.decode()
		z.updateCRC()
		if err != nil {
			z.err = err
		}
	}
	n := copy(p, z.win[z.rpos:z.wpos])
	z.rpos += n
	return n, nil
}

// slide moves the last histSize bytes of the window to its front. All
// output must have been handed out and hashed.
func (z *Reader) slide() {
	shift := z.wpos - histSize
	copy(z.win, z.win[shift:z.wpos])
	z.wpos -= shift
	z.rpos -= shift
	z.crcPos -= shift
	z.validStart = max(z.validStart-shift, 0)
}

func (z *Reader) updateCRC() {
	if z.raw || z.crcPos == z.wpos {
		z.crcPos = z.wpos
		return
	}
	z.crc = crc32.Update(z.crc, crc32.IEEETable, z.win[z.crcPos:z.wpos])
	z.size += uint32(z.wpos - z.crcPos)
	z.crcPos = z.wpos
}

// decode decodes until the window's output region is full or the stream
// ends (io.EOF) or fails.
func (z *Reader) decode() error {
	for z.wpos < outLimit {
		switch z.state {
		case stBlock:
			if err := z.readBlockHeader(); err != nil {
				return err
			}
		case stStored:
			if err := z.copyStored(); err != nil {
				return err
			}
		case stHuffman:
			if z.inEnd-z.inPos < fastInMin && z.inErr == nil {
				z.fillAhead()
			}
			var eob bool
			var err error
			if z.inEnd-z.inPos >= fastInMin {
				eob, err = z.decodeFast()
			} else {
				eob, err = z.decodeSlow()
			}
			if err != nil {
				return err
			}
			if eob {
				z.state = stEnd
			}
		case stEnd:
			if !z.final {
				z.state = stBlock
				continue
			}
			if z.raw {
				z.state = stDone
				return io.EOF
			}
			if err := z.readTrailer(); err != nil {
				return err
			}
			z.state = stHeader
		case stHeader:
			if err := z.readHeader(); err != nil {
				return err
			}
			z.startMember()
		case stDone:
			return io.EOF
		}
	}
	return nil
}

// ---- input ----

// fillInput reads more input into z.in, keeping the 8 bytes before inPos.
// It returns nil if at least one byte arrived, else the reader's error.
func (z *Reader) fillInput() error {
	if z.inErr != nil {
		return z.inErr
	}
	if keep := z.inPos - 8; keep > 0 {
		z.inEnd = copy(z.in, z.in[keep:z.inEnd])
		z.inPos -= keep
	}
	for tries := 0; tries < 100; tries++ {
		n, err := z.r.Read(z.in[z.inEnd:])
		if n < 0 || n > len(z.in)-z.inEnd {
			n, err = 0, errors.New("failed to read gzip stream: reader returned an invalid count")
		}
		z.inEnd += n
		if err != nil {
			z.inErr = err
		}
		if n > 0 {
			return nil
		}
		if err != nil {
			return err
		}
	}
	z.inErr = io.ErrNoProgress
	return z.inErr
}

// fillAhead reads until fastInMin bytes are buffered or r fails.
func (z *Reader) fillAhead() {
	for z.inEnd-z.inPos < fastInMin {
		if z.fillInput() != nil {
			return
		}
	}
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// tryFill adds input bytes to the bit buffer until it holds n (<= 56) bits
// or the input ends. It returns only errors other than io.EOF.
func (z *Reader) tryFill(n uint) error {
	for z.bitsleft < n {
		if z.inEnd-z.inPos >= 8 {
			z.refillWord()
			return nil
		}
		if z.inPos == z.inEnd {
			if err := z.fillInput(); err != nil {
				if err == io.EOF {
					return nil
				}
				return err
			}
			continue
		}
		z.bitbuf |= uint64(z.in[z.inPos]) << (z.bitsleft & 63)
		z.inPos++
		z.bitsleft += 8
	}
	return nil
}

// refillWord tops the bit buffer up to 56..63 bits from 8 buffered bytes.
func (z *Reader) refillWord() {
	z.bitbuf |= le64(z.in[z.inPos:]) << (z.bitsleft & 63)
	z.inPos += 7 - int(z.bitsleft>>3&7)
	z.bitsleft |= 56
}

// need makes the bit buffer hold n bits, or fails with io.ErrUnexpectedEOF.
func (z *Reader) need(n uint) error {
	if err := z.tryFill(n); err != nil {
		return err
	}
	if z.bitsleft < n {
		return io.ErrUnexpectedEOF
	}
	return nil
}

func (z *Reader) consume(n uint) {
	z.bitbuf >>= n & 63
	z.bitsleft -= n
}

// alignInput drops the bits up to the next byte boundary and gives the whole
// bytes left in the bit buffer back to the input buffer.
func (z *Reader) alignInput() {
	z.inPos -= int(z.bitsleft >> 3)
	z.bitbuf, z.bitsleft = 0, 0
}

// read2 reads two header bytes (a little-endian length or CRC-16).
func (z *Reader) read2() ([2]byte, error) {
	var x [2]byte
	for i := range x {
		b, err := z.readByte()
		if err != nil {
			return x, noEOF(err)
		}
		x[i] = b
	}
	return x, nil
}

// readByte reads a byte at a byte boundary (after alignInput).
func (z *Reader) readByte() (byte, error) {
	if z.inPos == z.inEnd {
		if err := z.fillInput(); err != nil {
			return 0, err
		}
	}
	b := z.in[z.inPos]
	z.inPos++
	return b, nil
}

// ---- gzip framing ----

const (
	flagHdrCRC  = 1 << 1
	flagExtra   = 1 << 2
	flagName    = 1 << 3
	flagComment = 1 << 4
)

// readHeader reads a gzip member header. At the end of input it returns
// io.EOF; bytes that do not start a member give ErrHeader.
func (z *Reader) readHeader() error {
	z.alignInput()
	var h [10]byte
	for i := range h {
		b, err := z.readByte()
		if err != nil {
			if i == 0 {
				return err
			}
			return noEOF(err)
		}
		h[i] = b
		if i == 0 && b != 0x1f || i == 1 && b != 0x8b || i == 2 && b != 8 {
			return ErrHeader
		}
	}
	flg := h[3]
	crc := crc32.ChecksumIEEE(h[:])
	if flg&flagExtra != 0 {
		x, err := z.read2()
		if err != nil {
			return err
		}
		crc = crc32.Update(crc, crc32.IEEETable, x[:])
		for n := int(x[0]) | int(x[1])<<8; n > 0; {
			if z.inPos == z.inEnd {
				if err := z.fillInput(); err != nil {
					return noEOF(err)
				}
			}
			k := min(n, z.inEnd-z.inPos)
			crc = crc32.Update(crc, crc32.IEEETable, z.in[z.inPos:z.inPos+k])
			z.inPos += k
			n -= k
		}
	}
	for _, f := range [2]byte{flagName, flagComment} {
		if flg&f == 0 {
			continue
		}
		for {
			if z.inPos == z.inEnd {
				if err := z.fillInput(); err != nil {
					return noEOF(err)
				}
			}
			s := z.in[z.inPos:z.inEnd]
			k := len(s)
			for i, b := range s {
				if b == 0 {
					k = i + 1
					break
				}
			}
			crc = crc32.Update(crc, crc32.IEEETable, s[:k])
			z.inPos += k
			if s[k-1] == 0 {
				break
			}
		}
	}
	if flg&flagHdrCRC != 0 {
		x, err := z.read2()
		if err != nil {
			return err
		}
		if uint16(x[0])|uint16(x[1])<<8 != uint16(crc) {
			return ErrHeader
		}
	}
	return nil
}

// readTrailer checks the CRC-32 and ISIZE after a member's last block.
func (z *Reader) readTrailer() error {
	z.updateCRC()
	z.alignInput()
	var t [8]byte
	for i := range t {
		b, err := z.readByte()
		if err != nil {
			return noEOF(err)
		}
		t[i] = b
	}
	if le32(t[0:]) != z.crc || le32(t[4:]) != z.size {
		return ErrChecksum
	}
	return nil
}

func le32(b []byte) uint32 {
	_ = b[3]
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func le64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}
