package dropbox

import (
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// headerSafe escapes JSON text b for an HTTP header (Dropbox-API-Arg):
// 0x7F and every character beyond ASCII becomes a \uXXXX escape, a UTF-16
// surrogate pair above U+FFFF. See
// https://www.dropbox.com/developers/reference/json-encoding. b must be valid JSON:
// non-ASCII characters can only occur inside strings, where an escape means
// the same character.
func headerSafe(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b) + len(b)/8)
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf && c != 0x7f {
			sb.WriteByte(c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		i += size
		if r > 0xffff {
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&sb, `\u%04x\u%04x`, r1, r2)
			continue
		}
		fmt.Fprintf(&sb, `\u%04x`, r)
	}
	return sb.String()
}
