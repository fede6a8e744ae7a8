package dropboxemu_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"

	"github.com/dropbridge/dropbridge/dropboxemu"
	"github.com/dropbridge/dropbridge/dropboxtest"
)

// hookPost is one notification a hookReceiver got.
type hookPost struct {
	body      []byte
	signature string
	ctype     string
	at        time.Time
}

// hookReceiver is an app's webhook endpoint: it answers the challenge as
// told and records notifications, answering them with statuses in turn
// (the last one repeats).
type hookReceiver struct {
	srv   *httptest.Server
	posts chan hookPost

	mu         sync.Mutex
	statuses   []int
	challenges []string
	echo       func(challenge string) (int, string)
}

func newHookReceiver(t *testing.T, statuses ...int) *hookReceiver {
	t.Helper()
	h := &hookReceiver{posts: make(chan hookPost, 100), statuses: statuses,
		echo: func(c string) (int, string) { return 200, c }}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		defer h.mu.Unlock()
		if r.Method == http.MethodGet {
			c := r.URL.Query().Get("challenge")
			h.challenges = append(h.challenges, c)
			status, body := h.echo(c)
			w.Header().Set("Content-Type", "text/plain")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			w.WriteHeader(status)
			io.WriteString(w, body)
			return
		}
		b, _ := io.ReadAll(r.Body)
		status := 200
		if len(h.statuses) > 0 {
			status = h.statuses[0]
			if len(h.statuses) > 1 {
				h.statuses = h.statuses[1:]
			}
		}
		h.posts <- hookPost{body: b, signature: r.Header.Get("X-Dropbox-Signature"), ctype: r.Header.Get("Content-Type"), at: time.Now()}
		w.WriteHeader(status)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// answerChallenge sets how the receiver answers the challenge.
func (h *hookReceiver) answerChallenge(f func(challenge string) (int, string)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.echo = f
}

// next waits for the next notification.
func (h *hookReceiver) next(t *testing.T) hookPost {
	t.Helper()
	select {
	case p := <-h.posts:
		return p
	case <-time.After(10 * time.Second):
		t.Fatal("no webhook notification within 10s")
	case <-t.Context().Done():
		t.Fatal("test ended")
	}
	return hookPost{}
}

// hookBody is a notification body.
type hookBody struct {
	ListFolder struct {
		Accounts []string `json:"accounts"`
	} `json:"list_folder"`
	Delta struct {
		Users []uint64 `json:"users"`
	} `json:"delta"`
}

// check verifies the signature of p with secret and decodes its body.
func (p hookPost) check(t *testing.T, secret string) hookBody {
	t.Helper()
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(p.body)
	if want := hex.EncodeToString(m.Sum(nil)); !hmac.Equal([]byte(p.signature), []byte(want)) {
		t.Errorf("X-Dropbox-Signature = %q, want hex HMAC-SHA256 of the body with the app secret (%s)", p.signature, want)
	}
	if p.ctype != "application/json" {
		t.Errorf("Content-Type = %q", p.ctype)
	}
	var b hookBody
	dec := json.NewDecoder(strings.NewReader(string(p.body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		t.Fatalf("notification body %s: %v", p.body, err)
	}
	return b
}

// hookDelivery is one entry of GET /_emulator/webhooks.
type hookDelivery struct {
	ID        int      `json:"id"`
	AppKey    string   `json:"app_key"`
	URI       string   `json:"uri"`
	Accounts  []string `json:"accounts"`
	Signature string   `json:"signature"`
	Attempts  int      `json:"attempts"`
	Status    int      `json:"status"`
	Error     string   `json:"error"`
	Delivered bool     `json:"delivered"`
	GaveUp    bool     `json:"gave_up"`
}

func hookDeliveries(t *testing.T, emu *dropboxtest.Emulator) []hookDelivery {
	t.Helper()
	var out struct {
		Deliveries []hookDelivery `json:"deliveries"`
	}
	emu.Admin(t, http.MethodGet, "/_emulator/webhooks", nil, &out)
	return out.Deliveries
}

// hookWaitUntil polls cond until it holds, for state the emulator updates
// after the receiver has answered.
func hookWaitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(10 * time.Second)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		case <-t.Context().Done():
			t.Fatal("test ended")
		}
	}
}

// hookUpload uploads a file whose content is its path, which changes the
// account and so sets off a webhook.
func hookUpload(t *testing.T, emu *dropboxtest.Emulator, token, path string) {
	t.Helper()
	ok(t, emu, rawCall{Route: "files/upload", Style: "upload", Token: token, Arg: map[string]any{"path": path}, Body: []byte(path)})
}

