package dropboxemu_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/dropbridge/dropbridge/dropboxtest"
)

// badArg is a call that Dropbox refuses with a 400 and the message it gives.
type badArg struct {
	name  string
	route string
	style string // "" (rpc), "upload", "download"
	arg   string // the JSON argument, as sent
	want  string // the message after "request body: " or the header's name
}

// checkBadArgs makes each call with token and checks its exact 400 body.
func checkBadArgs(t *testing.T, emu *dropboxtest.Emulator, token string, cases []badArg) {
	t.Helper()
	for _, tc := range cases {
		r := do(t, emu, rawCall{Route: tc.route, Token: token, Style: tc.style, Arg: tc.arg})
		where := "request body"
		if tc.style != "" {
			where = `HTTP header "Dropbox-API-Arg"`
		}
		want := fmt.Sprintf("Error in call to API function %q: %s: %s", tc.route, where, tc.want)
		if r.Status != http.StatusBadRequest || string(r.Body) != want {
			t.Errorf("%s: %d %s\nwant 400 %s", tc.name, r.Status, r.Body, want)
		}
	}
}

// Required fields of nested structs and list items are checked, and the
// 400 names the path of the struct that lacks them, as Stone's decoder does.
func TestNestedRequiredFields(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t)
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "nested@example.com"})
	cur := `{"session_id":"x","offset":0}`
	checkBadArgs(t, emu, acct.AccessToken, []badArg{
		{"finish_batch_v2 entry without commit", "files/upload_session/finish_batch_v2", "",
			`{"entries":[{"cursor":` + cur + `}]}`, "entries: missing required field 'commit'"},
		{"finish_batch_v2 entry without cursor", "files/upload_session/finish_batch_v2", "",
			`{"entries":[{"commit":{"path":"/a"}}]}`, "entries: missing required field 'cursor'"},
		{"finish_batch_v2 commit without path", "files/upload_session/finish_batch_v2", "",
			`{"entries":[{"cursor":` + cur + `,"commit":{"path":"/a"}},{"cursor":` + cur + `,"commit":{"mode":"add"}}]}`,
			"entries.commit: missing required field 'path'"},
		{"finish_batch_v2 cursor without offset", "files/upload_session/finish_batch_v2", "",
			`{"entries":[{"cursor":{"session_id":"x"},"commit":{"path":"/a"}}]}`, "entries.cursor: missing required field 'offset'"},
		{"finish_batch_v2 null commit path", "files/upload_session/finish_batch_v2", "",
			`{"entries":[{"cursor":` + cur + `,"commit":{"path":null}}]}`, "entries.commit.path: expected string, got null"},
		{"finish_batch commit without path", "files/upload_session/finish_batch", "",
			`{"entries":[{"cursor":` + cur + `,"commit":{}}]}`, "entries.commit: missing required field 'path'"},
		{"finish_batch_v2 property group without fields", "files/upload_session/finish_batch_v2", "",
			`{"entries":[{"cursor":` + cur + `,"commit":{"path":"/a","property_groups":[{"template_id":"ptid:1"}]}}]}`,
			"entries.commit.property_groups: missing required field 'fields'"},
		{"finish_batch_v2 unknown field in commit", "files/upload_session/finish_batch_v2", "",
			`{"entries":[{"cursor":` + cur + `,"commit":{"path":"/a","bogus":1}}]}`, "entries.commit: unknown field 'bogus'"},
		{"append_batch entry without length", "files/upload_session/append_batch", "upload",
			`{"entries":[{"cursor":` + cur + `}]}`, "entries: missing required field 'length'"},
		{"append_batch cursor without session_id", "files/upload_session/append_batch", "upload",
			`{"entries":[{"cursor":{"offset":0},"length":0}]}`, "entries.cursor: missing required field 'session_id'"},
		{"finish commit without path", "files/upload_session/finish", "upload",
			`{"cursor":` + cur + `,"commit":{"mode":"add"}}`, "commit: missing required field 'path'"},
		{"finish cursor without session_id", "files/upload_session/finish", "upload",
			`{"cursor":{"offset":0},"commit":{"path":"/a"}}`, "cursor: missing required field 'session_id'"},
		{"finish unknown field in cursor", "files/upload_session/finish", "upload",
			`{"cursor":{"session_id":"x","offset":0,"close":true},"commit":{"path":"/a"}}`, "cursor: unknown field 'close'"},
		{"append_v2 cursor without offset", "files/upload_session/append_v2", "upload",
			`{"cursor":{"session_id":"x"}}`, "cursor: missing required field 'offset'"},
		{"get_temporary_upload_link commit_info without path", "files/get_temporary_upload_link", "",
			`{"commit_info":{"mode":"add"}}`, "commit_info: missing required field 'path'"},
		{"copy_batch_v2 entry without to_path", "files/copy_batch_v2", "",
			`{"entries":[{"from_path":"/a"}]}`, "entries: missing required field 'to_path'"},
		{"delete_batch entry without path", "files/delete_batch", "",
			`{"entries":[{}]}`, "entries: missing required field 'path'"},
		{"upload field in the wrong case", "files/upload", "upload",
			`{"Path":"/a"}`, "unknown field 'Path'"},
	})
}

