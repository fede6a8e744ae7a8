package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"regexp"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/connect"
	"github.com/dropbridge/dropbridge/dropbox"
)

// The proxy: POST /v1/connections/{id}/proxy/2/{route} calls any Dropbox
// API v2 route through the connection, for what the API does not model.
// The request is the one Dropbox's documentation describes for the route,
// sent here instead of to Dropbox's host, with the API key in place of
// Dropbox's token; the service adds the connection's token (refreshed as
// needed), paces the call with the connection's other calls and retries
// it as the client does (rate limits; server errors and broken connections
// only for routes whose repetition cannot do harm).
//
// The style of call follows the request, as Dropbox's own clients make
// it: a Dropbox-API-Arg header (or arg URL parameter) with an
// application/octet-stream body is an upload, a Dropbox-API-Arg without
// one a download, anything else an RPC call whose body is the JSON
// argument. The dropbox client sends each route Dropbox's spec knows to
// its own host; other routes go to the API host (RPC) or the content host.
//
// Answers: Dropbox's result as Dropbox sent it (the JSON result of an RPC
// call; a download's bytes with Dropbox-API-Result), and Dropbox's refusals
// of the call itself in Dropbox's own shape, so that code written against
// Dropbox's documentation (or an SDK's error decoder) reads them: 409 with
// {"error_summary", "error"}, the route's error union, 400 with Dropbox's
// text, and 404 for a route Dropbox does not have. What concerns the
// connection or the service rather than the route (a connection that
// needs the user again, missing scopes, Dropbox's 403 and 422, rate
// limits and outages that outlast the service's retries, bad input caught
// here) comes as the problem details of every other operation, with the
// same types and Retry-After: a caller tells the two apart by
// Content-Type (application/problem+json).

// ProxyPath is the pattern of the proxy's path.
const ProxyPath = "/v1/connections/{id}/proxy/2/{route...}"

// maxProxyRPCBody is the largest JSON argument of an RPC call through the
// proxy.
const maxProxyRPCBody = 8 << 20

// proxyDescription documents the proxy in the OpenAPI description.
const proxyDescription = "Calls any Dropbox API v2 route through the connection, for what the API does not model: " +
	"send the request Dropbox's documentation (https://www.dropbox.com/developers/documentation/http/documentation) " +
	"describes for the route to this path instead of Dropbox's host, with your API key in place of Dropbox's token. " +
	"route is the route's name, slashes included (files/list_folder/continue). The service adds the connection's token, " +
	"paces the call with the connection's others and retries it as Dropbox advises.\n\n" +
	"- RPC routes: the JSON argument as the body; the answer is Dropbox's JSON result.\n" +
	"- Upload routes: the argument in the Dropbox-API-Arg header (or the arg URL parameter), the content as an " +
	"application/octet-stream body, streamed to Dropbox.\n" +
	"- Download routes: the argument in Dropbox-API-Arg (or arg); the answer streams the bytes, with Dropbox's " +
	"Dropbox-API-Result header. Range is not passed on: use the files resources for ranged downloads.\n\n" +
	"Dropbox-API-Path-Root is passed on. On a team connection, " + MemberHeader + " (or Dropbox-API-Select-User) acts " +
	"as a member and " + AdminHeader + " (or Dropbox-API-Select-Admin) as an admin. Without a path root, a team-space " +
	"member's calls see the team space, as everywhere in this API.\n\n" +
	"Dropbox's refusals of the call come back as Dropbox sent them: 409 with the route's error " +
	"(`{\"error_summary\": ..., \"error\": {...}}`), 400 with Dropbox's text and 404 for a route Dropbox does not have. Everything else, the connection's and the " +
	"service's problems and rate limits or outages that outlast the service's retries, comes as " +
	"application/problem+json, as elsewhere.\n\n" +
	"Idempotency-Key: a repeat of an RPC call or an upload within 24 hours with the same key, route, argument, Dropbox headers " +
	"(and body for RPC calls, Content-Length for uploads) gets the first successful answer again (Idempotent-Replayed: true) " +
	"without calling Dropbox; an upload's repeated bytes are read and thrown away. A failed call frees the key. " +
	"Downloads, which are reads, are answered afresh each time."

// proxyRoute is the form of a Dropbox route name: "files/list_folder",
// "files/upload_session/append_v2".
var proxyRoute = regexp.MustCompile(`^[a-z0-9_]+(/[a-z0-9_]+)+$`)

// knownRoutes are the routes the dropbox client knows from the spec.
var knownRoutes = func() map[string]bool {
	m := map[string]bool{}
	for _, r := range dropbox.Routes() {
		m[r] = true
	}
	return m
}()

