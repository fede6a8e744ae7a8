package contenthash_test

import (
	"bytes"
	"testing"

	sdkhash "github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/contenthash"

	"github.com/dropbridge/dropbridge/dropbox/contenthash"
)

// TestAgreesWithDropboxSDK: the same hashes as the official Go SDK's
// implementation, written by someone else, on the block edges.
func TestAgreesWithDropboxSDK(t *testing.T) {
	t.Parallel()
	data := bytes.Repeat([]byte{0xA5, 0x5A, 0x01}, 3*contenthash.BlockSize/3+7)
	for _, n := range []int{0, 1, contenthash.BlockSize - 1, contenthash.BlockSize, contenthash.BlockSize + 1, len(data)} {
		want, err := sdkhash.Compute(bytes.NewReader(data[:n]))
		if err != nil {
			t.Fatal(err)
		}
		if got := contenthash.Of(data[:n]); got != want {
			t.Errorf("%d bytes: %s, the SDK says %s", n, got, want)
		}
	}
}