// Union arguments are decoded as strictly as Stone does: members, their
// keys and the form (bare string or object) each member allows.
func TestUnionArguments(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t)
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "unions@example.com"})
	up := func(mode string) string { return `{"path":"/a.txt","mode":` + mode + `}` }
	checkBadArgs(t, emu, acct.AccessToken, []badArg{
		{"update as a bare string", "files/upload", "upload", up(`"update"`), "mode: expected object for 'update', got symbol"},
		{"void member with an extra key", "files/upload", "upload", up(`{".tag":"add","x":1}`), "mode: unexpected key 'x'"},
		{"void member with a value", "files/upload", "upload", up(`{".tag":"add","add":5}`), "mode: expected null, got integer"},
		{"update with an extra key", "files/upload", "upload", up(`{".tag":"update","update":"0123456789a","x":1}`), "mode: unexpected key 'x'"},
		{"update without its value", "files/upload", "upload", up(`{".tag":"update"}`), "mode: missing 'update' key"},
		{"no .tag", "files/upload", "upload", up(`{"update":"0123456789a"}`), "mode: missing '.tag' key"},
		{"a number", "files/upload", "upload", up(`5`), "mode: expected string or object, got integer"},
		{"unknown member", "files/upload", "upload", up(`"bogus"`), "mode: unknown tag 'bogus'"},
		{"unknown member in a nested commit", "files/upload_session/finish", "upload",
			`{"cursor":{"session_id":"x","offset":0},"commit":{"path":"/a","mode":{".tag":"bogus"}}}`, "commit.mode: unknown tag 'bogus'"},
		{"struct member with an unknown field", "files/get_thumbnail_v2", "download",
			`{"resource":{".tag":"link","url":"https://www.dropbox.com/s/x/a.png","x":1}}`, "resource.link: unknown field 'x'"},
		{"struct member without its required field", "files/get_thumbnail_v2", "download",
			`{"resource":{".tag":"link"}}`, "resource.link: missing required field 'url'"},
		{"unknown member in a list", "files/search_v2", "",
			`{"query":"a","options":{"file_categories":["image","bogus"]}}`, "options.file_categories: unknown tag 'bogus'"},
		{"extra key in a list item", "users/features/get_values", "",
			`{"features":[{".tag":"file_locking","x":null}]}`, "features: unexpected key 'x'"},
		{"null required union", "files/get_thumbnail_v2", "download", `{"resource":null}`, "resource: expected string or object, got null"},
		{"unknown session type", "files/upload_session/start", "upload", `{"session_type":"parallel"}`, "session_type: unknown tag 'parallel'"},
	})
	// The object form of a void member may carry its own key as null.
	ok(t, emu, rawCall{Route: "files/upload", Token: acct.AccessToken, Style: "upload", Arg: up(`{".tag":"add","add":null}`), Body: []byte("a")})
}

