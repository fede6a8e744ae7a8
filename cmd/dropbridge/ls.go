package main

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/dropbridge/dropbridge/httpapi"
)

func newLsCmd() *cobra.Command {
	var (
		f         clientFlags
		long      bool
		recursive bool
		asJSON    bool
		pageSize  int
	)
	cmd := &cobra.Command{
		Use:   "ls CONNECTION_ID [PATH]",
		Short: "List a folder of a connected Dropbox (through the REST API)",
		Long: `List a folder of the connection's Dropbox, every page of it, sorted by name.
PATH is a Dropbox path ("/Reports"), an id:..., or empty for the root. Folders
end with a slash. With --recursive, everything under the folder is listed by
its full path.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			path := ""
			if len(args) == 2 {
				path = args[1]
			}
			q := url.Values{"path": {path}, "limit": {strconv.Itoa(pageSize)}}
			if recursive {
				q.Set("recursive", "true")
			}
			var entries []httpapi.Entry
			err = listAll(cmd.Context(), c, connectionPath(args[0], "/files"), q, func(e httpapi.Entry) error {
				entries = append(entries, e)
				return nil
			})
			if err != nil {
				return err
			}
			if recursive {
				// Dropbox lists the folder itself too; it is not under it.
				entries = slices.DeleteFunc(entries, func(e httpapi.Entry) bool {
					return e.PathLower != "" && strings.EqualFold(strings.TrimSuffix(e.PathLower, "/"), strings.TrimSuffix(path, "/"))
				})
			}
			name := func(e httpapi.Entry) string {
				n := e.Name
				if recursive && e.PathDisplay != "" {
					n = e.PathDisplay
				}
				if e.Tag == "folder" {
					n += "/"
				}
				return n
			}
			slices.SortFunc(entries, func(a, b httpapi.Entry) int {
				return cmp.Or(cmp.Compare(strings.ToLower(name(a)), strings.ToLower(name(b))), cmp.Compare(name(a), name(b)))
			})
			out := cmd.OutOrStdout()
			switch {
			case asJSON:
				if entries == nil {
					entries = []httpapi.Entry{}
				}
				return printJSON(out, entries)
			case long:
				w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
				for _, e := range entries {
					size, modified, rev := "-", "-", "-"
					if e.Size != nil {
						size = strconv.FormatUint(*e.Size, 10)
					}
					if e.ServerModified != nil {
						modified = e.ServerModified.UTC().Format(time.RFC3339)
					}
					if e.Rev != "" {
						rev = e.Rev
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", e.Tag, size, modified, rev, name(e))
				}
				return w.Flush()
			}
			for _, e := range entries {
				fmt.Fprintln(out, name(e))
			}
			return nil
		},
	}
	f.register(cmd.Flags())
	fl := cmd.Flags()
	fl.BoolVarP(&long, "long", "l", false, "show each entry's kind, size, modification time and revision")
	fl.BoolVarP(&recursive, "recursive", "R", false, "list everything under the folder, by full path")
	fl.BoolVar(&asJSON, "json", false, "print the entries as a JSON array, with Dropbox's fields")
	fl.IntVar(&pageSize, "page-size", 500, "entries asked for per page (1 to 2000)")
	return cmd
}
