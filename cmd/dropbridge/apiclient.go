package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/dropbridge/dropbridge/httpapi"
)

// defaultServer is the service the CLI talks to when neither --server nor
// DROPBRIDGE_SERVER says otherwise: where "dropbridge serve" and
// "dropbridge dev" listen by default.
const defaultServer = "http://127.0.0.1:8080"

// clientFlags are the flags of every command that calls the REST API of a
// running service.
type clientFlags struct {
	server string
	apiKey string
}

// register adds the flags. The API key's default is read at run time, not
// shown as a flag default: help output must not print a secret.
func (f *clientFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&f.server, "server", envOr("DROPBRIDGE_SERVER", defaultServer),
		"the dropbridge service's URL ($DROPBRIDGE_SERVER)")
	fl.StringVar(&f.apiKey, "api-key", "",
		"API key of the service ($DROPBRIDGE_API_KEY, which keeps it out of the process list)")
}

// client returns a client of the service the flags name.
func (f *clientFlags) client() (*apiClient, error) {
	key := f.apiKey
	if key == "" {
		key = os.Getenv("DROPBRIDGE_API_KEY")
	}
	if key == "" {
		return nil, errors.New(`no API key: set DROPBRIDGE_API_KEY (or pass --api-key); "dropbridge dev" prints one, "dropbridge apikeys create" makes one`)
	}
	base := strings.TrimRight(strings.TrimSpace(f.server), "/")
	base = strings.TrimSuffix(base, "/v1") // the "API base URL" that serve and dev print works too
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--server %q must be the service's http or https URL, as in %s", f.server, defaultServer)
	}
	return &apiClient{base: base, key: key, http: &http.Client{}}, nil
}

// apiClient calls the service's REST API with an API key. It is safe for
// concurrent use.
type apiClient struct {
	base string // the service's URL, without a trailing slash
	key  string
	http *http.Client
}

// problemError is an error answer of the API, an RFC 9457 problem, or a
// non-problem error answer described by status and body.
type problemError struct {
	httpapi.Problem
}

// Error says what went wrong in one line: the service's detail, then the
// status, the problem's code and Dropbox's error tag, if any.
func (e *problemError) Error() string {
	var b strings.Builder
	b.WriteString(strings.Join(strings.Fields(e.Detail), " "))
	fmt.Fprintf(&b, " (%d %s", e.Status, e.Code)
	if e.DropboxError != "" {
		fmt.Fprintf(&b, ", Dropbox: %s", e.DropboxError)
	}
	b.WriteString(")")
	return b.String()
}

// connectionPath is the API path of connection id, with more appended.
func connectionPath(id string, more ...string) string {
	return "/v1/connections/" + url.PathEscape(id) + strings.Join(more, "")
}

// request is one call of the API.
type request struct {
	method string
	path   string     // under the base URL, as "/v1/connections"
	query  url.Values // may be nil
	header http.Header
	body   io.Reader // nil: none
	size   int64     // the body's size; -1: unknown (chunked)
}

// do sends r and returns the response when its status is 2xx or 3xx, else
// the answer's problem as a *problemError. The caller closes the body.
func (c *apiClient) do(ctx context.Context, r request) (*http.Response, error) {
	u := c.base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, r.body)
	if err != nil {
		return nil, fmt.Errorf("make the request: %w", err)
	}
	if r.body != nil {
		req.ContentLength = r.size
		if req.ContentLength == 0 {
			req.Body = http.NoBody
		}
	}
	for k, vs := range r.header {
		req.Header[k] = vs
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("User-Agent", "dropbridge-cli")
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // the URL is said below, without the query
		}
		return nil, fmt.Errorf("cannot reach the dropbridge service at %s (%w): start it (dropbridge serve, or dropbridge dev) or point --server or DROPBRIDGE_SERVER at it", c.base, err)
	}
	if resp.StatusCode < 400 {
		return resp, nil
	}
	defer resp.Body.Close()
	return nil, readProblem(resp)
}

// readProblem reads the problem of an error answer; an answer that is
// not a problem (a proxy's page) is described by its status and start.
func readProblem(resp *http.Response) error {
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return fmt.Errorf("read the service's %s answer: %w", resp.Status, err)
	}
	p := &problemError{}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if (ct == "application/problem+json" || ct == "application/json") && json.Unmarshal(body, &p.Problem) == nil && p.Detail != "" {
		p.Status = resp.StatusCode
		return p
	}
	text := strings.Join(strings.Fields(string(body)), " ")
	if len(text) > 200 {
		text = text[:200] + "…"
	}
	if text == "" {
		text = "no details"
	}
	return fmt.Errorf("the service answered %s, not an API answer (is --server the dropbridge service?): %s", resp.Status, text)
}

// getJSON GETs path with query and decodes the JSON answer into out.
func (c *apiClient) getJSON(ctx context.Context, path string, query url.Values, out any) error {
	resp, err := c.do(ctx, request{method: http.MethodGet, path: path, query: query})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return decodeJSON(resp, out)
}

// sendJSON sends in as a JSON body (none if nil) with method and decodes
// the JSON answer into out (if not nil).
func (c *apiClient) sendJSON(ctx context.Context, method, path string, in, out any) error {
	_, err := c.sendJSONStatus(ctx, method, path, in, out)
	return err
}

// sendJSONStatus is sendJSON that also returns the answer's status.
func (c *apiClient) sendJSONStatus(ctx context.Context, method, path string, in, out any) (int, error) {
	r := request{method: method, path: path}
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, fmt.Errorf("encode the request: %w", err)
		}
		r.body, r.size = bytes.NewReader(b), int64(len(b))
		r.header = http.Header{"Content-Type": {"application/json"}}
	}
	resp, err := c.do(ctx, r)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if out == nil || resp.StatusCode == http.StatusNoContent {
		_, err := io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, err
	}
	return resp.StatusCode, decodeJSON(resp, out)
}

// decodeJSON decodes a JSON answer into out.
func decodeJSON(resp *http.Response, out any) error {
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("read the answer of %s %s: %w", resp.Request.Method, resp.Request.URL.Path, err)
	}
	return nil
}

// page is a page of a listing of the API.
type page[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"next_cursor"`
}

// listAll GETs every page of the listing at path, first with query, then
// with each page's next_cursor, and calls fn with each item.
func listAll[T any](ctx context.Context, c *apiClient, path string, query url.Values, fn func(T) error) error {
	q := url.Values{}
	for k, vs := range query {
		q[k] = vs
	}
	for {
		var p page[T]
		if err := c.getJSON(ctx, path, q, &p); err != nil {
			return err
		}
		for _, item := range p.Data {
			if err := fn(item); err != nil {
				return err
			}
		}
		if p.NextCursor == "" {
			return nil
		}
		q.Set("cursor", p.NextCursor)
	}
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
