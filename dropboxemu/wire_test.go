package dropboxemu_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/dropbridge/dropbridge/dropboxtest"
)

// rawCall is one HTTP call to the emulator, for tests of the wire format.
type rawCall struct {
	Route  string            // "files/upload"
	Token  string            // bearer token, "" for none
	Arg    any               // JSON argument (body for rpc, header otherwise)
	Header map[string]string // extra headers
	Body   []byte            // upload body
	Style  string            // "rpc" (default), "upload", "download"
}

type rawResult struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r rawResult) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("answer is not JSON (%d): %s", r.Status, r.Body)
	}
	return m
}

func do(t *testing.T, emu *dropboxtest.Emulator, c rawCall) rawResult {
	t.Helper()
	var body io.Reader
	req, err := http.NewRequest(http.MethodPost, emu.URL+"/2/"+c.Route, nil)
	if err != nil {
		t.Fatal(err)
	}
	argJSON := []byte(nil)
	if c.Arg != nil {
		if s, ok := c.Arg.(string); ok {
			argJSON = []byte(s)
		} else if argJSON, err = json.Marshal(c.Arg); err != nil {
			t.Fatal(err)
		}
	}
	switch c.Style {
	case "", "rpc":
		if argJSON != nil {
			body = bytes.NewReader(argJSON)
			req.Header.Set("Content-Type", "application/json")
		}
	default:
		if argJSON != nil {
			req.Header.Set("Dropbox-API-Arg", string(argJSON))
		}
		if c.Style == "upload" {
			req.Header.Set("Content-Type", "application/octet-stream")
			body = bytes.NewReader(c.Body)
		}
	}
	if body != nil {
		req.Body = io.NopCloser(body)
		if br, ok := body.(*bytes.Reader); ok {
			req.ContentLength = int64(br.Len())
		}
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	for k, v := range c.Header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", c.Route, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return rawResult{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func TestWireSmoke(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t)
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@example.com", DisplayName: "Ada Lovelace"})

	up := do(t, emu, rawCall{Route: "files/upload", Token: acct.AccessToken, Style: "upload",
		Arg: map[string]any{"path": "/Docs/Hello.txt", "mode": "add"}, Body: []byte("hello")})
	if up.Status != 200 {
		t.Fatalf("upload: %d %s", up.Status, up.Body)
	}
	meta := up.json(t)
	if meta["path_display"] != "/Docs/Hello.txt" || meta["path_lower"] != "/docs/hello.txt" || meta["size"] != 5.0 {
		t.Errorf("upload metadata = %v", meta)
	}
	if up.Header.Get("X-Dropbox-Request-Id") == "" {
		t.Error("no X-Dropbox-Request-Id")
	}

	dl := do(t, emu, rawCall{Route: "files/download", Token: acct.AccessToken, Style: "download",
		Arg: map[string]any{"path": "/docs/HELLO.txt"}})
	if dl.Status != 200 || string(dl.Body) != "hello" {
		t.Fatalf("download: %d %q", dl.Status, dl.Body)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(dl.Header.Get("Dropbox-API-Result")), &res); err != nil || res["id"] != meta["id"] {
		t.Errorf("Dropbox-API-Result = %q (%v)", dl.Header.Get("Dropbox-API-Result"), err)
	}

	nf := do(t, emu, rawCall{Route: "files/get_metadata", Token: acct.AccessToken, Arg: map[string]any{"path": "/nope"}})
	if nf.Status != 409 {
		t.Fatalf("get_metadata missing: %d %s", nf.Status, nf.Body)
	}
	got := nf.json(t)
	if !strings.HasPrefix(got["error_summary"].(string), "path/not_found/") {
		t.Errorf("error_summary = %v", got["error_summary"])
	}
	if e := got["error"].(map[string]any); e[".tag"] != "path" || e["path"].(map[string]any)[".tag"] != "not_found" {
		t.Errorf("error = %v", e)
	}

	bad := do(t, emu, rawCall{Route: "files/list_folder", Token: acct.AccessToken, Arg: "{not json"})
	if bad.Status != 400 || !strings.Contains(string(bad.Body), "could not decode input as JSON") {
		t.Errorf("bad JSON: %d %s", bad.Status, bad.Body)
	}
	noauth := do(t, emu, rawCall{Route: "files/list_folder", Token: "sl.nope", Arg: map[string]any{"path": ""}})
	if noauth.Status != 401 || noauth.json(t)["error"].(map[string]any)[".tag"] != "invalid_access_token" {
		t.Errorf("bad token: %d %s", noauth.Status, noauth.Body)
	}

	list := do(t, emu, rawCall{Route: "files/list_folder", Token: acct.AccessToken, Arg: map[string]any{"path": "", "recursive": true}})
	if list.Status != 200 {
		t.Fatalf("list_folder: %d %s", list.Status, list.Body)
	}
	entries := list.json(t)["entries"].([]any)
	if len(entries) != 2 {
		t.Fatalf("list_folder entries = %v", entries)
	}
}
