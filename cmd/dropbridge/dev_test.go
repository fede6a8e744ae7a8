package main

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var (
	hiddenInput   = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
	accountButton = regexp.MustCompile(`<button class="acct" type="submit" name="account_id" value="([^"]*)">([^<]*)`)
)

// connectAs opens a connect link as a browser, picks the account with
// email on the emulator's consent page, follows Dropbox's redirect to the
// service, and returns the service's final page.
func connectAs(t *testing.T, link, email string) string {
	t.Helper()
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	form := url.Values{}
	for _, m := range hiddenInput.FindAllSubmatch(page, -1) {
		form.Add(html.UnescapeString(string(m[1])), html.UnescapeString(string(m[2])))
	}
	for _, m := range accountButton.FindAllSubmatch(page, -1) {
		if strings.Contains(html.UnescapeString(string(m[2])), "<"+email+">") {
			form.Set("account_id", string(m[1]))
		}
	}
	if form.Get("account_id") == "" {
		t.Fatalf("no account %s on the consent page (%d):\n%s", email, resp.StatusCode, page)
	}
	decide, err := resp.Request.URL.Parse("/oauth2/authorize/decide")
	if err != nil {
		t.Fatal(err)
	}
	resp, err = http.PostForm(decide.String(), form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("connect as %s: %d %s", email, resp.StatusCode, b)
	}
	return string(b)
}

// apiGet calls the service's API and decodes the JSON answer into out.
func apiGet(t *testing.T, base, key, path string, out any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

type connectionList struct {
	Data []struct {
		ID             string `json:"id"`
		ExternalUserID string `json:"external_user_id"`
		Email          string `json:"email"`
		TeamID         string `json:"team_id"`
		Status         string `json:"status"`
	} `json:"data"`
}

func TestDevCmd(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	args := []string{"dev", "--data", data, "--listen", "127.0.0.1:0", "--emulator-listen", "127.0.0.1:0"}
	dev := startCmd(t, args...)
	base := strings.TrimSuffix(dev.line(t, "API base URL: "), "/v1")
	key := dev.line(t, "API key: ")
	link := dev.line(t, "Connect link: ")
	if !strings.HasPrefix(key, "dbk_") {
		t.Fatalf("API key %q", key)
	}

	page := connectAs(t, link, "demo@example.com")
	if !strings.Contains(page, "Dropbox is connected") {
		t.Fatalf("after consent: %s", page)
	}
	var list connectionList
	apiGet(t, base, key, "/v1/connections", &list)
	if len(list.Data) != 1 || list.Data[0].ExternalUserID != "demo-user" || list.Data[0].Email != "demo@example.com" || list.Data[0].Status != "active" {
		t.Fatalf("connections = %+v, want demo-user's", list.Data)
	}
	id := list.Data[0].ID
	var acct struct {
		Email string `json:"email"`
	}
	apiGet(t, base, key, "/v1/connections/"+id+"/account", &acct)
	if acct.Email != "demo@example.com" {
		t.Errorf("account email %q", acct.Email)
	}
	if err := dev.stop(t); err != nil {
		t.Fatalf("dev stopped with %v\n%s", err, dev.stderr)
	}

	// A second start keeps the key, the connection and the emulator's
	// state (the connection's token still works); its new link connects a
	// team member.
	dev = startCmd(t, args...)
	base = strings.TrimSuffix(dev.line(t, "API base URL: "), "/v1")
	if again := dev.line(t, "API key: "); again != key {
		t.Errorf("second start printed another API key")
	}
	link = dev.line(t, "Connect link: ")
	apiGet(t, base, key, "/v1/connections/"+id+"/account", &acct)
	if acct.Email != "demo@example.com" {
		t.Errorf("account email after a restart %q", acct.Email)
	}
	connectAs(t, link, "alice@demo-team.example")
	apiGet(t, base, key, "/v1/connections?external_user_id=demo-user", &list)
	if len(list.Data) != 2 || list.Data[1].Email != "alice@demo-team.example" || list.Data[1].TeamID == "" {
		t.Errorf("connections after connecting alice = %+v", list.Data)
	}
	if err := dev.stop(t); err != nil {
		t.Fatalf("dev stopped with %v\n%s", err, dev.stderr)
	}
}
