package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dropbridge/dropbridge/dropbox/contenthash"
	"github.com/dropbridge/dropbridge/httpapi"
)

func newPutCmd() *cobra.Command {
	var (
		f          clientFlags
		mode       string
		rev        string
		autorename bool
		progress   bool
	)
	cmd := &cobra.Command{
		Use:   "put CONNECTION_ID LOCAL REMOTE",
		Short: "Upload a file to a connected Dropbox (through the REST API)",
		Long: `Upload the file LOCAL ("-": standard input) to the Dropbox path REMOTE, streamed,
of any size. A REMOTE that ends with a slash is a folder: the file keeps its
name there. The service commits the file only once every byte has arrived, so a
failed upload leaves nothing behind; the answer's content hash is checked
against the bytes sent.

By default an existing file is not written over (--mode add): use --mode
overwrite, or --mode update --rev REV to write only over that revision.`,
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			conn, local, remote := args[0], args[1], args[2]
			var (
				body io.Reader
				size int64 = -1
				name       = "stdin"
			)
			if local == "-" {
				body = cmd.InOrStdin()
			} else {
				file, err := os.Open(local)
				if err != nil {
					return fmt.Errorf("open the file to upload: %w", err)
				}
				defer file.Close()
				st, err := file.Stat()
				if err != nil {
					return fmt.Errorf("open the file to upload: %w", err)
				}
				if !st.Mode().IsRegular() {
					return fmt.Errorf("%s is not a regular file: put uploads one file", local)
				}
				body, size, name = file, st.Size(), filepath.Base(local)
			}
			if strings.HasSuffix(remote, "/") {
				if local == "-" {
					return fmt.Errorf("REMOTE %q is a folder: give the file's name too when uploading standard input", remote)
				}
				remote = path.Join(remote, name)
			}
			q := url.Values{"path": {remote}, "mode": {mode}}
			if rev != "" {
				q.Set("rev", rev)
			}
			if autorename {
				q.Set("autorename", "true")
			}
			hash := contenthash.New()
			bar := newTransferProgress(cmd.ErrOrStderr(), progress, name, size, 0)
			resp, err := c.do(cmd.Context(), request{
				method: http.MethodPut, path: connectionPath(conn, "/files/content"), query: q,
				header: http.Header{"Content-Type": {"application/octet-stream"}},
				body:   bar.reader(io.TeeReader(body, hash)), size: size,
			})
			bar.finish(err)
			if err != nil {
				return fmt.Errorf("upload %s: %w", remote, err)
			}
			defer resp.Body.Close()
			var e httpapi.Entry
			if err := decodeJSON(resp, &e); err != nil {
				return err
			}
			if e.ContentHash != "" && e.ContentHash != hash.Hex() {
				return fmt.Errorf("upload %s: Dropbox holds other bytes than were sent (content hash %s, sent %s): upload it again", e.PathDisplay, e.ContentHash, hash.Hex())
			}
			var n uint64
			if e.Size != nil {
				n = *e.Size
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Uploaded %s (%d bytes, rev %s)\n", e.PathDisplay, n, e.Rev)
			return nil
		},
	}
	f.register(cmd.Flags())
	fl := cmd.Flags()
	fl.StringVar(&mode, "mode", "add", "when a file is there already: add (keep it, fail), overwrite, or update (with --rev)")
	fl.StringVar(&rev, "rev", "", "with --mode update: the revision the file must still have")
	fl.BoolVar(&autorename, "autorename", false, "on a conflict, upload under a free name rather than fail")
	fl.BoolVar(&progress, "progress", true, "show a progress bar when standard error is a terminal")
	return cmd
}