type proxyInput struct {
	ID          string `path:"id"`
	Route       string `path:"route"`
	Arg         string `query:"arg"`
	APIArg      string `header:"Dropbox-API-Arg"`
	PathRoot    string `header:"Dropbox-API-Path-Root"`
	SelectUser  string `header:"Dropbox-API-Select-User"`
	SelectAdmin string `header:"Dropbox-API-Select-Admin"`
	Member      string `header:"X-Dropbridge-Member"`
	Admin       string `header:"X-Dropbridge-Admin"`
	ContentType string `header:"Content-Type"`

	body io.Reader // the request body, set by Resolve
}

// Resolve hands the proxy the request body, which huma leaves unread: the
// operation declares no Body field.
func (in *proxyInput) Resolve(ctx huma.Context) []error {
	in.body = ctx.BodyReader()
	return nil
}

type proxyOutput struct {
	Body func(huma.Context)
}

func (s *Server) registerProxy() {
	oapi := s.api.OpenAPI()
	oapi.Tags = append(oapi.Tags, &huma.Tag{Name: "Proxy", Description: "A pass-through to any Dropbox route, for what the API does not model."})
	huma.Register(s.api, huma.Operation{
		OperationID: "proxy",
		Method:      http.MethodPost,
		Path:        ProxyPath,
		Security:    bearer,
		Hidden:      true, // documented below: OpenAPI cannot say that {route} holds slashes
		Middlewares: huma.Middlewares{s.idempotentProxy},
	}, s.proxy)
	problem := &huma.MediaType{Schema: oapi.Components.Schemas.Schema(reflect.TypeFor[Problem](), true, "")}
	str := func(doc string) *huma.Schema { return &huma.Schema{Type: "string", Description: doc} }
	oapi.AddOperation(&huma.Operation{
		OperationID: "call-dropbox-route",
		Method:      http.MethodPost,
		Path:        "/v1/connections/{id}/proxy/2/{route}",
		Summary:     "Call any Dropbox route",
		Description: proxyDescription,
		Tags:        []string{"Proxy"},
		Security:    bearer,
		Parameters: []*huma.Param{
			{Name: "id", In: "path", Required: true, Description: "The connection's ID.", Schema: str("")},
			{Name: "route", In: "path", Required: true, Description: "The Dropbox route's name, slashes included (not escaped).", Schema: str(""), Example: "files/list_folder"},
			{Name: "arg", In: "query", Description: "Upload and download routes: the JSON argument, instead of Dropbox-API-Arg.", Schema: str("")},
			{Name: "Dropbox-API-Arg", In: "header", Description: "Upload and download routes: the JSON argument.", Schema: str("")},
			{Name: "Dropbox-API-Path-Root", In: "header", Description: "Passed on to Dropbox.", Schema: str("")},
			{Name: MemberHeader, In: "header", Description: "Team connections: act as this member (team_member_id).", Schema: str("")},
			{Name: AdminHeader, In: "header", Description: "Team connections: act as this admin (team_member_id).", Schema: str("")},
			{Name: "Idempotency-Key", In: "header", Description: "Makes an RPC call or an upload safe to repeat: see above.", Schema: str("")},
		},
		RequestBody: &huma.RequestBody{Description: "RPC routes: the JSON argument. Upload routes: the content.", Content: map[string]*huma.MediaType{
			"application/json":         {Schema: &huma.Schema{Description: "The route's argument."}},
			"application/octet-stream": {Schema: &huma.Schema{Type: "string", Format: "binary"}},
		}},
		Responses: map[string]*huma.Response{
			"200": {Description: "Dropbox's result: JSON for RPC and upload routes, the bytes for download routes.", Content: map[string]*huma.MediaType{
				"application/json":         {Schema: &huma.Schema{Description: "The route's result."}},
				"application/octet-stream": {Schema: &huma.Schema{Type: "string", Format: "binary"}},
			}, Headers: map[string]*huma.Param{"Dropbox-API-Result": {Description: "Download routes: the JSON result.", Schema: str("")}}},
			"400": {Description: "Dropbox refused the request as malformed: Dropbox's text.", Content: map[string]*huma.MediaType{"text/plain": {Schema: str("")}}},
			"404": {Description: "Dropbox has no such route: Dropbox's text.", Content: map[string]*huma.MediaType{"text/plain": {Schema: str("")}}},
			"409": {Description: "Dropbox's error of the route: error_summary and error.", Content: map[string]*huma.MediaType{"application/json": {Schema: &huma.Schema{
				Type: "object", Properties: map[string]*huma.Schema{"error_summary": str("For people; do not parse."), "error": {Description: "The route's error union."}},
			}}}},
			"default": {Description: "The connection's or the service's problem.", Content: map[string]*huma.MediaType{"application/problem+json": problem}},
		},
	})
}

// proxyCall is a call through the proxy, read from the request.
type proxyCall struct {
	style string          // rpc, upload or download
	arg   json.RawMessage // nil: none
}

