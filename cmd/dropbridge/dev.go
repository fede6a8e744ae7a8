package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/connect"
	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/dropboxemu"
	"github.com/dropbridge/dropbridge/httpapi"
	"github.com/dropbridge/dropbridge/jobs"
	"github.com/dropbridge/dropbridge/secrets"
)

// The demo that "dropbridge dev" sets up.
const (
	devEnvironment    = "development"
	devAppKey         = "dropbridge-demo"
	devExternalUserID = "demo-user"
	devAPIKeyFileName = "api-key"
	devDemoEmail      = "demo@example.com"
	devSessionTTL     = 24 * time.Hour

	// The demo team app: a team-linked app that the Demo Team's admin
	// links for the team, for a team connection.
	devTeamAppKey         = "dropbridge-demo-team"
	devTeamExternalUserID = "demo-team"
	devTeamAdminEmail     = "alice@demo-team.example"
)

// devTeamScopes are the demo team app's scopes: the team's members and
// team folders, and acting as a member on the member's files, shared
// links and file requests.
var devTeamScopes = []string{"team_info.read", "members.read", "team_data.member", "team_data.team_space",
	"team_data.content.write", "files.content.write", "files.metadata.write", "sharing.write", "file_requests.write"}

type devFlags struct {
	data           string
	listen         string
	emulatorListen string
	verbose        bool
}

