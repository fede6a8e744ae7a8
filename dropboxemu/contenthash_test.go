package dropboxemu_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/contenthash"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/files"
)

// coreContentHash is Dropbox's content hash computed here, independently of
// the emulator: SHA-256 over the SHA-256 digests of each 4 MiB block.
func coreContentHash(b []byte) string {
	const block = 4 << 20
	var digests []byte
	for len(b) > 0 {
		n := min(block, len(b))
		d := sha256.Sum256(b[:n])
		digests = append(digests, d[:]...)
		b = b[n:]
	}
	sum := sha256.Sum256(digests)
	return hex.EncodeToString(sum[:])
}

// coreRandom returns n pseudo-random bytes from seed.
func coreRandom(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8 && i+j < n; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

func TestContentHash(t *testing.T) {
	t.Parallel()
	emu, acct, fc := coreSetup(t)
	const empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	if got := coreContentHash(nil); got != empty {
		t.Fatalf("the test's own hash of nothing = %s", got)
	}
	const mib4 = 4 << 20
	for i, n := range []int{0, 1, 1000, mib4 - 1, mib4, mib4 + 1, 2*mib4 + 3} {
		data := coreRandom(uint64(i+1), n)
		want := coreContentHash(data)
		if n == 0 && want != empty {
			t.Fatalf("empty input hashes to %s", want)
		}
		// The SDK's own implementation is a second, independent opinion.
		if sdk, _ := contenthash.Compute(bytes.NewReader(data)); sdk != want {
			t.Fatalf("%d bytes: the SDK computes %s, the test %s", n, sdk, want)
		}
		plain := sha256.Sum256(data)
		if n >= mib4 && want == hex.EncodeToString(plain[:]) {
			t.Fatalf("%d bytes: content hash equals a plain SHA-256", n)
		}
		path := fmt.Sprintf("/h/%d.bin", n)
		up := corePut(t, fc, path, data)
		if up.ContentHash != want || up.Size != uint64(n) {
			t.Errorf("%d bytes: upload content_hash %s size %d, want %s", n, up.ContentHash, up.Size, want)
		}
		m, err := fc.GetMetadataContext(t.Context(), files.NewGetMetadataArg(path))
		if f, ok := m.(*files.FileMetadata); err != nil || !ok || f.ContentHash != want {
			t.Errorf("%d bytes: get_metadata = %+v, %v", n, m, err)
		}
		r := do(t, emu, rawCall{Route: "files/download", Token: acct.AccessToken, Style: "download", Arg: map[string]any{"path": path}})
		if r.Status != 200 {
			t.Fatalf("%d bytes: download: %d %s", n, r.Status, r.Body)
		}
		var res struct {
			ContentHash string `json:"content_hash"`
		}
		if err := json.Unmarshal([]byte(r.Header.Get("Dropbox-API-Result")), &res); err != nil || res.ContentHash != want {
			t.Errorf("%d bytes: download result content_hash %q (%v)", n, res.ContentHash, err)
		}
		if !bytes.Equal(r.Body, data) {
			t.Errorf("%d bytes: downloaded bytes differ", n)
		}
		// The hash given with the upload is checked against the bytes.
		arg := files.NewUploadArg(path + ".checked")
		arg.ContentHash = want
		if _, err := fc.UploadContext(t.Context(), arg, bytes.NewReader(data)); err != nil {
			t.Errorf("%d bytes: upload with its own content_hash: %v", n, err)
		}
	}
}