// readProxyCall works out the style and argument of a proxied call, or
// returns an EINVALID error.
func readProxyCall(in *proxyInput) (proxyCall, error) {
	if in.APIArg != "" && in.Arg != "" {
		return proxyCall{}, dropbridge.Errorf(dropbridge.EINVALID, "Send the argument in Dropbox-API-Arg or in arg, not both.")
	}
	mediaType, _, _ := mime.ParseMediaType(in.ContentType)
	if arg := in.APIArg + in.Arg; arg != "" {
		if !json.Valid([]byte(arg)) {
			return proxyCall{}, dropbridge.Errorf(dropbridge.EINVALID, "Dropbox-API-Arg (or arg) must be the route's argument as JSON.")
		}
		style := "download"
		if mediaType == "application/octet-stream" {
			style = "upload"
		}
		return proxyCall{style: style, arg: json.RawMessage(arg)}, nil
	}
	if mediaType == "application/octet-stream" {
		return proxyCall{}, dropbridge.Errorf(dropbridge.EINVALID, "An upload needs its argument in Dropbox-API-Arg (or arg).")
	}
	b, err := io.ReadAll(io.LimitReader(in.body, maxProxyRPCBody+1))
	switch {
	case err != nil:
		return proxyCall{}, dropbridge.Errorf(dropbridge.EINVALID, "The request body could not be read: send it again.")
	case len(b) > maxProxyRPCBody:
		return proxyCall{}, dropbridge.Errorf(dropbridge.EINVALID, "The JSON argument is larger than %d MiB.", maxProxyRPCBody>>20)
	case len(bytes.TrimSpace(b)) == 0:
		return proxyCall{style: "rpc"}, nil
	case !json.Valid(b):
		return proxyCall{}, dropbridge.Errorf(dropbridge.EINVALID, "The body of an RPC call must be the route's argument as JSON; an upload needs Content-Type: application/octet-stream and Dropbox-API-Arg, a download Dropbox-API-Arg.")
	}
	return proxyCall{style: "rpc", arg: json.RawMessage(b)}, nil
}

// pathRootClient returns c with the path root of a Dropbox-API-Path-Root
// header, or an EINVALID error for one Dropbox would not read.
func pathRootClient(c *dropbox.Client, header string) (*dropbox.Client, error) {
	var pr struct {
		Tag         string `json:".tag"`
		Root        string `json:"root"`
		NamespaceID string `json:"namespace_id"`
	}
	err := json.Unmarshal([]byte(header), &pr)
	switch {
	case err == nil && pr.Tag == "home":
		return c.WithHome(), nil
	case err == nil && pr.Tag == "root" && pr.Root != "":
		return c.WithRoot(pr.Root), nil
	case err == nil && pr.Tag == "namespace_id" && pr.NamespaceID != "":
		return c.WithNamespace(pr.NamespaceID), nil
	}
	return nil, dropbridge.Errorf(dropbridge.EINVALID, `Dropbox-API-Path-Root must be {".tag": "home"}, {".tag": "root", "root": "<namespace id>"} or {".tag": "namespace_id", "namespace_id": "<namespace id>"}.`)
}

// actAs returns ctx acting as the member or admin that Dropbox's own
// select headers name, when the request has them.
func (in *proxyInput) actAs(ctx context.Context) (context.Context, error) {
	if in.SelectUser == "" && in.SelectAdmin == "" {
		return ctx, nil
	}
	if in.Member != "" || in.Admin != "" || in.SelectUser != "" && in.SelectAdmin != "" {
		return nil, dropbridge.Errorf(dropbridge.EINVALID, "Name one team member to act as, in one header: %s, %s, Dropbox-API-Select-User or Dropbox-API-Select-Admin.", MemberHeader, AdminHeader)
	}
	if !memberRef(in.SelectUser + in.SelectAdmin) {
		return nil, dropbridge.Errorf(dropbridge.EINVALID, "Name the team member to act as by its team_member_id (\"dbmid:...\") or account ID (\"dbid:...\").")
	}
	if in.SelectUser != "" {
		return connect.AsMember(ctx, in.SelectUser), nil
	}
	return connect.AsAdmin(ctx, in.SelectAdmin), nil
}

