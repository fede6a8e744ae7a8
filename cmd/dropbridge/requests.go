package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/dropbridge/dropbridge/httpapi"
)

// fileRequestPath is the API path of a connection's file requests, or of
// the file request id with more appended.
func fileRequestPath(conn, id string, more ...string) string {
	if id == "" {
		return connectionPath(conn, "/file-requests")
	}
	return connectionPath(conn, append([]string{"/file-requests/", url.PathEscape(id)}, more...)...)
}

func newRequestsCmd() *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "requests",
		Short: "Create, list, close and delete file requests of a connected Dropbox (through the REST API)",
		Long: `Work with the file requests of a connection: pages where anyone with the link
can upload files into a folder of the connected Dropbox.`,
	}
	f.register(cmd.PersistentFlags())

	var (
		title, destination, description, deadline string
		closed                                    bool
	)
	create := &cobra.Command{
		Use:   "create CONNECTION_ID --title TITLE --destination FOLDER",
		Short: "Create a file request and show it (its url is the upload page)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			in := map[string]any{"title": title, "destination": destination}
			if description != "" {
				in["description"] = description
			}
			if deadline != "" {
				t, err := parseExpiry(deadline, time.Now())
				if err != nil {
					return err
				}
				in["deadline"] = map[string]any{"deadline": t}
			}
			if closed {
				in["open"] = false
			}
			var fr httpapi.FileRequest
			if err := c.sendJSON(cmd.Context(), http.MethodPost, fileRequestPath(args[0], ""), in, &fr); err != nil {
				return err
			}
			return printFileRequest(cmd.OutOrStdout(), fr)
		},
	}
	create.Flags().StringVar(&title, "title", "", "the title shown on the request's page (required)")
	create.Flags().StringVar(&destination, "destination", "", "the folder uploads go to, made if missing (required)")
	create.Flags().StringVar(&description, "description", "", "a description shown on the request's page")
	create.Flags().StringVar(&deadline, "deadline", "", "when uploads stop: a duration from now (72h) or a time (paid accounts only)")
	create.Flags().BoolVar(&closed, "closed", false, "make the request closed, to open later")
	_ = create.MarkFlagRequired("title")       // the flag exists
	_ = create.MarkFlagRequired("destination") // the flag exists

	var asJSON bool
	list := &cobra.Command{
		Use:   "list CONNECTION_ID",
		Short: "List the file requests, open and closed",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			var frs []httpapi.FileRequest
			err = listAll(cmd.Context(), c, fileRequestPath(args[0], ""), url.Values{"limit": {"1000"}}, func(fr httpapi.FileRequest) error {
				frs = append(frs, fr)
				return nil
			})
			if err != nil {
				return err
			}
			if asJSON {
				if frs == nil {
					frs = []httpapi.FileRequest{}
				}
				return printJSON(cmd.OutOrStdout(), frs)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tTITLE\tDESTINATION\tOPEN\tFILES\tURL")
			for _, fr := range frs {
				fmt.Fprintf(w, "%s\t%s\t%s\t%t\t%d\t%s\n", fr.ID, fr.Title, fr.Destination, fr.IsOpen, fr.FileCount, fr.URL)
			}
			return w.Flush()
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print the file requests as a JSON array")

	// one is a command on one file request.
	one := func(use, short, method string, more ...string) *cobra.Command {
		return &cobra.Command{
			Use:   use + " CONNECTION_ID REQUEST_ID",
			Short: short,
			Args:  cobra.ExactArgs(2),
			RunE: func(cmd *cobra.Command, args []string) error {
				c, err := f.client()
				if err != nil {
					return err
				}
				var fr httpapi.FileRequest
				if method == http.MethodGet {
					err = c.getJSON(cmd.Context(), fileRequestPath(args[0], args[1]), nil, &fr)
				} else {
					err = c.sendJSON(cmd.Context(), method, fileRequestPath(args[0], args[1], more...), nil, &fr)
				}
				if err != nil {
					return fmt.Errorf("%s %s: %w", use, args[1], err)
				}
				return printFileRequest(cmd.OutOrStdout(), fr)
			},
		}
	}
	cmd.AddCommand(create, list,
		one("get", "Show a file request", http.MethodGet),
		one("close", "Close a file request: it stops taking uploads", http.MethodPost, "/close"),
		one("delete", "Delete a closed file request (files uploaded through it stay)", http.MethodDelete))
	return cmd
}

// printFileRequest writes a file request as "field: value" lines.
func printFileRequest(out io.Writer, fr httpapi.FileRequest) error {
	w := tabwriter.NewWriter(out, 0, 4, 1, ' ', 0)
	rows := [][2]string{
		{"id", fr.ID},
		{"url", fr.URL},
		{"title", fr.Title},
		{"destination", fr.Destination},
		{"is_open", strconv.FormatBool(fr.IsOpen)},
		{"file_count", strconv.FormatInt(fr.FileCount, 10)},
		{"description", fr.Description},
		{"created", fr.Created.UTC().Format(time.RFC3339)},
	}
	if fr.Deadline != nil {
		rows = append(rows, [2]string{"deadline", fr.Deadline.Deadline.UTC().Format(time.RFC3339)})
	}
	for _, row := range rows {
		if row[1] != "" {
			fmt.Fprintf(w, "%s:\t%s\n", row[0], row[1])
		}
	}
	return w.Flush()
}
