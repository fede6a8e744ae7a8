package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/dropbridge/dropbridge/httpapi"
)

func newConnectionsCmd() *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "connections",
		Short: "List, show and delete the connected Dropbox accounts (through the REST API)",
		Long: `Work with the connections of the API key's environment, through the REST API of a
running service (--server, DROPBRIDGE_SERVER; the key from DROPBRIDGE_API_KEY).
"dropbridge connect" starts a new one.`,
	}
	f.register(cmd.PersistentFlags())

	var (
		externalUserID, status string
		asJSON                 bool
	)
	list := &cobra.Command{
		Use:   "list",
		Short: "List connections, all pages of them",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			q := url.Values{"limit": {"1000"}}
			if externalUserID != "" {
				q.Set("external_user_id", externalUserID)
			}
			if status != "" {
				q.Set("status", status)
			}
			var conns []httpapi.Connection
			err = listAll(cmd.Context(), c, "/v1/connections", q, func(conn httpapi.Connection) error {
				conns = append(conns, conn)
				return nil
			})
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				if conns == nil {
					conns = []httpapi.Connection{}
				}
				return printJSON(out, conns)
			}
			w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tEXTERNAL USER\tEMAIL\tTYPE\tSTATUS\tCREATED")
			for _, conn := range conns {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", conn.ID, conn.ExternalUserID, conn.Email, conn.AccountType,
					conn.Status, conn.CreatedAt.UTC().Format(time.RFC3339))
			}
			return w.Flush()
		},
	}
	list.Flags().StringVar(&externalUserID, "external-user-id", "", "only this end user's connections")
	list.Flags().StringVar(&status, "status", "", "only connections with this status: active, needs_reauth or revoked")
	list.Flags().BoolVar(&asJSON, "json", false, "print the connections as a JSON array")

	var getJSON bool
	get := &cobra.Command{
		Use:   "get CONNECTION_ID",
		Short: "Show a connection",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			var conn httpapi.Connection
			if err := c.getJSON(cmd.Context(), connectionPath(args[0]), nil, &conn); err != nil {
				return err
			}
			if getJSON {
				return printJSON(cmd.OutOrStdout(), conn)
			}
			return printConnection(cmd.OutOrStdout(), conn)
		},
	}
	get.Flags().BoolVar(&getJSON, "json", false, "print the connection as JSON")

	del := &cobra.Command{
		Use:   "delete CONNECTION_ID...",
		Short: "Delete connections: revoke their tokens at Dropbox",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			for _, id := range args {
				var conn httpapi.Connection
				if err := c.sendJSON(cmd.Context(), http.MethodDelete, connectionPath(id), nil, &conn); err != nil {
					return fmt.Errorf("delete %s: %w", id, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Deleted connection %s (%s); its token is revoked at Dropbox.\n", conn.ID, conn.Email)
			}
			return nil
		},
	}
	cmd.AddCommand(list, get, del)
	return cmd
}

// printConnection writes a connection as "field: value" lines.
func printConnection(out io.Writer, conn httpapi.Connection) error {
	w := tabwriter.NewWriter(out, 0, 4, 1, ' ', 0)
	for _, row := range [][2]string{
		{"id", conn.ID},
		{"external_user_id", conn.ExternalUserID},
		{"status", conn.Status},
		{"account_id", conn.AccountID},
		{"email", conn.Email},
		{"display_name", conn.DisplayName},
		{"account_type", conn.AccountType},
		{"team_id", conn.TeamID},
		{"app_id", conn.AppID},
		{"scopes", strings.Join(conn.Scopes, " ")},
		{"created_at", conn.CreatedAt.UTC().Format(time.RFC3339)},
		{"updated_at", conn.UpdatedAt.UTC().Format(time.RFC3339)},
	} {
		if row[1] != "" {
			fmt.Fprintf(w, "%s:\t%s\n", row[0], row[1])
		}
	}
	return w.Flush()
}
