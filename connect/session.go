package connect

import (
	"context"
	"fmt"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/dropbox"
)

// SessionRequest asks for a connect session.
type SessionRequest struct {
	// ExternalUserID is the application's ID of the end user who connects.
	ExternalUserID string
	// AppID names the Dropbox app to connect through; empty means the
	// environment's default app.
	AppID string
	// Scopes are the scopes to ask for; nil means the app's default
	// scopes, and none at all means every scope the Dropbox app has.
	Scopes []string
	// RedirectURL is where the user lands afterwards, with connection_id
	// (or error) in its query; empty means the service's own page.
	RedirectURL string
}

// Session is a connect session and the URL to send its end user to.
type Session struct {
	dropbridge.ConnectSession
	// URL is Dropbox's authorize page for the session. It carries the
	// session's one-time state: hand it to the end user only, and do not
	// log it. It is not stored and cannot be shown again.
	URL string
}

// CreateSession stores a connect session for the environment and returns
// it with the URL of Dropbox's authorize page. An unknown app, or no
// default app when req names none, is ENOTFOUND; invalid input is
// EINVALID.
func (s *Service) CreateSession(ctx context.Context, environmentID string, req SessionRequest) (*Session, error) {
	var app *dropbridge.App
	var err error
	if req.AppID == "" {
		app, err = s.Store.FindDefaultApp(ctx, environmentID)
	} else {
		app, err = s.Store.FindAppByID(ctx, environmentID, req.AppID)
	}
	if err != nil {
		return nil, fmt.Errorf("connect: create session: %w", err)
	}
	scopes := req.Scopes
	if scopes == nil {
		scopes = app.DefaultScopes
	}
	state, err := dropbridge.NewSecret("")
	if err != nil {
		return nil, fmt.Errorf("connect: create session: %w", err)
	}
	verifier := oauth2.GenerateVerifier()
	cs := &dropbridge.ConnectSession{
		EnvironmentID:  environmentID,
		AppID:          app.ID,
		ExternalUserID: req.ExternalUserID,
		Scopes:         append([]string(nil), scopes...),
		RedirectURL:    req.RedirectURL,
		StateHash:      dropbridge.HashSecret(state),
		PKCEVerifier:   dropbridge.Secret(verifier),
		ExpiresAt:      s.now().Add(s.sessionTTL()),
	}
	if err := s.Store.CreateConnectSession(ctx, cs); err != nil {
		return nil, fmt.Errorf("connect: create session: %w", err)
	}
	opts := []oauth2.AuthCodeOption{
		oauth2.S256ChallengeOption(verifier),
		// A refresh token, so that the connection outlives the 4-hour
		// access token.
		oauth2.SetAuthURLParam("token_access_type", "offline"),
	}
	if len(cs.Scopes) > 0 {
		// Reconnecting with fewer scopes keeps those granted before.
		opts = append(opts, oauth2.SetAuthURLParam("include_granted_scopes", "user"))
	}
	return &Session{ConnectSession: *cs, URL: s.oauthConfig(app, cs.Scopes).AuthCodeURL(string(state), opts...)}, nil
}

// oauthConfig is the OAuth client of app, asking for scopes.
func (s *Service) oauthConfig(app *dropbridge.App, scopes []string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     app.AppKey,
		ClientSecret: string(app.AppSecret),
		Endpoint:     s.Dropbox.oauthEndpoint(),
		RedirectURL:  s.RedirectURI(),
		Scopes:       scopes,
	}
}

// oauthContext makes x/oauth2 send its token requests with the service's
// HTTP client.
func (s *Service) oauthContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, s.httpClient())
}

// Callback is what Dropbox sends to the redirect URI, from its query.
type Callback struct {
	State string
	// Code is the authorization code, when the user allowed access.
	Code string
	// Error is Dropbox's OAuth error (access_denied when the user declined)
	// and ErrorDescription its text.
	Error            string
	ErrorDescription string
}

// completeTimeout bounds the work after a session is consumed. That work
// goes on when the user's browser goes away: the session can be used only
// once, so stopping halfway would waste it.
const completeTimeout = time.Minute

