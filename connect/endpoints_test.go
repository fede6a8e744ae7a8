package connect

import (
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/dropboxtest"
)

// hostLog records the host of every request it sends on.
type hostLog struct {
	mu    sync.Mutex
	hosts []string
}

func (h *hostLog) RoundTrip(r *http.Request) (*http.Response, error) {
	h.mu.Lock()
	h.hosts = append(h.hosts, r.URL.Host)
	h.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func TestEndpointsSendEachHostToItsURL(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t)
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@example.com"})
	u, err := url.Parse(emu.URL)
	if err != nil {
		t.Fatal(err)
	}
	// One emulator, reached under two names: API calls on one, content on
	// the other.
	apiURL := "http://127.0.0.1:" + u.Port()
	contentURL := "http://localhost:" + u.Port()
	e := Endpoints{API: apiURL, Content: contentURL, Notify: apiURL, WWW: apiURL}
	if err := e.Validate(); err != nil {
		t.Fatal(err)
	}
	log := &hostLog{}
	c := dropbox.New(append(e.clientOptions(&http.Client{Transport: log}), dropbox.WithToken(acct.AccessToken))...)
	if _, err := c.Files.Upload(t.Context(), &dropbox.UploadArg{Path: "/a.txt"}, strings.NewReader("hello")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Users.GetCurrentAccount(t.Context()); err != nil {
		t.Fatal(err)
	}
	_, body, err := c.Files.Download(t.Context(), &dropbox.DownloadArg{Path: "/a.txt"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(body)
	body.Close()
	if err != nil || string(b) != "hello" {
		t.Errorf("downloaded %q, %v", b, err)
	}
	want := []string{"localhost:" + u.Port(), "127.0.0.1:" + u.Port(), "localhost:" + u.Port()}
	if !slices.Equal(log.hosts, want) {
		t.Errorf("hosts %v, want %v", log.hosts, want)
	}
}

func TestEndpointsValidate(t *testing.T) {
	t.Parallel()
	for _, e := range []Endpoints{{API: "api.dropboxapi.com"}, {Content: "ftp://x"}, {WWW: "https://www.dropbox.com?x=1"}} {
		if err := e.Validate(); err == nil {
			t.Errorf("%+v: no error", e)
		}
	}
	if err := (Endpoints{}).Validate(); err != nil {
		t.Errorf("zero endpoints: %v", err)
	}
	if got := (Endpoints{}).oauthEndpoint(); got.AuthURL != DropboxWWW+"/oauth2/authorize" || got.TokenURL != DropboxAPI+"/oauth2/token" {
		t.Errorf("Dropbox's OAuth endpoint = %+v", got)
	}
}
