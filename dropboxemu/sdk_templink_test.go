package dropboxemu_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/files"
)

// coreHTTP makes a plain HTTP request (no Dropbox headers) and reads the answer.
func coreHTTP(t *testing.T, method, url string, header map[string]string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func TestTempLinkDownload(t *testing.T) {
	t.Parallel()
	emu, _, fc := coreSetup(t)
	data := coreRandom(21, 3000)
	up := corePut(t, fc, "/v/Report.pdf", data)
	res, err := fc.GetTemporaryLinkContext(t.Context(), files.NewGetTemporaryLinkArg("/V/report.PDF"))
	if err != nil {
		t.Fatalf("get_temporary_link: %v", err)
	}
	if res.Metadata.Id != up.Id || res.Metadata.PathDisplay != "/v/Report.pdf" || !strings.HasPrefix(res.Link, emu.URL+"/") {
		t.Errorf("get_temporary_link = %+v %s", res.Metadata, res.Link)
	}
	status, h, body := coreHTTP(t, http.MethodGet, res.Link, nil, nil)
	if status != http.StatusOK || !bytes.Equal(body, data) {
		t.Fatalf("GET link: %d, %d bytes", status, len(body))
	}
	if ct := h.Get("Content-Type"); ct != "application/pdf" {
		t.Errorf("link Content-Type = %q, want the file's MIME type", ct)
	}
	status, h, body = coreHTTP(t, http.MethodGet, res.Link, map[string]string{"Range": "bytes=100-199"}, nil)
	if status != http.StatusPartialContent || !bytes.Equal(body, data[100:200]) || h.Get("Content-Range") != "bytes 100-199/3000" {
		t.Errorf("ranged GET link: %d %q, %d bytes", status, h.Get("Content-Range"), len(body))
	}
	if status, _, _ := coreHTTP(t, http.MethodPost, res.Link, nil, []byte("x")); status != http.StatusMethodNotAllowed {
		t.Errorf("POST to a download link: %d", status)
	}
	// Four hours on the emulator clock, then 410 Gone.
	emu.Advance(t, 4*time.Hour-time.Minute)
	if status, _, _ := coreHTTP(t, http.MethodGet, res.Link, nil, nil); status != http.StatusOK {
		t.Errorf("link just before 4 hours: %d", status)
	}
	emu.Advance(t, 2*time.Minute)
	if status, _, _ := coreHTTP(t, http.MethodGet, res.Link, nil, nil); status != http.StatusGone {
		t.Errorf("link after 4 hours: %d, want 410", status)
	}
	if status, _, _ := coreHTTP(t, http.MethodGet, emu.URL+"/temp/nosuchlink", nil, nil); status != http.StatusGone {
		t.Errorf("unknown link: %d, want 410", status)
	}

	// Lookup errors.
	coreMkdir(t, fc, "/dir")
	corePut(t, fc, "/doc.paper", []byte("# p"))
	for path, want := range map[string]string{"/dir": files.LookupErrorNotFile, "/missing": files.LookupErrorNotFound} {
		_, err := fc.GetTemporaryLinkContext(t.Context(), files.NewGetTemporaryLinkArg(path))
		if e := coreAPIErr[files.GetTemporaryLinkAPIError](t, err); e.EndpointError.Path == nil || e.EndpointError.Path.Tag != want {
			t.Errorf("get_temporary_link %s: %v, want path/%s", path, err, want)
		}
	}
	_, err = fc.GetTemporaryLinkContext(t.Context(), files.NewGetTemporaryLinkArg("/doc.paper"))
	if e := coreAPIErr[files.GetTemporaryLinkAPIError](t, err); e.EndpointError.Tag != files.GetTemporaryLinkErrorUnsupportedFile {
		t.Errorf("get_temporary_link of a Paper doc: %v", err)
	}
}

func TestTempLinkUpload(t *testing.T) {
	t.Parallel()
	emu, _, fc := coreSetup(t)
	link := func(path string, duration float64) string {
		t.Helper()
		arg := files.NewGetTemporaryUploadLinkArg(files.NewCommitInfo(path))
		arg.Duration = duration
		res, err := fc.GetTemporaryUploadLinkContext(t.Context(), arg)
		if err != nil {
			t.Fatalf("get_temporary_upload_link: %v", err)
		}
		return res.Link
	}
	octet := map[string]string{"Content-Type": "application/octet-stream"}
	data := coreRandom(31, 777)
	l := link("/up/New.bin", 3600)
	if !strings.HasPrefix(l, emu.URL+"/apitul/1/") {
		t.Errorf("link = %s", l)
	}
	// A wrong Content-Type is a 400 and does not use up the link.
	if status, _, _ := coreHTTP(t, http.MethodPost, l, map[string]string{"Content-Type": "application/json"}, data); status != http.StatusBadRequest {
		t.Errorf("upload with Content-Type application/json: %d, want 400", status)
	}
	status, _, body := coreHTTP(t, http.MethodPost, l, octet, data)
	if status != http.StatusOK {
		t.Fatalf("upload through the link: %d %s", status, body)
	}
	var res map[string]string
	if err := json.Unmarshal(body, &res); err != nil || res["content-hash"] != coreContentHash(data) {
		t.Errorf("link upload answer = %s", body)
	}
	if got := coreRead(t, fc, "/up/new.bin"); !bytes.Equal(got, data) {
		t.Errorf("uploaded file differs")
	}
	if status, _, _ := coreHTTP(t, http.MethodPost, l, octet, []byte("again")); status != http.StatusGone {
		t.Errorf("second upload through the link: %d, want 410", status)
	}
	if got := coreRead(t, fc, "/up/new.bin"); !bytes.Equal(got, data) {
		t.Errorf("a used link changed the file")
	}
	// The commit info is evaluated at upload: a conflict then is a 409.
	l = link("/up/new.bin", 60)
	if status, _, _ := coreHTTP(t, http.MethodPost, l, octet, []byte("different")); status != http.StatusConflict {
		t.Errorf("link upload onto another file (add): %d, want 409", status)
	}
	// Expiry: the duration counts on the emulator clock.
	l = link("/up/late.bin", 60)
	emu.Advance(t, 61*time.Second)
	if status, _, _ := coreHTTP(t, http.MethodPost, l, octet, data); status != http.StatusGone {
		t.Errorf("upload through an expired link: %d, want 410", status)
	}
	for _, d := range []float64{59, 14401} {
		arg := files.NewGetTemporaryUploadLinkArg(files.NewCommitInfo("/x"))
		arg.Duration = d
		_, err := fc.GetTemporaryUploadLinkContext(t.Context(), arg)
		coreBadRequest(t, err, "duration")
	}
}
