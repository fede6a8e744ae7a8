package dropboxemu_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/files"

	"github.com/dropbridge/dropbridge/dropboxtest"
)

func TestPathRoot(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t)
	ada := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@example.com", AccountType: "pro"})
	bob := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "bob@example.com", AccountType: "pro"})
	cfg := sdkConfig(emu, ada.AccessToken)
	if _, err := files.New(cfg).Upload(files.NewUploadArg("/in-home.txt"), bytes.NewReader([]byte("x"))); err != nil {
		t.Fatal(err)
	}

	for _, root := range []string{
		`{".tag":"home"}`,
		fmt.Sprintf(`{".tag":"root","root":%q}`, ada.RootNS),
		fmt.Sprintf(`{".tag":"namespace_id","namespace_id":%q}`, ada.RootNS),
	} {
		c := cfg
		c.PathRoot = root
		if _, err := files.New(c).GetMetadata(files.NewGetMetadataArg("/in-home.txt")); err != nil {
			t.Errorf("path root %s: %v", root, err)
		}
	}

	// A root that is not the user's: 422 invalid_root with the user's root info.
	res := do(t, emu, rawCall{Route: "files/get_metadata", Token: ada.AccessToken, Arg: map[string]any{"path": "/in-home.txt"},
		Header: map[string]string{"Dropbox-API-Path-Root": fmt.Sprintf(`{".tag":"root","root":%q}`, bob.RootNS)}})
	if res.Status != 422 {
		t.Fatalf("foreign root: %d %s", res.Status, res.Body)
	}
	var body struct {
		Summary string `json:"error_summary"`
		Error   struct {
			Tag         string `json:".tag"`
			InvalidRoot struct {
				Tag  string `json:".tag"`
				Root string `json:"root_namespace_id"`
				Home string `json:"home_namespace_id"`
			} `json:"invalid_root"`
		} `json:"error"`
	}
	if err := json.Unmarshal(res.Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Error.Tag != "invalid_root" || body.Error.InvalidRoot.Tag != "user" || body.Error.InvalidRoot.Root != ada.RootNS ||
		!strings.HasPrefix(body.Summary, "invalid_root/") {
		t.Errorf("foreign root answer = %s", res.Body)
	}

	// Another user's namespace: 422 no_permission, through the SDK too.
	c := cfg
	c.PathRoot = fmt.Sprintf(`{".tag":"namespace_id","namespace_id":%q}`, bob.RootNS)
	_, err := files.New(c).GetMetadata(files.NewGetMetadataArg("/in-home.txt"))
	if err == nil || !strings.Contains(err.Error(), "no_permission") {
		t.Errorf("foreign namespace through the SDK: %v", err)
	}
	res = do(t, emu, rawCall{Route: "files/get_metadata", Token: ada.AccessToken, Arg: map[string]any{"path": "/in-home.txt"},
		Header: map[string]string{"Dropbox-API-Path-Root": c.PathRoot}})
	if res.Status != 422 || res.json(t)["error"].(map[string]any)[".tag"] != "no_permission" {
		t.Errorf("foreign namespace: %d %s", res.Status, res.Body)
	}

	for _, bad := range []string{`{not json`, `{".tag":"sideways"}`, `{".tag":"root"}`, `{".tag":"namespace_id","namespace_id":"a/b"}`} {
		res := do(t, emu, rawCall{Route: "files/get_metadata", Token: ada.AccessToken, Arg: map[string]any{"path": "/in-home.txt"},
			Header: map[string]string{"Dropbox-API-Path-Root": bad}})
		if res.Status != 400 || !strings.Contains(string(res.Body), "Dropbox-API-Path-Root") {
			t.Errorf("header %s: %d %s", bad, res.Status, res.Body)
		}
	}
}
