package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/dropbox"
)

// Connection is an end user's connected Dropbox account. Its tokens are
// never shown.
type Connection struct {
	ID             string    `json:"id" doc:"The connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	AppID          string    `json:"app_id" doc:"The app the user connected through."`
	ExternalUserID string    `json:"external_user_id" doc:"Your ID of the end user." example:"user-42"`
	AccountID      string    `json:"account_id" doc:"The Dropbox account ID; for a team connection (a team-linked app), the team ID." example:"dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc"`
	TeamID         string    `json:"team_id,omitempty" doc:"The Dropbox team's ID, for team accounts."`
	Email          string    `json:"email" example:"ada@example.com"`
	DisplayName    string    `json:"display_name" example:"Ada Lovelace"`
	AccountType    string    `json:"account_type" enum:"basic,pro,business" doc:"Dropbox's account type."`
	Scopes         []string  `json:"scopes" doc:"The scopes Dropbox granted."`
	Status         string    `json:"status" enum:"active,needs_reauth,revoked" doc:"active: the tokens work. needs_reauth: Dropbox refused them; send the user through a new connect session. revoked: deleted."`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

func connectionOut(c *dropbridge.Connection) Connection {
	return Connection{ID: c.ID, AppID: c.AppID, ExternalUserID: c.ExternalUserID, AccountID: c.AccountID, TeamID: c.TeamID,
		Email: c.Email, DisplayName: c.DisplayName, AccountType: c.AccountType, Scopes: nonNil(c.Scopes),
		Status: string(c.Status), CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

type connectionInput struct {
	ID string `path:"id" doc:"The connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
}

type connectionOutput struct {
	Body Connection
}

type listConnectionsInput struct {
	ExternalUserID string `query:"external_user_id" doc:"Only this end user's connections."`
	Status         string `query:"status" enum:"active,needs_reauth,revoked" doc:"Only connections with this status."`
	Cursor         string `query:"cursor" doc:"Continue a listing: next_cursor of the previous page."`
	Limit          int    `query:"limit" minimum:"1" maximum:"1000" default:"100" doc:"Page size."`
}

type listConnectionsOutput struct {
	Body struct {
		Data       []Connection `json:"data" doc:"A page of connections, oldest first."`
		NextCursor string       `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page."`
	}
}

// Account is a connected Dropbox account as Dropbox describes it now.
type Account struct {
	AccountID       string       `json:"account_id" example:"dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc"`
	Email           string       `json:"email" example:"ada@example.com"`
	EmailVerified   bool         `json:"email_verified"`
	DisplayName     string       `json:"display_name" example:"Ada Lovelace"`
	AccountType     string       `json:"account_type" enum:"basic,pro,business"`
	Country         string       `json:"country,omitempty" example:"GB"`
	Locale          string       `json:"locale,omitempty" example:"en"`
	Team            *AccountTeam `json:"team,omitempty" doc:"The team, for members of one."`
	TeamMemberID    string       `json:"team_member_id,omitempty"`
	RootNamespaceID string       `json:"root_namespace_id" doc:"The namespace of the account's root: the team space for members of a team with one."`
	HomeNamespaceID string       `json:"home_namespace_id" doc:"The namespace of the account's home folder."`
}

// AccountTeam is the team of an account.
type AccountTeam struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type accountOutput struct {
	Body Account
}

func (s *Server) registerConnections() {
	tags := []string{"Connections"}
	huma.Register(s.api, huma.Operation{
		OperationID: "list-connections",
		Method:      http.MethodGet,
		Path:        "/v1/connections",
		Summary:     "List connections",
		Tags:        tags,
		Security:    bearer,
		Errors:      []int{http.StatusUnauthorized, http.StatusUnprocessableEntity},
	}, s.listConnections)
	huma.Register(s.api, huma.Operation{
		OperationID: "get-connection",
		Method:      http.MethodGet,
		Path:        "/v1/connections/{id}",
		Summary:     "Get a connection",
		Tags:        tags,
		Security:    bearer,
		Errors:      []int{http.StatusUnauthorized, http.StatusNotFound},
	}, s.getConnection)
	huma.Register(s.api, huma.Operation{
		OperationID: "delete-connection",
		Method:      http.MethodDelete,
		Path:        "/v1/connections/{id}",
		Summary:     "Delete a connection",
		Description: "Revokes the connection's token at Dropbox and marks the connection revoked; its tokens are wiped. " +
			"Deleting a revoked connection changes nothing. When Dropbox cannot be reached nothing changes: retry.",
		Tags:     tags,
		Security: bearer,
		Errors:   []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusServiceUnavailable},
	}, s.deleteConnection)
	huma.Register(s.api, huma.Operation{
		OperationID: "get-connection-account",
		Method:      http.MethodGet,
		Path:        "/v1/connections/{id}/account",
		Summary:     "Get the connected Dropbox account",
		Description: "Asks Dropbox (users/get_current_account) through the connection, which proves that its token works.",
		Tags:        tags,
		Security:    bearer,
		Errors: []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusConflict,
			http.StatusTooManyRequests, http.StatusServiceUnavailable},
	}, s.getConnectionAccount)
}

func (s *Server) listConnections(ctx context.Context, in *listConnectionsInput) (*listConnectionsOutput, error) {
	page, err := s.store.ListConnections(ctx, environmentID(ctx), dropbridge.ConnectionFilter{
		ExternalUserID: in.ExternalUserID,
		Status:         dropbridge.ConnectionStatus(in.Status),
		Cursor:         in.Cursor,
		Limit:          in.Limit,
	})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := &listConnectionsOutput{}
	out.Body.Data = make([]Connection, 0, len(page.Connections))
	for _, c := range page.Connections {
		out.Body.Data = append(out.Body.Data, connectionOut(c))
	}
	out.Body.NextCursor = page.NextCursor
	return out, nil
}

func (s *Server) getConnection(ctx context.Context, in *connectionInput) (*connectionOutput, error) {
	c, err := s.store.FindConnectionByID(ctx, environmentID(ctx), in.ID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &connectionOutput{Body: connectionOut(c)}, nil
}

func (s *Server) deleteConnection(ctx context.Context, in *connectionInput) (*connectionOutput, error) {
	c, err := s.connect.Delete(ctx, environmentID(ctx), in.ID)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	return &connectionOutput{Body: connectionOut(c)}, nil
}

func (s *Server) getConnectionAccount(ctx context.Context, in *connectionInput) (*accountOutput, error) {
	var acct *dropbox.FullAccount
	err := s.connect.Do(ctx, environmentID(ctx), in.ID, func(ctx context.Context, c *dropbox.Client) error {
		var err error
		acct, err = c.Users.GetCurrentAccount(ctx)
		return err
	})
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	out := Account{AccountID: acct.AccountID, Email: acct.Email, EmailVerified: acct.EmailVerified,
		DisplayName: acct.Name.DisplayName, AccountType: acct.AccountType.Tag, Locale: acct.Locale,
		RootNamespaceID: acct.RootInfo.RootNamespaceID(), HomeNamespaceID: acct.RootInfo.HomeNamespaceID()}
	if acct.Country != nil {
		out.Country = *acct.Country
	}
	if acct.Team != nil {
		out.Team = &AccountTeam{ID: acct.Team.ID, Name: acct.Team.Name}
	}
	if acct.TeamMemberID != nil {
		out.TeamMemberID = *acct.TeamMemberID
	}
	return &accountOutput{Body: out}, nil
}
