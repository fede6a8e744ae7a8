package main

import (
	"context"
	"errors"
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

// partSuffix ends the name of a download in progress, which sits beside
// its target as ".NAME.dropbridge-REV.part" until it is complete and
// checked.
const partSuffix = ".part"

func newGetCmd() *cobra.Command {
	var (
		f        clientFlags
		progress bool
	)
	cmd := &cobra.Command{
		Use:   "get CONNECTION_ID REMOTE LOCAL",
		Short: "Download a file from a connected Dropbox (through the REST API)",
		Long: `Download the Dropbox file REMOTE (a path, an id:... or a rev:...) to LOCAL, streamed.
LOCAL may be a folder (the file keeps its name there) or "-" for standard output.

The bytes go to a hidden ".NAME.dropbridge-REV.part" file beside LOCAL, which is
checked against Dropbox's content hash and then renamed to LOCAL: LOCAL is never
left half written. A download that breaks off keeps its part file, and running
the same command again resumes it, if the file is still at that revision.`,
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			conn, remote, local := args[0], args[1], args[2]
			if local == "-" {
				return downloadTo(cmd.Context(), c, conn, remote, cmd.OutOrStdout())
			}
			target, err := downloadTarget(remote, local)
			if err != nil {
				return err
			}
			d := &download{c: c, conn: conn, remote: remote, target: target, progressOut: cmd.ErrOrStderr(), progress: progress}
			res, err := d.run(cmd.Context())
			if err != nil {
				return err
			}
			msg := fmt.Sprintf("Downloaded %s to %s (%d bytes, rev %s)", remote, target, res.size, res.rev)
			if res.resumedAt > 0 {
				msg += fmt.Sprintf(", resumed after %d bytes", res.resumedAt)
			}
			fmt.Fprintln(cmd.OutOrStdout(), msg)
			return nil
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().BoolVar(&progress, "progress", true, "show a progress bar when standard error is a terminal")
	return cmd
}

// downloadTarget is the file a download of remote to local writes: local,
// or remote's name inside local when local is a folder.
func downloadTarget(remote, local string) (string, error) {
	st, err := os.Stat(local)
	isDir := err == nil && st.IsDir()
	if !isDir && !strings.HasSuffix(local, string(filepath.Separator)) && !strings.HasSuffix(local, "/") {
		return local, nil
	}
	if !strings.HasPrefix(remote, "/") || strings.HasSuffix(remote, "/") {
		return "", fmt.Errorf("LOCAL %q is a folder, and REMOTE %q has no file name: give LOCAL as a file path", local, remote)
	}
	if !isDir {
		return "", fmt.Errorf("the folder %s does not exist: make it first", local)
	}
	return filepath.Join(local, path.Base(remote)), nil
}

// downloadTo streams remote to w, and fails when the bytes do not match
// Dropbox's content hash (w has them all by then: the exit status says
// so).
func downloadTo(ctx context.Context, c *apiClient, conn, remote string, w io.Writer) error {
	resp, err := c.do(ctx, request{method: http.MethodGet, path: connectionPath(conn, "/files/content"), query: url.Values{"path": {remote}}})
	if err != nil {
		return fmt.Errorf("download %s: %w", remote, err)
	}
	defer resp.Body.Close()
	hash := contenthash.New()
	n, err := io.Copy(io.MultiWriter(w, hash), resp.Body)
	if err != nil {
		return fmt.Errorf("download %s: broke off after %d bytes: %w", remote, n, err)
	}
	if want := resp.Header.Get(httpapi.ContentHashHeader); want != "" && want != hash.Hex() {
		return fmt.Errorf("download %s: the bytes received do not match Dropbox's content hash: download it again", remote)
	}
	return nil
}

// download is one download of a file to a local target, through a part
// file.
type download struct {
	c           *apiClient
	conn        string
	remote      string
	target      string
	progressOut io.Writer
	progress    bool
}

// downloadResult says what a download did.
type downloadResult struct {
	size      int64  // the file's size
	rev       string // its revision
	resumedAt int64  // bytes that a part file held already; 0: none
}

// partPrefix starts the names of the target's part files.
func (d *download) partPrefix() string { return "." + filepath.Base(d.target) + ".dropbridge-" }

// partPath is the part file of revision rev.
func (d *download) partPath(rev string) string {
	return filepath.Join(filepath.Dir(d.target), d.partPrefix()+rev+partSuffix)
}

// findPart returns the revision and size of the target's part file
// left by an earlier download, or "" if there is none.
func (d *download) findPart() (rev string, size int64) {
	entries, err := os.ReadDir(filepath.Dir(d.target))
	if err != nil {
		return "", 0
	}
	for _, e := range entries {
		r, ok := strings.CutPrefix(e.Name(), d.partPrefix())
		if r, ok = strings.CutSuffix(r, partSuffix); !ok || r == "" || !e.Type().IsRegular() {
			continue
		}
		if info, err := e.Info(); err == nil && info.Size() > size {
			rev, size = r, info.Size()
		}
	}
	return rev, size
}

// removeParts removes the target's part files other than keep.
func (d *download) removeParts(keep string) {
	entries, _ := os.ReadDir(filepath.Dir(d.target))
	for _, e := range entries {
		p := filepath.Join(filepath.Dir(d.target), e.Name())
		if strings.HasPrefix(e.Name(), d.partPrefix()) && strings.HasSuffix(e.Name(), partSuffix) && p != keep {
			os.Remove(p)
		}
	}
}

// run downloads the file, resuming a part file of the same revision, and
// renames the checked part file to the target.
func (d *download) run(ctx context.Context) (*downloadResult, error) {
	partRev, partSize := d.findPart()
	q := url.Values{"path": {d.remote}}
	h := http.Header{}
	if partSize > 0 {
		h.Set("Range", fmt.Sprintf("bytes=%d-", partSize))
		h.Set("If-Range", `"`+partRev+`"`)
	}
	resp, err := d.c.do(ctx, request{method: http.MethodGet, path: connectionPath(d.conn, "/files/content"), query: q, header: h})
	var p *problemError
	if errors.As(err, &p) && p.Status == http.StatusRequestedRangeNotSatisfiable {
		// The part file is as long as the file, or longer: start over.
		d.removeParts("")
		partSize = 0
		resp, err = d.c.do(ctx, request{method: http.MethodGet, path: connectionPath(d.conn, "/files/content"), query: q})
	}
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", d.remote, err)
	}
	defer resp.Body.Close()
	rev := strings.Trim(strings.TrimPrefix(resp.Header.Get("ETag"), "W/"), `"`)
	if rev == "" || strings.ContainsAny(rev, `/\`) {
		return nil, fmt.Errorf("download %s: the service's answer has no revision (ETag)", d.remote)
	}
	offset := int64(0)
	if resp.StatusCode == http.StatusPartialContent {
		var start int64
		if _, err := fmt.Sscanf(resp.Header.Get("Content-Range"), "bytes %d-", &start); err != nil || start != partSize || rev != partRev {
			return nil, fmt.Errorf("download %s: the service sent another range than asked for (%s)", d.remote, resp.Header.Get("Content-Range"))
		}
		offset = start
	}
	size := offset + resp.ContentLength
	if resp.ContentLength < 0 {
		size = -1
	}
	part := d.partPath(rev)
	d.removeParts(part)

	flags := os.O_RDWR | os.O_CREATE
	if offset == 0 {
		flags |= os.O_TRUNC
	}
	file, err := os.OpenFile(part, flags, 0o666)
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", d.remote, err)
	}
	hash := contenthash.New()
	if offset > 0 {
		// The bytes there already count in the content hash.
		if _, err := io.CopyN(hash, file, offset); err != nil {
			file.Close()
			return nil, fmt.Errorf("download %s: read the part file: %w", d.remote, err)
		}
	}
	bar := newTransferProgress(d.progressOut, d.progress, filepath.Base(d.target), size, offset)
	n, err := io.Copy(io.MultiWriter(file, hash), bar.reader(resp.Body))
	if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
		err = io.ErrUnexpectedEOF
	}
	bar.finish(err)
	if err != nil {
		file.Close()
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("download %s: broke off after %d bytes (%w): run the same command again to resume", d.remote, offset+n, err)
	}
	if err := file.Close(); err != nil {
		return nil, fmt.Errorf("download %s: %w", d.remote, err)
	}
	if want := resp.Header.Get(httpapi.ContentHashHeader); want != "" && want != hash.Hex() {
		os.Remove(part)
		return nil, fmt.Errorf("download %s: the bytes received do not match Dropbox's content hash; the partial download is removed: run the command again", d.remote)
	}
	if err := os.Rename(part, d.target); err != nil {
		return nil, fmt.Errorf("download %s: %w", d.remote, err)
	}
	return &downloadResult{size: offset + n, rev: rev, resumedAt: offset}, nil
}
