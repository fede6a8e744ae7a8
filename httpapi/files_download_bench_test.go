package httpapi_test

import (
	"io"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/dropboxtest"
)

// BenchmarkDownload1GiB downloads a 1 GiB file through the service (GET
// /v1/connections/{id}/files/content, which streams it from the emulator
// and checks its content hash) and, as the baseline in the same run,
// straight from the emulator with the client (Client.Download, which
// checks the content hash too). Each iteration downloads four times, in
// the order direct, service, service, direct, so that a drift of the
// machine's speed during the iteration weighs on both alike. ratio is the
// service's throughput over the client's; the target is at least 0.60.
func BenchmarkDownload1GiB(b *testing.B) {
	const size = 1 << 30
	emu := dropboxtest.NewEmulator(b)
	acct := emu.CreateAccount(b, dropboxtest.AccountArg{Email: "bench1g@example.com", AccountType: "pro"})
	direct := dropbox.New(dropbox.WithBaseURL(emu.URL), dropbox.WithToken(acct.AccessToken))
	gen := io.LimitReader(rand.NewChaCha8([32]byte{'1', 'g'}), size)
	if _, err := direct.Upload(b.Context(), "/bench-1g.bin", gen, size, nil); err != nil {
		b.Fatal(err)
	}
	srvURL, key, connID := benchService(b, emu, acct)
	url := srvURL + contentPath(connID, "/bench-1g.bin")

	viaClient := func() time.Duration {
		start := time.Now()
		m, err := direct.Download(b.Context(), "/bench-1g.bin", io.Discard, nil)
		if err != nil || m.Size != size {
			b.Fatalf("direct download: %v", err)
		}
		return time.Since(start)
	}
	viaService := func() time.Duration {
		start := time.Now()
		req, err := http.NewRequestWithContext(b.Context(), http.MethodGet, url, nil)
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || n != size || resp.StatusCode != http.StatusOK {
			b.Fatalf("download through the service: %d, %d bytes, %v", resp.StatusCode, n, err)
		}
		return time.Since(start)
	}

	var service, client time.Duration
	for b.Loop() {
		client += viaClient()
		service += viaService()
		service += viaService()
		client += viaClient()
	}
	mb := 2 * float64(size) * float64(b.N) / 1e6
	b.ReportMetric(mb/service.Seconds(), "service-MB/s")
	b.ReportMetric(mb/client.Seconds(), "direct-MB/s")
	b.ReportMetric(client.Seconds()/service.Seconds(), "ratio")
}