func newDevCmd() *cobra.Command {
	var f devFlags
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run the connector with a local Dropbox emulator and demo data",
		Long: `Run the connector service and, in the same process, a Dropbox emulator holding a
demo app, a demo account with sample files and a demo team, on SQLite. Everything
is kept in the --data folder (a generated secret key and the API key included), so
a second start carries on where the first stopped; delete the folder to start over.

It prints the API base URL, an API key and a connect link: open the link, pick the
demo account on the emulator's consent page, and the connection appears under
GET /v1/connections. A second link, the team connect link, goes through a demo
team-linked app: pick the Demo Team's admin on the consent page, and the team
connection lists the team's members and team folders, and acts as a member with
the X-Dropbridge-Member header.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDev(cmd.Context(), cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.data, "data", ".dropbridge-dev", "folder for the database, the emulator's state and the dev keys")
	fl.StringVar(&f.listen, "listen", "127.0.0.1:8080", "address of the connector's API")
	fl.StringVar(&f.emulatorListen, "emulator-listen", "127.0.0.1:8787", "address of the Dropbox emulator")
	fl.BoolVar(&f.verbose, "verbose", false, "log every request")
	return cmd
}

func runDev(ctx context.Context, cmd *cobra.Command, f devFlags) error {
	level := slog.LevelWarn // the banner says what matters; --verbose shows every request
	if f.verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
	if err := os.MkdirAll(f.data, 0o700); err != nil {
		return fmt.Errorf("make the data folder: %w", err)
	}
	keys, err := devKeyring(f.data)
	if err != nil {
		return err
	}

	// The emulator, on disk so that its tokens outlive a restart as the
	// connections in the database do.
	backend, err := dropboxemu.OpenDiskBackend(filepath.Join(f.data, "emulator"))
	if err != nil {
		return err
	}
	emu, err := dropboxemu.New(dropboxemu.Options{Backend: backend, Logger: logger})
	if err != nil {
		backend.Close()
		return err
	}
	defer emu.Close()
	emuLn, err := net.Listen("tcp", f.emulatorListen)
	if err != nil {
		return fmt.Errorf("listen on %s for the emulator: %w", f.emulatorListen, err)
	}
	defer emuLn.Close()
	emuURL := "http://" + dialAddr(emuLn.Addr())

	store, err := openStore(ctx, "sqlite:"+filepath.Join(f.data, "dropbridge.db"), keys)
	if err != nil {
		return err
	}
	defer store.Close()
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", f.listen, err)
	}
	defer ln.Close()
	publicURL := "http://" + dialAddr(ln.Addr())
	svc := connect.New(store, publicURL)
	svc.Dropbox = connect.SingleHost(emuURL)
	svc.Logger = logger
	svc.SessionTTL = devSessionTTL
	reg := newRegistry()
	svc.HTTPClient = dropboxHTTPClient(reg)
	stopJobs, err := startJobs(ctx, "sqlite:"+filepath.Join(f.data, "dropbridge.db"), store, svc, reg, jobs.DefaultRefreshAhead, logger)
	if err != nil {
		return err
	}
	defer stopJobs()
	tracking, stopTracking, err := startTracking(ctx, store, svc, logger, true)
	if err != nil {
		return err
	}
	defer stopTracking()
	api := httpapi.NewMetrics(reg).Handler(httpapi.NewRateLimiter(httpapi.RateLimit{Rate: httpapi.DefaultRate, Burst: httpapi.DefaultBurst}).Handler(
		httpapi.New(httpapi.Config{Store: store, Connect: svc, Logger: logger, DropboxNotifier: tracking})))

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	go func() { errc <- serveUntilDone(ctx, emuLn, emu, logger) }()

	demo, err := setUpDemo(ctx, store, svc, emuURL, f.data)
	if err != nil {
		cancel()
		<-errc
		return fmt.Errorf("set up the demo: %w", err)
	}
	go func() { errc <- serveUntilDone(ctx, ln, api, logger) }()

	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "dropbridge dev: the connector and a Dropbox emulator, state in %s\n", f.data)
	fmt.Fprintf(out, "Dropbox emulator: %s\n", emuURL)
	fmt.Fprintf(out, "API docs: %s/docs\n", publicURL)
	fmt.Fprintf(out, "Metrics: %s%s\n", publicURL, httpapi.MetricsPath)
	fmt.Fprintf(out, "API base URL: %s/v1\n", publicURL)
	fmt.Fprintf(out, "API key: %s\n", string(demo.apiKey))
	fmt.Fprintf(out, "Connect link: %s\n", demo.connectURL)
	fmt.Fprintf(out, "  (for external_user_id %q, valid for %s; pick %s on the consent page)\n", devExternalUserID, devSessionTTL, devDemoEmail)
	fmt.Fprintf(out, "Team connect link: %s\n", demo.teamConnectURL)
	fmt.Fprintf(out, "  (a team connection for external_user_id %q, valid for %s; pick %s, the Demo Team admin)\n", devTeamExternalUserID, devSessionTTL, devTeamAdminEmail)
	fmt.Fprintf(out, "Demo accounts: %s\n", strings.Join(demo.accounts, ", "))
	fmt.Fprintf(out, "Try: curl -H \"Authorization: Bearer %s\" %s/v1/connections\n", string(demo.apiKey), publicURL)

	running := 2
	select {
	case err = <-errc: // a server failed
		running--
	case <-ctx.Done():
	}
	cancel()
	emu.Drain() // ends long-polls, which would hold up the shutdown
	for ; running > 0; running-- {
		err = errors.Join(err, <-errc)
	}
	return err
}

// devKeyring returns the dev data folder's key ring, made at first start.
// It sits beside the database it encrypts, which is fine for demo data
// only; "dropbridge serve" takes its key from outside.
func devKeyring(data string) (*secrets.Keyring, error) {
	path := filepath.Join(data, secretKeyFileName)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		k, err := secrets.GenerateKey("dev1")
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, []byte(k+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("write the dev secret key: %w", err)
		}
		b = []byte(k)
	} else if err != nil {
		return nil, fmt.Errorf("read the dev secret key: %w", err)
	}
	keys, err := secrets.ParseKeyring(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return keys, nil
}

// demo is what setUpDemo hands the user.
type demo struct {
	apiKey         dropbridge.Secret
	connectURL     string
	teamConnectURL string
	accounts       []string
}

// setUpDemo makes, once, the demo environment, apps, accounts, team and
// files; and, at every start, registers the apps with the emulator (with
// the redirect URI: the port may have changed), finds the API key and
// makes fresh connect sessions, a user's and a team's.
func setUpDemo(ctx context.Context, store dropbridge.Store, svc *connect.Service, emuURL, data string) (*demo, error) {
	env, _, err := findOrCreateEnvironment(ctx, store, devEnvironment)
	if err != nil {
		return nil, err
	}
	app, err := devApp(ctx, store, env.ID, devAppKey, "Demo app", true)
	if err != nil {
		return nil, err
	}
	teamApp, err := devApp(ctx, store, env.ID, devTeamAppKey, "Demo team app", false)
	if err != nil {
		return nil, err
	}
	admin := &emulatorAdmin{base: emuURL}
	if err := admin.call(ctx, http.MethodPost, "/_emulator/apps", map[string]any{
		"app_key": app.AppKey, "app_secret": string(app.AppSecret), "redirect_uris": []string{svc.RedirectURI()},
	}, nil); err != nil {
		return nil, err
	}
	if err := admin.call(ctx, http.MethodPost, "/_emulator/apps", map[string]any{
		"app_key": teamApp.AppKey, "app_secret": string(teamApp.AppSecret), "redirect_uris": []string{svc.RedirectURI()},
		"scopes": devTeamScopes, "team_linked": true,
	}, nil); err != nil {
		return nil, err
	}
	accounts, err := demoData(ctx, admin, app.AppKey)
	if err != nil {
		return nil, err
	}
	key, err := devAPIKey(ctx, store, env.ID, data)
	if err != nil {
		return nil, err
	}
	sess, err := svc.CreateSession(ctx, env.ID, connect.SessionRequest{ExternalUserID: devExternalUserID})
	if err != nil {
		return nil, err
	}
	teamSess, err := svc.CreateSession(ctx, env.ID, connect.SessionRequest{ExternalUserID: devTeamExternalUserID, AppID: teamApp.ID})
	if err != nil {
		return nil, err
	}
	return &demo{apiKey: key, connectURL: sess.URL, teamConnectURL: teamSess.URL, accounts: accounts}, nil
}

// devApp returns the environment's demo app with appKey, made at first
// start with name, as the default app when isDefault.
func devApp(ctx context.Context, store dropbridge.Store, envID, appKey, name string, isDefault bool) (*dropbridge.App, error) {
	apps, err := store.ListApps(ctx, envID)
	if err != nil {
		return nil, err
	}
	for _, a := range apps {
		if a.AppKey == appKey {
			return a, nil
		}
	}
	secret, err := dropbridge.NewSecret("")
	if err != nil {
		return nil, err
	}
	app := &dropbridge.App{EnvironmentID: envID, Name: name, AppKey: appKey, AppSecret: secret, IsDefault: isDefault}
	if err := store.CreateApp(ctx, app); err != nil {
		return nil, err
	}
	return app, nil
}

// devAPIKey returns the dev API key. The store keeps only a hash of a key,
// so a key is shown once; dev keeps its key's secret in the data folder
// (beside the database, demo data only) to print the same key at every
// start: scripts and shell variables that hold it keep working across
// restarts. A key that was revoked (or a lost file) gets a new key.
func devAPIKey(ctx context.Context, store dropbridge.Store, envID, data string) (dropbridge.Secret, error) {
	path := filepath.Join(data, devAPIKeyFileName)
	if b, err := os.ReadFile(path); err == nil {
		secret := dropbridge.Secret(strings.TrimSpace(string(b)))
		k, err := store.AuthenticateAPIKey(ctx, secret)
		if err == nil && k.EnvironmentID == envID {
			return secret, nil
		}
		if err != nil && dropbridge.ErrorCode(err) != dropbridge.EUNAUTHORIZED {
			return "", err
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read the dev API key: %w", err)
	}
	k, secret, err := dropbridge.NewAPIKey(envID, "dropbridge dev")
	if err != nil {
		return "", err
	}
	if err := store.CreateAPIKey(ctx, k); err != nil {
		return "", err
	}
	if err := os.WriteFile(path, []byte(string(secret)+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write the dev API key: %w", err)
	}
	return secret, nil
}

// demoData makes the demo account with sample files, and a team with two
// members and a team folder, unless the emulator has them already. It
// returns the accounts, for people.
func demoData(ctx context.Context, admin *emulatorAdmin, appKey string) ([]string, error) {
	accounts := []string{devDemoEmail + " (pro, sample files)", "alice@demo-team.example (Demo Team admin)",
		"bob@demo-team.example (Demo Team member)"}
	var existing struct {
		Accounts []struct {
			Email string `json:"email"`
		} `json:"accounts"`
	}
	if err := admin.call(ctx, http.MethodGet, "/_emulator/accounts", nil, &existing); err != nil {
		return nil, err
	}
	for _, a := range existing.Accounts {
		if a.Email == devDemoEmail {
			return accounts, nil
		}
	}

	type account struct {
		AccessToken string `json:"access_token"`
	}
	var team struct {
		TeamID      string `json:"team_id"`
		RootNS      string `json:"root_namespace_id"`
		AccessToken string `json:"access_token"`
	}
	var alice account
	steps := []struct {
		path string
		in   map[string]any
		out  any
	}{
		{"/_emulator/teams", map[string]any{"name": "Demo Team"}, &team},
		{"/_emulator/accounts", map[string]any{"email": "alice@demo-team.example", "display_name": "Alice Admin"}, &alice},
		{"/_emulator/accounts", map[string]any{"email": "bob@demo-team.example", "display_name": "Bob Member", "role": "member_only"}, nil},
	}
	for i, st := range steps {
		if i > 0 {
			st.in["team_id"] = team.TeamID
		}
		if err := admin.call(ctx, http.MethodPost, st.path, st.in, st.out); err != nil {
			return nil, err
		}
	}
	teamClient := dropbox.New(dropbox.WithBaseURL(admin.base), dropbox.WithToken(team.AccessToken))
	if _, err := teamClient.Team.TeamFolderCreate(ctx, &dropbox.TeamFolderCreateArg{Name: "Projects"}); err != nil {
		return nil, fmt.Errorf("create the team folder: %w", err)
	}
	aliceClient := dropbox.New(dropbox.WithBaseURL(admin.base), dropbox.WithToken(alice.AccessToken)).WithRoot(team.RootNS)
	if err := upload(ctx, aliceClient, "/Projects/plan.md", "# Plan\n\n- Connect Dropbox\n- Ship\n"); err != nil {
		return nil, err
	}

	// The demo account goes last: its presence says the demo is complete.
	var demoAcct account
	if err := admin.call(ctx, http.MethodPost, "/_emulator/accounts", map[string]any{
		"email": devDemoEmail, "display_name": "Demo User", "account_type": "pro"}, &demoAcct); err != nil {
		return nil, err
	}
	c := dropbox.New(dropbox.WithBaseURL(admin.base), dropbox.WithToken(demoAcct.AccessToken))
	for path, content := range map[string]string{
		"/Getting started.txt":   "Welcome to the dropbridge demo account.\nEverything here lives in the local emulator.\n",
		"/Reports/2025-q1.csv":   "month,revenue\njanuary,1200\nfebruary,1350\nmarch,1500\n",
		"/Reports/2025-q2.csv":   "month,revenue\napril,1600\nmay,1720\njune,1810\n",
		"/Notes/ideas.md":        "# Ideas\n\n- Sync the reports folder\n- Share a link with the team\n",
		"/Photos/README.txt":     "Photos would go here.\n",
		"/Archive/old-notes.txt": "Kept for reference.\n",
	} {
		if err := upload(ctx, c, path, content); err != nil {
			return nil, err
		}
	}
	return accounts, nil
}

func upload(ctx context.Context, c *dropbox.Client, path, content string) error {
	if _, err := c.Files.Upload(ctx, &dropbox.UploadArg{Path: path, Mode: dropbox.WriteMode{Tag: dropbox.WriteModeOverwrite}},
		strings.NewReader(content)); err != nil {
		return fmt.Errorf("upload %s: %w", path, err)
	}
	return nil
}

// emulatorAdmin calls the emulator's admin API.
type emulatorAdmin struct {
	base string
}

func (a *emulatorAdmin) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("emulator %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("emulator %s %s: %w", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("emulator %s %s: %d %s", method, path, resp.StatusCode, bytes.TrimSpace(b))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}
