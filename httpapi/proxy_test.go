package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge/dropboxtest"
	"github.com/dropbridge/dropbridge/httpapi"
)

// proxy calls route through the proxy of conn with a raw body (none if
// nil) and headers.
func (s *service) proxy(key, conn, route string, body []byte, header ...string) *response {
	s.t.Helper()
	req, err := http.NewRequestWithContext(s.t.Context(), http.MethodPost, s.srv.URL+"/v1/connections/"+conn+"/proxy/2/"+route, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	req.Header.Set("Authorization", "Bearer "+key)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(resp.Body); err != nil {
		s.t.Fatalf("proxy %s: read the answer: %v", route, err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b.Bytes()}
}

// mustProxy is proxy with the test's key that fails unless the answer is
// 200, and decodes a JSON answer into out (if not nil).
func (s *service) mustProxy(conn, route string, body []byte, out any, header ...string) *response {
	s.t.Helper()
	r := s.proxy(s.key, conn, route, body, header...)
	if r.status != http.StatusOK {
		s.t.Fatalf("proxy %s: %d %s", route, r.status, r.body)
	}
	if out != nil {
		r.decode(s.t, out)
	}
	return r
}

func TestProxyStyles(t *testing.T) {
	t.Parallel()
	s := newService(t)
	conn, acct := s.connected("proxy@example.com")

	// RPC: the JSON argument in, Dropbox's JSON result out; no body is no
	// argument.
	var me struct {
		AccountID string `json:"account_id"`
		Email     string `json:"email"`
	}
	r := s.mustProxy(conn, "users/get_current_account", nil, &me)
	if me.AccountID != acct.AccountID || me.Email != acct.Email || r.header.Get("Content-Type") != "application/json" {
		t.Errorf("get_current_account: %s %s", r.header.Get("Content-Type"), r.body)
	}
	var folder struct {
		Metadata struct {
			Name string `json:"name"`
			ID   string `json:"id"`
		} `json:"metadata"`
	}
	s.mustProxy(conn, "files/create_folder_v2", []byte(`{"path": "/Proxy"}`), &folder, "Content-Type", "application/json")
	if folder.Metadata.Name != "Proxy" || folder.Metadata.ID == "" {
		t.Errorf("create_folder_v2: %+v", folder)
	}

	// Upload: the argument in Dropbox-API-Arg, the content streamed.
	content := []byte("café au lait\n")
	var up struct {
		Name        string `json:"name"`
		Size        int    `json:"size"`
		ContentHash string `json:"content_hash"`
	}
	s.mustProxy(conn, "files/upload", content, &up, "Content-Type", "application/octet-stream",
		"Dropbox-API-Arg", `{"path":"/Proxy/caf\u00e9.txt","mode":"add"}`)
	if up.Name != "café.txt" || up.Size != len(content) || up.ContentHash == "" {
		t.Errorf("upload: %+v", up)
	}

	// Download: the bytes, with Dropbox-API-Result as an ASCII header;
	// the argument in Dropbox-API-Arg or in arg.
	for _, h := range [][]string{
		{"Dropbox-API-Arg", `{"path":"/Proxy/caf\u00e9.txt"}`},
		nil,
	} {
		route := "files/download"
		if h == nil {
			route += "?" + url.Values{"arg": {`{"path":"/Proxy/café.txt"}`}}.Encode()
		}
		r := s.mustProxy(conn, route, nil, nil, h...)
		if !bytes.Equal(r.body, content) {
			t.Errorf("download %v: %q", h, r.body)
		}
		res := r.header.Get("Dropbox-API-Result")
		var meta struct {
			Name        string `json:"name"`
			ContentHash string `json:"content_hash"`
		}
		if err := json.Unmarshal([]byte(res), &meta); err != nil || meta.Name != "café.txt" || meta.ContentHash != up.ContentHash {
			t.Errorf("download %v: Dropbox-API-Result %q (%v)", h, res, err)
		}
		if strings.ContainsFunc(res, func(r rune) bool { return r >= 0x7f }) {
			t.Errorf("Dropbox-API-Result %q is not ASCII", res)
		}
	}

	// What the service made through the proxy, the API sees.
	var p page
	s.must(http.StatusOK, http.MethodGet, "/v1/connections/"+conn+"/files?path=%2FProxy", nil, &p)
	if diff := cmp.Diff([]string{"file /Proxy/café.txt"}, names(p.Data)); diff != "" {
		t.Errorf("listing (-want +got):\n%s", diff)
	}
}

func TestProxyErrors(t *testing.T) {
	t.Parallel()
	s := newService(t)
	conn, _ := s.connected("proxy-errors@example.com")

	// A route's error comes back as Dropbox sent it.
	r := s.proxy(s.key, conn, "files/get_metadata", []byte(`{"path":"/nothing"}`), "Content-Type", "application/json")
	if r.status != http.StatusConflict || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("route error: %d %s %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	var routeErr struct {
		Summary string          `json:"error_summary"`
		Error   json.RawMessage `json:"error"`
	}
	r.decode(t, &routeErr)
	var union map[string]any
	if err := json.Unmarshal(routeErr.Error, &union); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{".tag": "path", "path": map[string]any{".tag": "not_found"}}
	if diff := cmp.Diff(want, union); diff != "" || !strings.HasPrefix(routeErr.Summary, "path/not_found") {
		t.Errorf("route error %s (-want +got):\n%s", r.body, diff)
	}

	// So does Dropbox's refusal of a malformed argument.
	r = s.proxy(s.key, conn, "files/list_folder", []byte(`{"path": 5}`), "Content-Type", "application/json")
	if r.status != http.StatusBadRequest || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") || len(r.body) == 0 {
		t.Errorf("bad input: %d %s %q", r.status, r.header.Get("Content-Type"), r.body)
	}

	// And its answer to a route it does not have.
	r = s.proxy(s.key, conn, "files/no_such_route", []byte(`{}`), "Content-Type", "application/json")
	if r.status != http.StatusNotFound || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") || !bytes.Contains(r.body, []byte("files/no_such_route")) {
		t.Errorf("unknown route: %d %s %q", r.status, r.header.Get("Content-Type"), r.body)
	}

	// The service's retries absorb a passing server error.
	s.emu.AddFault(t, dropboxtest.Fault{Route: "files/list_folder", Status: http.StatusServiceUnavailable, Times: 1})
	s.mustProxy(conn, "files/list_folder", []byte(`{"path": ""}`), nil, "Content-Type", "application/json")
	var faults struct {
		Faults []dropboxtest.Fault `json:"faults"`
	}
	s.emu.Admin(t, http.MethodGet, "/_emulator/faults", nil, &faults)
	if len(faults.Faults) != 0 {
		t.Errorf("faults after the call: %+v, want the one used up", faults)
	}

	// What the service refuses itself, and the connection's problems, are
	// problems.
	for _, tc := range []struct {
		what, route string
		body        []byte
		header      []string
		status      int
	}{
		{"not a route", "Files/List-Folder", nil, nil, http.StatusNotFound},
		{"one word", "users", nil, nil, http.StatusNotFound},
		{"not JSON", "files/list_folder", []byte(`{"path":`), []string{"Content-Type", "application/json"}, http.StatusUnprocessableEntity},
		{"upload without argument", "files/upload", []byte("x"), []string{"Content-Type", "application/octet-stream"}, http.StatusUnprocessableEntity},
		{"argument not JSON", "files/download", nil, []string{"Dropbox-API-Arg", "/a.txt"}, http.StatusUnprocessableEntity},
		{"bad path root", "files/list_folder", []byte(`{"path":""}`), []string{"Dropbox-API-Path-Root", `{".tag":"everywhere"}`}, http.StatusUnprocessableEntity},
		{"member on a user's connection", "users/get_current_account", nil, []string{"Dropbox-API-Select-User", "dbmid:someone"}, http.StatusUnprocessableEntity},
		{"unknown connection", "users/get_current_account", nil, nil, http.StatusNotFound},
	} {
		c := conn
		if tc.what == "unknown connection" {
			c = "conn_nothere"
		}
		r := s.proxy(s.key, c, tc.route, tc.body, tc.header...)
		wantProblem(t, tc.what, r, tc.status, "")
	}

	// Another environment's key sees no such connection; no key, no call.
	_, other := s.newEnvironment("other")
	wantProblem(t, "another environment's key", s.proxy(other, conn, "users/get_current_account", nil), http.StatusNotFound, "")
	r = s.proxy("", conn, "users/get_current_account", nil)
	if r.status != http.StatusUnauthorized {
		t.Errorf("no key: %d %s", r.status, r.body)
	}
	r = s.do(s.key, http.MethodGet, "/v1/connections/"+conn+"/proxy/2/users/get_current_account", nil)
	if r.status != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d %s", r.status, r.body)
	}
}