func TestWebhookVerification(t *testing.T) {
	t.Parallel()
	good := newHookReceiver(t)
	wrong := newHookReceiver(t)
	wrong.answerChallenge(func(string) (int, string) { return 200, "hello" })
	failing := newHookReceiver(t)
	failing.answerChallenge(func(c string) (int, string) { return 500, c })
	emu := dropboxtest.NewEmulator(t)

	emu.CreateApp(t, dropboxtest.AppArg{AppKey: "good", AppSecret: "s", RedirectURIs: []string{}, WebhookURI: good.srv.URL + "/hook?x=1"})
	good.mu.Lock()
	if len(good.challenges) != 1 || len(good.challenges[0]) < 16 {
		t.Errorf("challenges = %q, want one random challenge", good.challenges)
	}
	good.mu.Unlock()
	for _, tt := range []struct{ name, uri, want string }{
		{"not echoed", wrong.srv.URL, "challenge was not echoed"},
		{"answered 500", failing.srv.URL, "status 500"},
		{"not listening", "http://127.0.0.1:9/hook", "challenge request failed"},
		{"not a URL", "hook", "absolute http or https URL"},
	} {
		err := emu.AdminErr(http.MethodPost, "/_emulator/apps", dropboxtest.AppArg{AppKey: "bad", AppSecret: "s", WebhookURI: tt.uri}, nil)
		if err == nil || !strings.Contains(err.Error(), ": 400 ") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want 400 saying %q", tt.name, err, tt.want)
		}
	}
	var apps struct {
		Apps []struct {
			Key        string `json:"app_key"`
			WebhookURI string `json:"webhook_uri"`
		} `json:"apps"`
	}
	emu.Admin(t, http.MethodGet, "/_emulator/apps", nil, &apps)
	if len(apps.Apps) != 1 || apps.Apps[0].Key != "good" || apps.Apps[0].WebhookURI != good.srv.URL+"/hook?x=1" {
		t.Errorf("apps = %+v, want only the verified one", apps.Apps)
	}
}

func TestWebhookNotifiesAuthorizedAccounts(t *testing.T) {
	t.Parallel()
	recv := newHookReceiver(t)
	emu := dropboxtest.NewEmulator(t, dropboxtest.WithOptions(func(o *dropboxemu.Options) {
		o.WebhookDelay = 300 * time.Millisecond // long enough to batch the uploads below
	}))
	const secret = "hook-secret"
	emu.CreateApp(t, dropboxtest.AppArg{AppKey: "hookapp", AppSecret: secret, RedirectURIs: []string{oauthRedirect}, WebhookURI: recv.srv.URL})
	grace := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "grace@example.com", AppKey: "hookapp"})
	bob := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "bob@example.com"}) // never authorised hookapp
	ada := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@example.com"})
	// Ada authorises the app through OAuth.
	conf := &oauth2.Config{ClientID: "hookapp", ClientSecret: secret, RedirectURL: oauthRedirect,
		Endpoint: oauth2.Endpoint{AuthURL: emu.URL + "/oauth2/authorize", TokenURL: emu.URL + "/oauth2/token"}}
	q := oauthRedirectParams(t, oauthDecide(t, emu, conf.AuthCodeURL("s"), url.Values{"account_id": {ada.AccountID}}))
	adaTok, err := conf.Exchange(t.Context(), q.Get("code"))
	if err != nil {
		t.Fatal(err)
	}

	hookUpload(t, emu, grace.AccessToken, "/one.txt")
	hookUpload(t, emu, bob.AccessToken, "/bob.txt")
	hookUpload(t, emu, grace.AccessToken, "/two.txt")
	hookUpload(t, emu, adaTok.AccessToken, "/ada.txt")
	hookUpload(t, emu, grace.AccessToken, "/three.txt")

	// One notification for all of it, naming both authorised accounts.
	got := recv.next(t).check(t, secret)
	pairs := map[string]uint64{grace.AccountID: grace.UID, ada.AccountID: ada.UID}
	wantAccounts := slices.Sorted(func(yield func(string) bool) {
		for a := range pairs {
			if !yield(a) {
				return
			}
		}
	})
	if diff := cmp.Diff(wantAccounts, got.ListFolder.Accounts); diff != "" {
		t.Errorf("list_folder.accounts (-want +got):\n%s", diff)
	}
	var wantUsers []uint64
	for _, a := range wantAccounts {
		wantUsers = append(wantUsers, pairs[a])
	}
	if diff := cmp.Diff(wantUsers, got.Delta.Users); diff != "" {
		t.Errorf("delta.users (-want +got):\n%s", diff)
	}

	// A later change is a new notification, for that account only.
	hookUpload(t, emu, grace.AccessToken, "/four.txt")
	got = recv.next(t).check(t, secret)
	if !slices.Equal(got.ListFolder.Accounts, []string{grace.AccountID}) || !slices.Equal(got.Delta.Users, []uint64{grace.UID}) {
		t.Errorf("second notification = %+v, want grace only", got)
	}

	var ds []hookDelivery
	hookWaitUntil(t, "two delivered notifications", func() bool {
		ds = hookDeliveries(t, emu)
		return len(ds) == 2 && ds[0].Delivered && ds[1].Delivered
	})
	for _, d := range ds {
		if d.AppKey != "hookapp" || d.URI != recv.srv.URL || d.Attempts != 1 || d.Status != 200 || d.GaveUp || d.Error != "" {
			t.Errorf("delivery = %+v", d)
		}
	}
	if slices.Contains(ds[0].Accounts, bob.AccountID) {
		t.Errorf("bob, who never authorised the app, was notified")
	}
}

