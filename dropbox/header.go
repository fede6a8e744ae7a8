package dropbox

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// headerJSON encodes v as JSON that is safe in an HTTP header
// (Dropbox-API-Arg): 0x7F and every character beyond ASCII is written as a
// \uXXXX escape, as a UTF-16 surrogate pair above U+FFFF. See
// https://www.dropbox.com/developers/reference/json-encoding.
func headerJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode argument: %w", err)
	}
	return headerSafe(b), nil
}

// headerSafe escapes JSON text b for an HTTP header. b must be valid JSON:
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