// Values outside the spec's constraints get the messages of Stone's
// validators (stone_validators.py, and strptime for timestamps).
func TestStoneValueMessages(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t)
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "values@example.com"})
	long := strings.Repeat("a", 501)
	many := make([]string, 1001)
	for i := range many {
		many[i] = `{"path":"/x"}`
	}
	checkBadArgs(t, emu, acct.AccessToken, []badArg{
		{"list_folder limit too big", "files/list_folder", "", `{"path":"","limit":5000}`, "limit: 5000 is not within range [1, 2000]"},
		{"list_folder limit 0", "files/list_folder", "", `{"path":"","limit":0}`, "limit: 0 is not within range [1, 2000]"},
		{"list_revisions limit", "files/list_revisions", "", `{"path":"/a","limit":101}`, "limit: 101 is not within range [1, 100]"},
		{"search max_results", "files/search_v2", "", `{"query":"a","options":{"max_results":0}}`, "options.max_results: 0 is not within range [1, 1000]"},
		{"start_batch num_sessions", "files/upload_session/start_batch", "", `{"num_sessions":0}`, "num_sessions: 0 is not within range [1, 1000]"},
		{"duration too short", "files/get_temporary_upload_link", "", `{"commit_info":{"path":"/a"},"duration":10}`,
			"duration: 10.000000 is not greater than 60.000000"},
		{"duration too long", "files/get_temporary_upload_link", "", `{"commit_info":{"path":"/a"},"duration":20000.5}`,
			"duration: 20000.500000 is not less than 14400.000000"},
		{"empty tag", "files/tags/add", "", `{"path":"/a","tag_text":""}`, "tag_text: '' must be at least 1 characters, got 0"},
		{"long tag", "files/tags/add", "", `{"path":"/a","tag_text":"` + strings.Repeat("t", 33) + `"}`,
			"tag_text: '" + strings.Repeat("t", 33) + "' must be at most 32 characters, got 33"},
		{"tag with a dash", "files/tags/add", "", `{"path":"/a","tag_text":"a-b"}`, `tag_text: 'a-b' did not match pattern '[\w]+'`},
		{"short rev", "files/download", "download", `{"path":"/a","rev":"abc"}`, "rev: 'abc' must be at least 9 characters, got 3"},
		{"rev not hex", "files/download", "download", `{"path":"/a","rev":"zzzzzzzzz"}`, "rev: 'zzzzzzzzz' did not match pattern '[0-9a-f]+'"},
		{"short parent_rev", "files/delete_v2", "", `{"path":"/a","parent_rev":"123"}`, "parent_rev: '123' must be at least 9 characters, got 3"},
		{"short update rev", "files/upload", "upload", `{"path":"/a","mode":{".tag":"update","update":"12"}}`,
			"mode.update: '12' must be at least 9 characters, got 2"},
		{"update rev not hex in a nested commit", "files/upload_session/finish", "upload",
			`{"cursor":{"session_id":"x","offset":0},"commit":{"path":"/a","mode":{".tag":"update","update":"ABCDEF123"}}}`,
			"commit.mode.update: 'ABCDEF123' did not match pattern '[0-9a-f]+'"},
		{"date without time", "files/upload", "upload", `{"path":"/a","client_modified":"2020-01-01"}`,
			"client_modified: time data '2020-01-01' does not match format '%Y-%m-%dT%H:%M:%SZ'"},
		{"timestamp with more after it", "files/upload", "upload", `{"path":"/a","client_modified":"2020-01-01T00:00:00Zx"}`,
			"client_modified: unconverted data remains: x"},
		{"day out of range", "files/upload", "upload", `{"path":"/a","client_modified":"2021-02-30T00:00:00Z"}`,
			"client_modified: day is out of range for month"},
		{"empty list_folder cursor", "files/list_folder/continue", "", `{"cursor":""}`, "cursor: '' must be at least 1 characters, got 0"},
		{"empty search cursor", "files/search/continue_v2", "", `{"cursor":""}`, "cursor: '' must be at least 1 characters, got 0"},
		{"empty async_job_id", "files/copy_batch/check_v2", "", `{"async_job_id":""}`, "async_job_id: '' must be at least 1 characters, got 0"},
		{"no relocation entries", "files/copy_batch_v2", "", `{"entries":[]}`, "entries: [] has fewer than 1 items"},
		{"too many delete entries", "files/delete_batch", "", `{"entries":[` + strings.Join(many, ",") + `]}`, "entries: has more than 1000 items"},
		{"no account ids", "users/get_account_batch", "", `{"account_ids":[]}`, "account_ids: [] has fewer than 1 items"},
		{"every account id checked before any lookup", "users/get_account_batch", "",
			`{"account_ids":["dbid:` + strings.Repeat("A", 35) + `","short"]}`, "account_ids: 'short' must be at least 40 characters, got 5"},
		{"short content_hash", "files/upload", "upload", `{"path":"/a","content_hash":"abc"}`, "content_hash: 'abc' must be at least 64 characters, got 3"},
		{"long echo query", "check/user", "", `{"query":"` + long + `"}`, "query: '" + long + "' must be at most 500 characters, got 501"},
	})
	// The notify host's longpoll takes no token.
	checkBadArgs(t, emu, "", []badArg{
		{"longpoll timeout", "files/list_folder/longpoll", "", `{"cursor":"AAEx","timeout":10}`, "timeout: 10 is not within range [30, 480]"},
		{"empty longpoll cursor", "files/list_folder/longpoll", "", `{"cursor":""}`, "cursor: '' must be at least 1 characters, got 0"},
	})
	// strptime takes one-digit fields.
	r := ok(t, emu, rawCall{Route: "files/upload", Token: acct.AccessToken, Style: "upload",
		Arg: `{"path":"/a.txt","client_modified":"2020-1-2T3:4:5Z"}`, Body: []byte("a")})
	if got := r.json(t)["client_modified"]; got != "2020-01-02T03:04:05Z" {
		t.Errorf("client_modified = %v, want 2020-01-02T03:04:05Z", got)
	}
}
