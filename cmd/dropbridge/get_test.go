package main

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge/httpapi"
)

// cli runs "dropbridge args..." against s, with its API key.
func (s *scriptService) cli(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return runCmd(t, append(args, "--server", s.url, "--api-key", s.key)...)
}

// entry returns the metadata of the entry name in the folder dir of the
// demo account.
func (s *scriptService) entry(t *testing.T, dir, name string) httpapi.Entry {
	t.Helper()
	out, _, err := s.cli(t, "ls", "--json", s.conn, dir)
	if err != nil {
		t.Fatal(err)
	}
	var entries []httpapi.Entry
	if err := json.Unmarshal([]byte(out), &entries); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name == name {
			return e
		}
	}
	t.Fatalf("no %s in %s", name, dir)
	return httpapi.Entry{}
}

// dirNames lists the names in dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestGetResumesAPartFile(t *testing.T) {
	t.Parallel()
	s, err := startScriptService(t)
	if err != nil {
		t.Fatal(err)
	}
	content := scriptFiles()["/hello.txt"]
	rev := s.entry(t, "/", "hello.txt").Rev
	dir := t.TempDir()
	target := filepath.Join(dir, "hello.txt")
	part := func(rev string) string { return filepath.Join(dir, ".hello.txt.dropbridge-"+rev+".part") }
	writePart := func(rev, data string) {
		t.Helper()
		if err := os.WriteFile(part(rev), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	check := func(wantResumed bool) {
		t.Helper()
		out, errOut, err := s.cli(t, "get", s.conn, "/hello.txt", target)
		if err != nil {
			t.Fatalf("get: %v\n%s", err, errOut)
		}
		if got := strings.Contains(out, ", resumed after 10 bytes"); got != wantResumed {
			t.Errorf("get said %q, want resumed=%v", out, wantResumed)
		}
		if got, err := os.ReadFile(target); err != nil || string(got) != content {
			t.Errorf("downloaded %q, %v; want %q", got, err, content)
		}
		if diff := cmp.Diff([]string{"hello.txt"}, dirNames(t, dir)); diff != "" {
			t.Errorf("files left beside the download (-want +got):\n%s", diff)
		}
	}

	// The start of the file, of the revision there: only the rest is
	// asked for.
	writePart(rev, content[:10])
	check(true)

	// A part file of an older revision is not resumed, and is removed.
	writePart("0123456789abc", content[:10])
	check(false)

	// A damaged part file fails the content hash: nothing is renamed,
	// the part file is removed, and the next run downloads it whole.
	if err := os.Remove(target); err != nil {
		t.Fatal(err)
	}
	writePart(rev, "XXXXXXXXXX")
	_, _, err = s.cli(t, "get", s.conn, "/hello.txt", target)
	if err == nil || !strings.Contains(err.Error(), "do not match Dropbox's content hash") {
		t.Fatalf("get over a damaged part file: %v", err)
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Fatalf("left %v after a failed download", names)
	}
	check(false)

	// A part file as long as the file or longer is no start: start over.
	writePart(rev, content+"more")
	check(false)
}

func TestProblemError(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name        string
		status      int
		contentType string
		body        string
		want        string
	}{
		{"problem", 404, "application/problem+json",
			`{"type":"urn:dropbridge:problem:not_found","title":"Not found","status":404,"detail":"No connection \"x\".","code":"not_found"}`,
			`No connection "x". (404 not_found)`},
		{"dropbox error, detail over lines", 409, "application/problem+json; charset=utf-8",
			`{"status":409,"detail":"Dropbox refused\nit.","code":"conflict","dropbox_error":"path/conflict/file"}`,
			`Dropbox refused it. (409 conflict, Dropbox: path/conflict/file)`},
		{"not a problem", 502, "text/html", "<html>\n<h1>Bad gateway</h1></html>",
			`the service answered 502 Bad Gateway, not an API answer (is --server the dropbridge service?): <html> <h1>Bad gateway</h1></html>`},
		{"empty", 500, "", "", `the service answered 500 Internal Server Error, not an API answer (is --server the dropbridge service?): no details`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			if tt.contentType != "" {
				rec.Header().Set("Content-Type", tt.contentType)
			}
			rec.WriteHeader(tt.status)
			rec.WriteString(tt.body)
			resp := rec.Result()
			if got := readProblem(resp).Error(); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}