// Complete finishes the connect session whose state cb carries: it
// consumes the session, exchanges the code for tokens, identifies the
// account and stores the connection, active, or updates the connection of
// the same external user and account. It returns the session as soon as the
// state is recognised, so that the caller can send the user to its redirect
// URL also when a later step fails.
//
// A missing state is EINVALID, an unknown (or tampered) one ENOTFOUND, a
// session already used ECONFLICT and an expired one EEXPIRED, all with a nil
// session. After that: a user who declined is EFORBIDDEN, and Dropbox's
// failures are translated as Do's.
func (s *Service) Complete(ctx context.Context, cb Callback) (*dropbridge.ConnectSession, *dropbridge.Connection, error) {
	if cb.State == "" {
		return nil, nil, dropbridge.Errorf(dropbridge.EINVALID, "The link has no state: open the connect link from the application again.")
	}
	cs, err := s.Store.ConsumeConnectSession(ctx, dropbridge.Secret(cb.State))
	if err != nil {
		return nil, nil, fmt.Errorf("connect: complete session: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), completeTimeout)
	defer cancel()
	conn, err := s.complete(ctx, cs, cb)
	if err != nil {
		return cs, nil, fmt.Errorf("connect: complete session %s: %w", cs.ID, err)
	}
	return cs, conn, nil
}

func (s *Service) complete(ctx context.Context, cs *dropbridge.ConnectSession, cb Callback) (*dropbridge.Connection, error) {
	switch {
	case cb.Error == "access_denied":
		return nil, dropbridge.Errorf(dropbridge.EFORBIDDEN, "The user did not allow access to their Dropbox account.")
	case cb.Error != "":
		why := cb.Error
		if cb.ErrorDescription != "" {
			why += ": " + cb.ErrorDescription
		}
		return nil, dropbridge.Errorf(dropbridge.EINVALID, "Dropbox did not authorize the connection (%s). Check the app's settings, then start again with a new connect session.", why)
	case cb.Code == "":
		return nil, dropbridge.Errorf(dropbridge.EINVALID, "Dropbox sent no authorization code: start again with a new connect session.")
	}
	app, err := s.Store.FindAppByID(ctx, cs.EnvironmentID, cs.AppID)
	if err != nil {
		return nil, err
	}
	tok, err := s.oauthConfig(app, cs.Scopes).Exchange(s.oauthContext(ctx), cb.Code, oauth2.VerifierOption(string(cs.PKCEVerifier)))
	if err != nil {
		return nil, fmt.Errorf("exchange the code: %w", translate(err))
	}
	conn := &dropbridge.Connection{
		Status: dropbridge.ConnectionActive,
		Token: dropbridge.Token{AccessToken: dropbridge.Secret(tok.AccessToken),
			RefreshToken: dropbridge.Secret(tok.RefreshToken), Expiry: tok.Expiry},
		Scopes: cs.Scopes,
	}
	if granted, _ := tok.Extra("scope").(string); granted != "" {
		conn.Scopes = strings.Fields(granted)
	}
	c := dropbox.New(append(s.Dropbox.clientOptions(s.httpClient()), dropbox.WithToken(tok.AccessToken))...)
	accountID, _ := tok.Extra("account_id").(string)
	teamID, _ := tok.Extra("team_id").(string)
	if accountID == "" && teamID != "" {
		err = identifyTeam(ctx, c, conn)
	} else {
		err = identifyUser(ctx, c, conn)
	}
	if err != nil {
		return nil, err
	}
	if err := s.Store.CompleteConnectSession(ctx, cs.EnvironmentID, cs.ID, conn); err != nil {
		return nil, err
	}
	var typ dropbridge.EventType
	if conn.CreatedAt.Equal(conn.UpdatedAt) { // new, not connected again
		typ = dropbridge.EventConnectionCreated
	}
	s.connectionChanged(ctx, typ, nil, conn)
	return conn, nil
}

// identifyUser fills in the account of a user token.
func identifyUser(ctx context.Context, c *dropbox.Client, conn *dropbridge.Connection) error {
	acct, err := c.Users.GetCurrentAccount(ctx)
	if err != nil {
		return fmt.Errorf("identify the account: %w", translate(err))
	}
	conn.AccountID, conn.Email, conn.DisplayName = acct.AccountID, acct.Email, acct.Name.DisplayName
	conn.AccountType = acct.AccountType.Tag
	if acct.Team != nil {
		conn.TeamID = acct.Team.ID
	}
	return nil
}

// identifyTeam fills in the team of a team token (a team-linked app,
// authorised by a team admin for the whole team). The team stands where a
// user's connection has the account: its ID is the connection's account
// ID, as Dropbox's own SDKs take the token answer's team_id for the
// account ID, so that connecting the team again (by any of its admins)
// updates the same connection, and a team connection never replaces the
// admin's own user connection. Its name is the display name; the email is
// the admin's who authorised the token (team/token/get_authenticated_admin),
// whom to ask about the link.
func identifyTeam(ctx context.Context, c *dropbox.Client, conn *dropbridge.Connection) error {
	info, err := c.Team.GetInfo(ctx)
	if err != nil {
		return fmt.Errorf("identify the team: %w", translate(err))
	}
	admin, err := c.Team.TokenGetAuthenticatedAdmin(ctx)
	if err != nil {
		return fmt.Errorf("identify the team's admin: %w", translate(err))
	}
	conn.AccountID, conn.TeamID, conn.DisplayName = info.TeamID, info.TeamID, info.Name
	conn.Email = admin.AdminProfile.Email
	conn.AccountType = dropbox.AccountTypeBusiness
	return nil
}
