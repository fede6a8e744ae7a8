package main

import (
	"fmt"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/dropbridge/dropbridge/httpapi"
)

func newConnectCmd() *cobra.Command {
	var (
		f           clientFlags
		externalID  string
		app         string
		scopes      []string
		redirectURL string
	)
	cmd := &cobra.Command{
		Use:   "connect --external-user-id ID",
		Short: "Start connecting an end user's Dropbox: print the connect link",
		Long: `Create a connect session through the REST API and print its link, alone on
standard output, so that LINK=$(dropbridge connect --external-user-id u1) works.
Send the end user to the link: they allow access on Dropbox's page, and the
connection appears in "dropbridge connections list". The link holds a one-time
secret: hand it only to that user.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			in := map[string]any{"external_user_id": externalID}
			if app != "" {
				in["app"] = app
			}
			if len(scopes) > 0 {
				in["scopes"] = scopes
			}
			if redirectURL != "" {
				in["redirect_url"] = redirectURL
			}
			var sess httpapi.ConnectSession
			if err := c.sendJSON(cmd.Context(), http.MethodPost, "/v1/connect-sessions", in, &sess); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), sess.URL)
			fmt.Fprintf(cmd.ErrOrStderr(), "Connect session %s for %s: the link works until %s.\n",
				sess.ID, sess.ExternalUserID, sess.ExpiresAt.UTC().Format(time.RFC3339))
			return nil
		},
	}
	f.register(cmd.Flags())
	fl := cmd.Flags()
	fl.StringVar(&externalID, "external-user-id", "", "your application's ID of the end user (required)")
	fl.StringVar(&app, "app", "", "ID of the app to connect through (default: the environment's default app)")
	fl.StringSliceVar(&scopes, "scope", nil, "a scope to ask for; repeat, or separate with commas (default: the app's)")
	fl.StringVar(&redirectURL, "redirect-url", "", "where the user lands afterwards, with connection_id in the query")
	_ = cmd.MarkFlagRequired("external-user-id") // the flag exists
	return cmd
}
