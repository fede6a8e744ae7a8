package dropbox

import (
	"context"
	"fmt"
)

// InTeamSpace returns a client that sees the user's whole root namespace:
// for a member of a team with a team space, a copy of c with the
// Dropbox-API-Path-Root set to that root, where team folders are visible
// beside the member's own folder; for everyone else (personal accounts,
// teams without a team space, app-folder apps) c itself, since a path root
// there would only break paths. It costs one users/get_current_account
// call; keep the client it returns.
func (c *Client) InTeamSpace(ctx context.Context) (*Client, error) {
	home := c.clone()
	home.pathRoot = ""
	acct, err := home.Users.GetCurrentAccount(ctx)
	if err != nil {
		return nil, fmt.Errorf("dropbox: find the account's root namespace: %w", err)
	}
	root := acct.RootInfo.RootNamespaceID()
	if root == "" || root == acct.RootInfo.HomeNamespaceID() {
		return c, nil
	}
	return c.WithRoot(root), nil
}
