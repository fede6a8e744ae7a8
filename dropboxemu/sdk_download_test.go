package dropboxemu_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/files"
	"github.com/google/go-cmp/cmp"
)

func TestDownloadRange(t *testing.T) {
	t.Parallel()
	emu, acct, fc := coreSetup(t)
	data := coreRandom(7, 100)
	corePut(t, fc, "/r.bin", data)

	arg := files.NewDownloadArg("/r.bin")
	arg.ExtraHeaders = map[string]string{"Range": "bytes=10-19"}
	meta, rc, err := fc.DownloadContext(t.Context(), arg)
	if err != nil {
		t.Fatalf("ranged download: %v", err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !cmp.Equal(got, data[10:20]) || meta.Size != 100 {
		t.Errorf("ranged download = %d bytes, size %d", len(got), meta.Size)
	}

	cases := []struct {
		rng          string
		status       int
		contentRange string
		body         []byte
	}{
		{"bytes=10-19", http.StatusPartialContent, "bytes 10-19/100", data[10:20]},
		{"bytes=95-", http.StatusPartialContent, "bytes 95-99/100", data[95:]},
		{"bytes=-5", http.StatusPartialContent, "bytes 95-99/100", data[95:]},
		{"bytes=90-1000", http.StatusPartialContent, "bytes 90-99/100", data[90:]},
		{"bytes=0-0", http.StatusPartialContent, "bytes 0-0/100", data[:1]},
		{"bytes=100-", http.StatusRequestedRangeNotSatisfiable, "bytes */100", nil},
		{"bytes=20-10", http.StatusRequestedRangeNotSatisfiable, "bytes */100", nil},
	}
	for _, c := range cases {
		r := do(t, emu, rawCall{Route: "files/download", Token: acct.AccessToken, Style: "download",
			Arg: map[string]any{"path": "/r.bin"}, Header: map[string]string{"Range": c.rng}})
		if r.Status != c.status || r.Header.Get("Content-Range") != c.contentRange {
			t.Errorf("Range %s: %d %q, want %d %q", c.rng, r.Status, r.Header.Get("Content-Range"), c.status, c.contentRange)
			continue
		}
		if c.body != nil && !cmp.Equal(r.Body, c.body) {
			t.Errorf("Range %s: body %d bytes, want %d", c.rng, len(r.Body), len(c.body))
		}
	}
}

func TestDownloadIfNoneMatch(t *testing.T) {
	t.Parallel()
	emu, acct, fc := coreSetup(t)
	up := corePut(t, fc, "/e.txt", []byte("etag me"))
	call := func(inm string) rawResult {
		h := map[string]string{}
		if inm != "" {
			h["If-None-Match"] = inm
		}
		return do(t, emu, rawCall{Route: "files/download", Token: acct.AccessToken, Style: "download",
			Arg: map[string]any{"path": "/e.txt"}, Header: h})
	}
	first := call("")
	etag := first.Header.Get("ETag")
	// Dropbox's ETag is the rev as a weak validator.
	if first.Status != http.StatusOK || etag != `W/"`+up.Rev+`"` {
		t.Fatalf("download: %d, ETag %q, want W/\"%s\"", first.Status, etag, up.Rev)
	}
	again := call(etag)
	if again.Status != http.StatusNotModified || len(again.Body) != 0 || again.Header.Get("ETag") != etag {
		t.Errorf("If-None-Match %s: %d %q ETag %q", etag, again.Status, again.Body, again.Header.Get("ETag"))
	}
	if other := call(`W/"0123456789"`); other.Status != http.StatusOK || string(other.Body) != "etag me" {
		t.Errorf("If-None-Match with another tag: %d", other.Status)
	}
	// A new revision has a new tag.
	coreOverwrite(t, fc, "/e.txt", []byte("changed"))
	if r := call(etag); r.Status != http.StatusOK || string(r.Body) != "changed" || r.Header.Get("ETag") == etag {
		t.Errorf("old ETag after a change: %d %q", r.Status, r.Body)
	}
	// Through the SDK, a 304 surfaces as an error without a body.
	arg := files.NewDownloadArg("/e.txt")
	arg.ExtraHeaders = map[string]string{"If-None-Match": call("").Header.Get("ETag")}
	if _, _, err := fc.DownloadContext(t.Context(), arg); err == nil {
		t.Error("SDK download with a matching If-None-Match succeeded")
	}
}

func TestDownloadRevisions(t *testing.T) {
	t.Parallel()
	emu, acct, fc := coreSetup(t)
	v1 := corePut(t, fc, "/doc.txt", []byte("first"))
	v2 := coreOverwrite(t, fc, "/doc.txt", []byte("second"))
	other := corePut(t, fc, "/other.txt", []byte("other"))

	get := func(arg *files.DownloadArg) (string, *files.FileMetadata, error) {
		t.Helper()
		m, rc, err := fc.DownloadContext(t.Context(), arg)
		if err != nil {
			return "", nil, err
		}
		defer rc.Close()
		b, _ := io.ReadAll(rc)
		return string(b), m, nil
	}
	if s, m, err := get(files.NewDownloadArg("/doc.txt")); err != nil || s != "second" || m.Rev != v2.Rev {
		t.Errorf("current = %q %v %v", s, m, err)
	}
	if s, m, err := get(files.NewDownloadArg("rev:" + v1.Rev)); err != nil || s != "first" || m.Rev != v1.Rev {
		t.Errorf("rev: path = %q %v %v", s, m, err)
	}
	if s, m, err := get(&files.DownloadArg{Path: "/doc.txt", Rev: v1.Rev}); err != nil || s != "first" || m.Rev != v1.Rev {
		t.Errorf("rev argument = %q %v %v", s, m, err)
	}
	// A rev of another file, or an unknown one, is not_found.
	for _, arg := range []*files.DownloadArg{{Path: "/doc.txt", Rev: other.Rev}, files.NewDownloadArg("rev:0123456789abc")} {
		_, _, err := get(arg)
		if e := coreAPIErr[files.DownloadAPIError](t, err); e.EndpointError.Path.Tag != files.LookupErrorNotFound {
			t.Errorf("download %+v: %v", arg, err)
		}
	}
	_, _, err := get(&files.DownloadArg{Path: "/doc.txt", Rev: "nothex"})
	coreBadRequest(t, err, "rev")

	// Folders and missing paths.
	coreMkdir(t, fc, "/folder")
	_, _, err = get(files.NewDownloadArg("/folder"))
	if e := coreAPIErr[files.DownloadAPIError](t, err); e.EndpointError.Path.Tag != files.LookupErrorNotFile {
		t.Errorf("download of a folder: %v", err)
	}
	_, _, err = get(files.NewDownloadArg("/missing"))
	if e := coreAPIErr[files.DownloadAPIError](t, err); e.EndpointError.Path.Tag != files.LookupErrorNotFound {
		t.Errorf("download of nothing: %v", err)
	}
	corePut(t, fc, "/doc.paper", []byte("# p"))
	_, _, err = get(files.NewDownloadArg("/doc.paper"))
	if e := coreAPIErr[files.DownloadAPIError](t, err); e.EndpointError.Tag != files.DownloadErrorUnsupportedFile {
		t.Errorf("download of a Paper doc: %v", err)
	}

	// GET with the argument and the token as URL parameters.
	q := url.Values{"arg": {`{"path":"/doc.txt"}`}, "authorization": {"Bearer " + acct.AccessToken}}
	resp, err := http.Get(emu.URL + "/2/files/download?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(b) != "second" {
		t.Errorf("GET download: %d %q", resp.StatusCode, b)
	}
}

func TestDownloadResultHeaderIsASCII(t *testing.T) {
	t.Parallel()
	emu, acct, fc := coreSetup(t)
	const path = "/Dossier é/Ünïcødé 日本 🎉.txt"
	up := corePut(t, fc, path, []byte("hi"))
	r := do(t, emu, rawCall{Route: "files/download", Token: acct.AccessToken, Style: "download", Arg: map[string]any{"path": path}})
	if r.Status != http.StatusOK {
		t.Fatalf("download: %d %s", r.Status, r.Body)
	}
	h := r.Header.Get("Dropbox-API-Result")
	for i := 0; i < len(h); i++ {
		if h[i] >= 0x7f {
			t.Fatalf("Dropbox-API-Result has byte %#x at %d: %q", h[i], i, h)
		}
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(h), &res); err != nil {
		t.Fatalf("Dropbox-API-Result is not JSON: %v", err)
	}
	if res["path_display"] != path || res["name"] != "Ünïcødé 日本 🎉.txt" || res["id"] != up.Id {
		t.Errorf("Dropbox-API-Result = %v", res)
	}
	if _, tagged := res[".tag"]; tagged {
		t.Errorf("download result has a .tag: %s", h)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/octet-stream" {
		t.Errorf("Content-Type = %q", ct)
	}
	// The SDK decodes the same.
	m, rc, err := fc.DownloadContext(t.Context(), files.NewDownloadArg(path))
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
	if m.PathDisplay != path {
		t.Errorf("SDK path_display = %q", m.PathDisplay)
	}
}