func TestWebhookRetriesWithBackoff(t *testing.T) {
	t.Parallel()
	recv := newHookReceiver(t, 500, 503, 200)
	emu := dropboxtest.NewEmulator(t, dropboxtest.WithOptions(func(o *dropboxemu.Options) { o.WebhookDelay = time.Millisecond }))
	emu.Server.SetWebhookRetry(dropboxemu.WebhookRetry{FirstBackoff: 20 * time.Millisecond, MaxBackoff: time.Second, GiveUpAfter: time.Minute})
	emu.CreateApp(t, dropboxtest.AppArg{AppKey: "hookapp", AppSecret: "sec", RedirectURIs: []string{}, WebhookURI: recv.srv.URL})
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "grace@example.com", AppKey: "hookapp"})
	hookUpload(t, emu, acct.AccessToken, "/a.txt")

	posts := []hookPost{recv.next(t), recv.next(t), recv.next(t)}
	for i, p := range posts {
		b := p.check(t, "sec")
		if !slices.Equal(b.ListFolder.Accounts, []string{acct.AccountID}) || string(p.body) != string(posts[0].body) {
			t.Errorf("attempt %d body = %s", i+1, p.body)
		}
	}
	// The waits double: at least 20ms, then 40ms.
	if d1, d2 := posts[1].at.Sub(posts[0].at), posts[2].at.Sub(posts[1].at); d1 < 20*time.Millisecond || d2 < 40*time.Millisecond {
		t.Errorf("waits between attempts %v, %v; want >= 20ms, >= 40ms", d1, d2)
	}
	var ds []hookDelivery
	hookWaitUntil(t, "the delivery to be marked delivered", func() bool {
		ds = hookDeliveries(t, emu)
		return len(ds) == 1 && ds[0].Delivered
	})
	if d := ds[0]; d.Attempts != 3 || d.Status != 200 || d.GaveUp {
		t.Errorf("delivery = %+v, want 3 attempts ending in 200", d)
	}
}

func TestWebhookGivesUp(t *testing.T) {
	t.Parallel()
	recv := newHookReceiver(t, 500)
	emu := dropboxtest.NewEmulator(t, dropboxtest.WithOptions(func(o *dropboxemu.Options) { o.WebhookDelay = time.Millisecond }))
	emu.Server.SetWebhookRetry(dropboxemu.WebhookRetry{FirstBackoff: 5 * time.Millisecond, MaxBackoff: 10 * time.Millisecond, GiveUpAfter: 300 * time.Millisecond})
	emu.CreateApp(t, dropboxtest.AppArg{AppKey: "hookapp", AppSecret: "sec", RedirectURIs: []string{}, WebhookURI: recv.srv.URL})
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "grace@example.com", AppKey: "hookapp"})
	hookUpload(t, emu, acct.AccessToken, "/a.txt")

	var ds []hookDelivery
	hookWaitUntil(t, "the delivery to be given up", func() bool {
		ds = hookDeliveries(t, emu)
		return len(ds) == 1 && ds[0].GaveUp
	})
	if d := ds[0]; d.Delivered || d.Status != 500 || d.Attempts < 3 {
		t.Errorf("delivery = %+v, want several attempts, all 500, given up", d)
	}
	if n := len(recv.posts); n != ds[0].Attempts {
		t.Errorf("receiver got %d posts, delivery says %d attempts", n, ds[0].Attempts)
	}
}
