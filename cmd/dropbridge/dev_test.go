package main

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
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

// apiGet calls the service's API, with the header name-value pairs, and
// decodes the JSON answer into out.
func apiGet(t *testing.T, base, key, path string, out any, header ...string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
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
		DisplayName    string `json:"display_name"`
		TeamID         string `json:"team_id"`
		Status         string `json:"status"`
	} `json:"data"`
}

// teamMembers are team members as the API lists them.
type teamMembers struct {
	Data []struct {
		TeamMemberID string `json:"team_member_id"`
		Email        string `json:"email"`
	} `json:"data"`
}

// checkDemoTeamConnection checks the demo team connection id: the team's
// members and team folder through it, and Bob's files as Bob.
func checkDemoTeamConnection(t *testing.T, base, key, id string) {
	t.Helper()
	var members teamMembers
	apiGet(t, base, key, "/v1/connections/"+id+"/team-members", &members)
	bob := ""
	var emails []string
	for _, m := range members.Data {
		emails = append(emails, m.Email)
		if m.Email == "bob@demo-team.example" {
			bob = m.TeamMemberID
		}
	}
	if len(emails) != 2 || bob == "" {
		t.Fatalf("team members through the team connection: %v", emails)
	}
	var folders struct {
		Data []struct {
			Name string `json:"name"`
		} `json:"data"`
	}
	apiGet(t, base, key, "/v1/connections/"+id+"/team-folders", &folders)
	var names []string
	for _, f := range folders.Data {
		names = append(names, f.Name)
	}
	if !slices.Contains(names, "Projects") {
		t.Errorf("team folders through the team connection: %v", names)
	}
	var files struct {
		Data []struct {
			PathDisplay string `json:"path_display"`
		} `json:"data"`
	}
	apiGet(t, base, key, "/v1/connections/"+id+"/files?recursive=true", &files, "X-Dropbridge-Member", bob)
	var paths []string
	for _, f := range files.Data {
		paths = append(paths, f.PathDisplay)
	}
	if !slices.Contains(paths, "/Projects/plan.md") {
		t.Errorf("Bob's files through the team connection: %v", paths)
	}
}

func TestDevCmd(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	args := []string{"dev", "--data", data, "--listen", "127.0.0.1:0", "--emulator-listen", "127.0.0.1:0"}
	dev := startCmd(t, args...)
	base := strings.TrimSuffix(dev.line(t, "API base URL: "), "/v1")
	key := dev.line(t, "API key: ")
	link := dev.line(t, "Connect link: ")
	teamLink := dev.line(t, "Team connect link: ")
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

	// The team link makes a team connection, linked by the team's admin.
	page = connectAs(t, teamLink, "alice@demo-team.example")
	if !strings.Contains(page, "Dropbox is connected") {
		t.Fatalf("after the team admin's consent: %s", page)
	}
	apiGet(t, base, key, "/v1/connections?external_user_id=demo-team", &list)
	if len(list.Data) != 1 || list.Data[0].Email != "alice@demo-team.example" || list.Data[0].DisplayName != "Demo Team" ||
		list.Data[0].TeamID == "" || list.Data[0].Status != "active" {
		t.Fatalf("team connections = %+v, want demo-team's", list.Data)
	}
	teamConn := list.Data[0].ID
	checkDemoTeamConnection(t, base, key, teamConn)
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
	if again := dev.line(t, "Team connect link: "); again == teamLink {
		t.Errorf("second start printed the used team connect link again")
	}
	apiGet(t, base, key, "/v1/connections/"+id+"/account", &acct)
	if acct.Email != "demo@example.com" {
		t.Errorf("account email after a restart %q", acct.Email)
	}
	checkDemoTeamConnection(t, base, key, teamConn)
	connectAs(t, link, "alice@demo-team.example")
	apiGet(t, base, key, "/v1/connections?external_user_id=demo-user", &list)
	if len(list.Data) != 2 || list.Data[1].Email != "alice@demo-team.example" || list.Data[1].TeamID == "" {
		t.Errorf("connections after connecting alice = %+v", list.Data)
	}
	if err := dev.stop(t); err != nil {
		t.Fatalf("dev stopped with %v\n%s", err, dev.stderr)
	}
}