func TestProxyTeamConnection(t *testing.T) {
	t.Parallel()
	s := newService(t)
	tm := s.teamConnection("Hooli", "gavin@hooli.test", "richard@hooli.test")
	richard := tm.members[1]

	// Team routes as the team; a member's routes as the member, named in
	// either header.
	var info struct {
		TeamID string `json:"team_id"`
	}
	s.mustProxy(tm.conn, "team/get_info", nil, &info)
	if info.TeamID != tm.TeamID {
		t.Errorf("team/get_info: %+v", info)
	}
	for _, h := range []string{httpapi.MemberHeader, "Dropbox-API-Select-User"} {
		var me struct {
			Email    string `json:"email"`
			RootInfo struct {
				RootNamespaceID string `json:"root_namespace_id"`
			} `json:"root_info"`
		}
		s.mustProxy(tm.conn, "users/get_current_account", nil, &me, h, richard.MemberID)
		if me.Email != richard.Email || me.RootInfo.RootNamespaceID != tm.RootNS {
			t.Errorf("as %s: %+v", h, me)
		}
	}
	wantProblem(t, "a member's route without a member", s.proxy(s.key, tm.conn, "users/get_current_account", nil), http.StatusUnprocessableEntity, "")

	// The member sees the team space, unless the caller says otherwise.
	s.must(http.StatusCreated, http.MethodPost, "/v1/connections/"+tm.conn+"/team-folders", map[string]any{"name": "Pied Piper"}, nil)
	list := func(header ...string) []string {
		var res struct {
			Entries []struct {
				Name string `json:"name"`
			} `json:"entries"`
		}
		s.mustProxy(tm.conn, "files/list_folder", []byte(`{"path":""}`), &res, append([]string{httpapi.MemberHeader, richard.MemberID}, header...)...)
		var out []string
		for _, e := range res.Entries {
			out = append(out, e.Name)
		}
		return out
	}
	if got := list(); !strings.Contains(strings.Join(got, "|"), "Pied Piper") {
		t.Errorf("the team space of the member: %v", got)
	}
	if got := list("Dropbox-API-Path-Root", `{".tag":"home"}`); strings.Contains(strings.Join(got, "|"), "Pied Piper") {
		t.Errorf("the home of the member: %v", got)
	}
}

