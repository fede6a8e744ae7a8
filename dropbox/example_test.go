package dropbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/dropboxemu"
)

// emulatorForExample starts a Dropbox API emulator with one account and
// returns its URL, a token, and a function that stops it.
func emulatorForExample() (string, string, func()) {
	emu, err := dropboxemu.New(dropboxemu.Options{})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(emu)
	resp, err := http.Post(srv.URL+"/_emulator/accounts", "application/json",
		bytes.NewReader([]byte(`{"email":"ada@example.com","display_name":"Ada Lovelace"}`)))
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var acct struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&acct); err != nil {
		panic(err)
	}
	return srv.URL, acct.AccessToken, func() { emu.Drain(); srv.Close(); emu.Close() }
}

// Upload a file, list the folder and download the file back.
func Example() {
	base, token, stop := emulatorForExample()
	defer stop()
	ctx := context.Background()
	c := dropbox.New(dropbox.WithBaseURL(base), dropbox.WithToken(token))

	var up struct {
		PathDisplay string `json:"path_display"`
		Size        int64  `json:"size"`
	}
	if err := c.CallUpload(ctx, "files/upload", map[string]any{"path": "/Notes/hello.txt", "mode": "add"}, strings.NewReader("hello, dropbox"), &up); err != nil {
		panic(err)
	}
	fmt.Println("uploaded", up.PathDisplay, up.Size)

	var list struct {
		Entries []struct {
			Tag         string `json:".tag"`
			PathDisplay string `json:"path_display"`
		} `json:"entries"`
	}
	if err := c.Call(ctx, "files/list_folder", map[string]any{"path": "", "recursive": true}, &list); err != nil {
		panic(err)
	}
	for _, e := range list.Entries {
		fmt.Println(e.Tag, e.PathDisplay)
	}

	body, err := c.CallDownload(ctx, "files/download", map[string]any{"path": "/notes/HELLO.txt"}, nil, "")
	if err != nil {
		panic(err)
	}
	defer body.Close()
	b, _ := io.ReadAll(body)
	fmt.Println(string(b))
	// Output:
	// uploaded /Notes/hello.txt 14
	// folder /Notes
	// file /Notes/hello.txt
	// hello, dropbox
}

// Match Dropbox's errors by kind, not by text.
func ExampleAPIError() {
	base, token, stop := emulatorForExample()
	defer stop()
	c := dropbox.New(dropbox.WithBaseURL(base), dropbox.WithToken(token))

	err := c.Call(context.Background(), "files/get_metadata", map[string]any{"path": "/nowhere.txt"}, nil)
	var apiErr *dropbox.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.Route, apiErr.Tags)
	}
	fmt.Println(errors.Is(err, dropbox.ErrNotFound))
	// Output:
	// files/get_metadata [path not_found]
	// true
}
