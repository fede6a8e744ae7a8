package connect

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/dropbox"
)

// Endpoints are the base URLs of Dropbox's hosts. An empty field means
// Dropbox's own host; an emulator serves all four on one URL (SingleHost).
type Endpoints struct {
	// API is api.dropboxapi.com: RPC routes and the OAuth token endpoint.
	API string
	// Content is content.dropboxapi.com: uploads and downloads.
	Content string
	// Notify is notify.dropboxapi.com: long-polls.
	Notify string
	// WWW is www.dropbox.com: the OAuth authorize page end users open.
	WWW string
}

// Dropbox's own base URLs.
const (
	DropboxAPI     = "https://api.dropboxapi.com"
	DropboxContent = "https://content.dropboxapi.com"
	DropboxNotify  = "https://notify.dropboxapi.com"
	DropboxWWW     = "https://www.dropbox.com"
)

// SingleHost returns Endpoints that send every Dropbox host to base, as
// the emulator serves them: "http://127.0.0.1:8787".
func SingleHost(base string) Endpoints {
	return Endpoints{API: base, Content: base, Notify: base, WWW: base}
}

// Validate returns an EINVALID error unless every set URL is an absolute
// http or https URL without a query.
func (e Endpoints) Validate() error {
	for _, f := range []struct{ name, v string }{{"API", e.API}, {"content", e.Content}, {"notify", e.Notify}, {"www", e.WWW}} {
		if f.v == "" {
			continue
		}
		u, err := url.Parse(f.v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
			return dropbridge.Errorf(dropbridge.EINVALID, "The Dropbox %s URL %q must be an absolute http or https URL such as %s.", f.name, f.v, DropboxAPI)
		}
	}
	return nil
}

// resolved returns e with Dropbox's hosts in the empty fields and no
// trailing slashes.
func (e Endpoints) resolved() Endpoints {
	pick := func(v, def string) string {
		if v == "" {
			return def
		}
		return strings.TrimRight(v, "/")
	}
	return Endpoints{API: pick(e.API, DropboxAPI), Content: pick(e.Content, DropboxContent),
		Notify: pick(e.Notify, DropboxNotify), WWW: pick(e.WWW, DropboxWWW)}
}

// oauthEndpoint is Dropbox's OAuth 2.0 endpoint at e.
func (e Endpoints) oauthEndpoint() oauth2.Endpoint {
	r := e.resolved()
	return oauth2.Endpoint{
		AuthURL:   r.WWW + "/oauth2/authorize",
		TokenURL:  r.API + "/oauth2/token",
		AuthStyle: oauth2.AuthStyleInHeader,
	}
}

// clientOptions returns the options that point a dropbox.Client at e, over
// hc.
func (e Endpoints) clientOptions(hc *http.Client) []dropbox.Option {
	r := e.resolved()
	switch {
	case r.API == DropboxAPI && r.Content == DropboxContent && r.Notify == DropboxNotify:
		return []dropbox.Option{dropbox.WithHTTPClient(hc)}
	case r.API == r.Content && r.API == r.Notify:
		return []dropbox.Option{dropbox.WithHTTPClient(hc), dropbox.WithBaseURL(r.API)}
	}
	// The client knows one base URL for all hosts: send each host's
	// requests on to its own.
	rw := &hostRewriter{next: hc.Transport, to: map[string]*url.URL{}}
	for host, base := range map[string]string{"api.dropboxapi.com": r.API, "content.dropboxapi.com": r.Content, "notify.dropboxapi.com": r.Notify} {
		u, err := url.Parse(base)
		if err != nil {
			panic(fmt.Sprintf("connect: Dropbox URL %q: %v (call Endpoints.Validate first)", base, err))
		}
		rw.to[host] = u
	}
	if rw.next == nil {
		rw.next = http.DefaultTransport
	}
	c := *hc
	c.Transport = rw
	return []dropbox.Option{dropbox.WithHTTPClient(&c)}
}

// hostRewriter sends requests for Dropbox's hosts to other base URLs.
type hostRewriter struct {
	next http.RoundTripper
	to   map[string]*url.URL // Dropbox host -> base URL
}

// RoundTrip implements http.RoundTripper.
func (h *hostRewriter) RoundTrip(r *http.Request) (*http.Response, error) {
	base, ok := h.to[r.URL.Host]
	if !ok {
		return h.next.RoundTrip(r)
	}
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host = base.Scheme, base.Host
	r.URL.Path = strings.TrimRight(base.Path, "/") + r.URL.Path
	r.URL.RawPath = ""
	r.Host = ""
	return h.next.RoundTrip(r)
}
