// Package nodetext reads bytes as Node reads them into a string: as UTF-8,
// each byte of an invalid sequence becoming U+FFFD. npm parses lockfiles
// and registry documents only after that decoding, so keys with stray
// bytes sort, match and are written back as those characters.
package nodetext

import "unicode/utf8"

// Decode returns data unchanged when it is valid UTF-8, else a copy in
// which every byte of an invalid sequence is U+FFFD.
func Decode(data []byte) []byte {
	if utf8.Valid(data) {
		return data
	}
	out := make([]byte, 0, len(data)+16)
	for len(data) > 0 {
		r, n := utf8.DecodeRune(data)
		if r == utf8.RuneError && n <= 1 {
			out = append(out, "\uFFFD"...)
			data = data[1:]
			continue
		}
		out = append(out, data[:n]...)
		data = data[n:]
	}
	return out
}
