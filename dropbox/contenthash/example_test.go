package contenthash_test

import (
	"fmt"
	"io"
	"strings"

	"github.com/dropbridge/dropbridge/dropbox/contenthash"
)

// Hash a stream while it goes elsewhere (an upload), then compare with the
// content_hash Dropbox answers.
func Example() {
	h := contenthash.New()
	if _, err := io.Copy(h, strings.NewReader("hello, dropbox")); err != nil {
		panic(err)
	}
	fmt.Println(len(h.Hex()), h.Hex() == contenthash.Of([]byte("hello, dropbox")))
	// Output: 64 true
}