func (s *Server) proxy(ctx context.Context, in *proxyInput) (*proxyOutput, error) {
	if !proxyRoute.MatchString(in.Route) {
		return nil, s.fail(ctx, dropbridge.Errorf(dropbridge.ENOTFOUND, "%q is not the name of a Dropbox route: give one such as files/list_folder, as in Dropbox's documentation.", in.Route))
	}
	pc, err := readProxyCall(in)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	callCtx, err := in.actAs(ctx)
	if err != nil {
		return nil, s.fail(ctx, err)
	}
	var (
		result json.RawMessage
		stream io.ReadCloser
	)
	err = s.connect.Do(callCtx, environmentID(ctx), in.ID, func(ctx context.Context, c *dropbox.Client) error {
		if in.PathRoot != "" {
			var err error
			if c, err = pathRootClient(c, in.PathRoot); err != nil {
				return err
			}
		}
		var arg any
		if pc.arg != nil {
			arg = pc.arg
		}
		var err error
		switch {
		case pc.style == "upload":
			err = c.CallUpload(ctx, in.Route, arg, in.body, &result)
		case pc.style == "download":
			stream, err = c.CallDownload(ctx, in.Route, arg, &result, "")
		case knownRoutes[in.Route]:
			err = c.Call(ctx, in.Route, arg, &result)
		default:
			// A route the spec does not know might not bear repeating.
			err = c.CallOnce(ctx, in.Route, arg, &result)
		}
		return err
	})
	if err != nil {
		if out := dropboxRefusal(err); out != nil {
			return out, nil
		}
		return nil, s.fail(ctx, err)
	}
	if stream == nil {
		return &proxyOutput{Body: func(hc huma.Context) {
			hc.SetHeader("Content-Type", "application/json")
			hc.SetStatus(http.StatusOK)
			hc.BodyWriter().Write(result)
		}}, nil
	}
	return &proxyOutput{Body: func(hc huma.Context) {
		defer stream.Close()
		hc.SetHeader("Content-Type", "application/octet-stream")
		hc.SetHeader("X-Content-Type-Options", "nosniff")
		if len(result) > 0 {
			hc.SetHeader("Dropbox-API-Result", asciiJSON(result))
		}
		hc.SetStatus(http.StatusOK)
		buf := make([]byte, copyBuffer)
		if _, err := io.CopyBuffer(hc.BodyWriter(), stream, buf); err != nil {
			// The status is sent: break the connection, so that the
			// client sees the answer cut short.
			if ctx.Err() == nil {
				s.logger.WarnContext(ctx, "proxied download broke off", "connection", in.ID, "route", in.Route, "error", err)
			}
			panic(http.ErrAbortHandler)
		}
	}}, nil
}

// dropboxRefusal returns Dropbox's refusal of a proxied call in Dropbox's
// shape (409 with the route's error, 400 with Dropbox's text, 404 for a
// route Dropbox does not have), or nil for an error that is answered as a
// problem.
func dropboxRefusal(err error) *proxyOutput {
	var api *dropbox.APIError
	var bad *dropbox.BadInputError
	var server *dropbox.ServerError
	switch {
	case errors.As(err, &server) && server.Status == http.StatusNotFound:
		// No such route at Dropbox: not an outage, the caller's mistake.
		return &proxyOutput{Body: func(hc huma.Context) {
			hc.SetHeader("Content-Type", "text/plain; charset=utf-8")
			hc.SetHeader("X-Content-Type-Options", "nosniff")
			hc.SetStatus(http.StatusNotFound)
			io.WriteString(hc.BodyWriter(), server.Body)
		}}
	case errors.As(err, &api) && len(api.Body) > 0:
		body, merr := json.Marshal(struct {
			Summary string          `json:"error_summary"`
			Error   json.RawMessage `json:"error"`
		}{api.Summary, api.Body})
		if merr != nil {
			return nil
		}
		return &proxyOutput{Body: func(hc huma.Context) {
			hc.SetHeader("Content-Type", "application/json")
			hc.SetStatus(http.StatusConflict)
			hc.BodyWriter().Write(body)
		}}
	case errors.As(err, &bad):
		return &proxyOutput{Body: func(hc huma.Context) {
			hc.SetHeader("Content-Type", "text/plain; charset=utf-8")
			hc.SetHeader("X-Content-Type-Options", "nosniff")
			hc.SetStatus(http.StatusBadRequest)
			io.WriteString(hc.BodyWriter(), bad.Message)
		}}
	}
	return nil
}

// asciiJSON returns JSON compacted, with every character outside ASCII
// (and DEL) escaped as \uXXXX, as an HTTP header value must be and as
// Dropbox sends Dropbox-API-Result. Compact JSON holds no control
// characters: whitespace goes, and strings hold them escaped.
func asciiJSON(b []byte) string {
	var compact bytes.Buffer
	if json.Compact(&compact, b) == nil {
		b = compact.Bytes()
	}
	var sb strings.Builder
	for _, r := range string(b) {
		switch {
		case r < 0x7f:
			sb.WriteRune(r)
		case r > 0xffff:
			r -= 0x10000
			fmt.Fprintf(&sb, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
		default:
			fmt.Fprintf(&sb, `\u%04x`, r)
		}
	}
	return sb.String()
}
