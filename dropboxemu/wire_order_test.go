package dropboxemu_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge/dropboxtest"
)

// keyOrder returns the keys of the JSON object found by following path
// (object keys, or list indexes as float64) from raw, in the order they come.
func keyOrder(t *testing.T, raw []byte, path ...any) []string {
	t.Helper()
	for _, p := range path {
		switch p := p.(type) {
		case string:
			var m map[string]json.RawMessage
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatalf("%s is not an object: %v", raw, err)
			}
			raw = m[p]
		case int:
			var l []json.RawMessage
			if err := json.Unmarshal(raw, &l); err != nil || p >= len(l) {
				t.Fatalf("%s is not a list of at least %d items: %v", raw, p+1, err)
			}
			raw = l[p]
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("%s is not an object", raw)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// Results and errors write their fields in the spec's declaration order
// (parent struct first, ".tag" first), as Dropbox's Stone serializers do,
// and error bodies put error_summary before error.
func TestWireFieldOrder(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t)
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "order@example.com", DisplayName: "Ada Lovelace"})
	call := func(route string, arg any) []byte {
		t.Helper()
		return ok(t, emu, rawCall{Route: route, Token: acct.AccessToken, Arg: arg}).Body
	}
	ok(t, emu, rawCall{Route: "files/upload", Token: acct.AccessToken, Style: "upload",
		Arg: map[string]any{"path": "/Order/notes.txt"}, Body: []byte("order")})

	type check struct {
		name string
		body []byte
		path []any
		want []string
	}
	me := call("users/get_current_account", nil)
	self := call("users/get_account", map[string]any{"account_id": acct.AccountID})
	link := call("files/get_temporary_link", map[string]any{"path": "/Order/notes.txt"})
	revs := call("files/list_revisions", map[string]any{"path": "/Order/notes.txt"})
	search := call("files/search_v2", map[string]any{"query": "notes", "options": map[string]any{"max_results": 1}, "include_highlights": true})
	checks := []check{
		{"FullAccount", me, nil, []string{"account_id", "name", "email", "email_verified", "disabled", "country",
			"locale", "referral_link", "is_paired", "account_type", "root_info"}},
		{"Name", me, []any{"name"}, []string{"given_name", "surname", "familiar_name", "display_name", "abbreviated_name"}},
		{"RootInfo", me, []any{"root_info"}, []string{".tag", "root_namespace_id", "home_namespace_id"}},
		{"BasicAccount", self, nil, []string{"account_id", "name", "email", "email_verified", "disabled", "is_teammate"}},
		{"SpaceUsage", call("users/get_space_usage", nil), nil, []string{"used", "allocation"}},
		{"GetTemporaryLinkResult", link, nil, []string{"metadata", "link"}},
		{"ListRevisionsResult", revs, nil, []string{"is_deleted", "entries", "has_more"}},
		{"FileMetadata", revs, []any{"entries", 0}, []string{"name", "path_lower", "path_display", "id",
			"client_modified", "server_modified", "rev", "size", "is_downloadable", "content_hash"}},
		{"SearchV2Result", search, nil, []string{"matches", "has_more"}},
		{"SearchMatchV2", search, []any{"matches", 0}, []string{"metadata", "match_type", "highlight_spans"}},
	}
	nf := do(t, emu, rawCall{Route: "files/get_metadata", Token: acct.AccessToken, Arg: map[string]any{"path": "/nope"}})
	checks = append(checks, check{"409 error body", nf.Body, nil, []string{"error_summary", "error"}})
	bad := do(t, emu, rawCall{Route: "files/get_metadata", Token: "sl.nope", Arg: map[string]any{"path": "/nope"}})
	if bad.Status != http.StatusUnauthorized {
		t.Fatalf("bad token: %d %s", bad.Status, bad.Body)
	}
	checks = append(checks, check{"401 error body", bad.Body, nil, []string{"error_summary", "error"}})
	for _, c := range checks {
		if diff := cmp.Diff(c.want, keyOrder(t, c.body, c.path...)); diff != "" {
			t.Errorf("%s keys (-want +got):\n%s", c.name, diff)
		}
	}
}

// TestHeaderJSONNoHTMLEscaping: Dropbox-API-Result carries &, < and > as
// they are (like JSON bodies), only non-ASCII characters escaped.
func TestHeaderJSONNoHTMLEscaping(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t)
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "amp@example.com"})
	ok(t, emu, rawCall{Route: "files/upload", Token: acct.AccessToken, Style: "upload",
		Arg: map[string]any{"path": "/Tom & Jerry <1> é.txt"}, Body: []byte("x")})
	res := ok(t, emu, rawCall{Route: "files/download", Token: acct.AccessToken, Style: "download",
		Arg: map[string]any{"path": "/Tom & Jerry <1> é.txt"}})
	h := res.Header.Get("Dropbox-API-Result")
	if !strings.Contains(h, `"name":"Tom & Jerry <1> \u00e9.txt"`) {
		t.Errorf("Dropbox-API-Result = %s", h)
	}
}
