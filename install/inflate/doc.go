// Package inflate is a fast, pure-Go gzip (RFC 1952) / DEFLATE (RFC 1951)
// decompressor for npm tarballs, built on the ideas of libdeflate: a 64-bit
// bit buffer refilled a word at a time, single-lookup Huffman tables whose
// entries carry the literal or the length/distance base and extra-bit count,
// and match copies done 8 bytes at a time.
//
// Invariants:
//   - Input is untrusted. Every table index is masked to its array size and
//     every other slice access is bounds-checked by the language, so corrupt
//     input yields an error (io.ErrUnexpectedEOF when truncated, an error
//     wrapping ErrCorrupt, ErrHeader or ErrChecksum otherwise), never a panic
//     or an endless loop. The package does not use unsafe.
//   - Acceptance matches compress/flate: over-subscribed and incomplete
//     Huffman codes are rejected except for a single code of length one (and
//     empty codes, which fail when used); distances beyond the output so far
//     are rejected.
//   - Output is decoded into a window that keeps the last 32 KiB of history;
//     Read hands bytes out of the window. CRC-32 and ISIZE of every gzip
//     member are verified before io.EOF is returned.
//   - The input buffer always keeps the 8 bytes before the read position so
//     that whole bytes still in the bit buffer can be given back at byte
//     boundaries (stored blocks, gzip trailers).
package inflate
