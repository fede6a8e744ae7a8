package dropboxemu_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/files"
)

func TestZZTiming(t *testing.T) {
	_, fc := featSetup(t)
	st := time.Now()
	for i := range 39 {
		featPut(t, fc, fmt.Sprintf("/w/g0/f%d", i), []byte("x"))
	}
	t.Log("puts", time.Since(st))
	for g := 1; g <= 8; g++ {
		st = time.Now()
		for _, half := range []string{"a", "b"} {
			arg := files.NewRelocationArg(fmt.Sprintf("/w/g%d", g-1), fmt.Sprintf("/w/g%d/%s", g, half))
			if _, err := fc.CopyV2Context(t.Context(), arg); err != nil {
				t.Fatalf("copy into g%d: %v", g, err)
			}
		}
		t.Log("copy", g, time.Since(st))
	}
	st = time.Now()
	_, rc, _ := fc.DownloadZipContext(t.Context(), files.NewDownloadZipArg("/w/g7"))
	rc.Close()
	t.Log("zip7", time.Since(st))
	st = time.Now()
	fc.DownloadZipContext(t.Context(), files.NewDownloadZipArg("/w/g8"))
	t.Log("zip8", time.Since(st))
}
