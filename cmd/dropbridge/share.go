package main

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dropbridge/dropbridge/httpapi"
)

func newShareCmd() *cobra.Command {
	var (
		f          clientFlags
		expires    string
		audience   string
		access     string
		noDownload bool
	)
	cmd := &cobra.Command{
		Use:   "share CONNECTION_ID PATH",
		Short: "Make a shared link to a file or folder of a connected Dropbox (through the REST API)",
		Long: `Make a shared link to PATH (a path or an id:...) and print it alone on standard
output. Dropbox keeps one link per file or folder: when there is one already, it
is printed as it is (its settings unchanged).

Expiry, a team-only audience and forbidding downloads need a paid Dropbox
account; Dropbox refuses them for a Basic one.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			in := map[string]any{"path": args[1]}
			if expires != "" {
				t, err := parseExpiry(expires, time.Now())
				if err != nil {
					return err
				}
				in["expires"] = t
			}
			if audience != "" {
				in["audience"] = audience
			}
			if access != "" {
				in["access"] = access
			}
			if noDownload {
				in["allow_download"] = false
			}
			var link httpapi.SharedLink
			status, err := c.sendJSONStatus(cmd.Context(), http.MethodPost, connectionPath(args[0], "/shared-links"), in, &link)
			if err != nil {
				return fmt.Errorf("share %s: %w", args[1], err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), link.URL)
			var about []string
			if v := link.LinkPermissions.ResolvedVisibility; v != "" {
				about = append(about, v)
			}
			if v := link.LinkPermissions.LinkAccessLevel; v != "" {
				about = append(about, v)
			}
			if link.Expires != nil {
				about = append(about, "expires "+link.Expires.UTC().Format(time.RFC3339))
			}
			if !link.LinkPermissions.AllowDownload {
				about = append(about, "no downloads")
			}
			what := "New shared link"
			if status == http.StatusOK {
				what = "The shared link there already (settings unchanged)"
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "%s to %s: %s.\n", what, link.Name, strings.Join(about, ", "))
			return nil
		},
	}
	f.register(cmd.Flags())
	fl := cmd.Flags()
	fl.StringVar(&expires, "expires", "", "when the link stops working: a duration from now (72h) or a time (2030-01-02T15:04:05Z)")
	fl.StringVar(&audience, "audience", "", "who can use the link: public, team or no_one (default: Dropbox's, public)")
	fl.StringVar(&access, "access", "", "what the link lets its users do: viewer or editor (default: viewer)")
	fl.BoolVar(&noDownload, "no-download", false, "forbid downloads through the link")
	return cmd
}

// parseExpiry reads an expiry: a duration from now, or an RFC 3339 time.
func parseExpiry(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d <= 0 {
			return time.Time{}, fmt.Errorf("--expires %s is not in the future: give a positive duration such as 72h", s)
		}
		return now.Add(d).UTC().Truncate(time.Second), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--expires %q must be a duration such as 72h or a time such as 2030-01-02T15:04:05Z", s)
	}
	return t, nil
}