func TestProxyInOpenAPI(t *testing.T) {
	t.Parallel()
	s := newService(t)
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
		} `json:"paths"`
	}
	s.must(http.StatusOK, http.MethodGet, "/v1/openapi.json", nil, &doc)
	if op := doc.Paths["/v1/connections/{id}/proxy/2/{route}"]["post"]; op.OperationID != "call-dropbox-route" {
		t.Errorf("the proxy is not documented: %+v", doc.Paths["/v1/connections/{id}/proxy/2/{route}"])
	}
	for p := range doc.Paths {
		if strings.Contains(p, "...") {
			t.Errorf("path %s in the OpenAPI description", p)
		}
	}

	// Every operation of a connection's resources takes the team
	// headers, whenever it was registered.
	var params struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name string `json:"name"`
				In   string `json:"in"`
			} `json:"parameters"`
		} `json:"paths"`
	}
	s.must(http.StatusOK, http.MethodGet, "/v1/openapi.json", nil, &params)
	n := 0
	for p, ops := range params.Paths {
		if !strings.HasPrefix(p, "/v1/connections/{id}/") {
			continue
		}
		for m, op := range ops {
			var got []string
			for _, prm := range op.Parameters {
				if prm.In == "header" && strings.HasPrefix(prm.Name, "X-Dropbridge-") {
					got = append(got, prm.Name)
				}
			}
			if diff := cmp.Diff([]string{httpapi.MemberHeader, httpapi.AdminHeader}, got, sorted); diff != "" {
				t.Errorf("%s %s: team headers (-want +got):\n%s", m, p, diff)
			}
			n++
		}
	}
	if n < 10 {
		t.Errorf("only %d operations of connections", n)
	}
}
