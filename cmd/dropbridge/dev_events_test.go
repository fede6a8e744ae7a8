package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/httpapi"
	"github.com/dropbridge/dropbridge/webhooks"
)

// TestDevEvents follows changes through dropbridge dev end to end: a file
// written through the API and a folder made at Dropbox directly (the
// emulator) become events, signed and delivered to a webhook endpoint in
// order, with the origin that tells them apart, and in the pull feed.
func TestDevEvents(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	dev := startCmd(t, "dev", "--data", data, "--listen", "127.0.0.1:0", "--emulator-listen", "127.0.0.1:0")
	r := &e2eRun{t: t, data: data}
	r.emu = dev.line(t, "Dropbox emulator: ")
	r.base = strings.TrimSuffix(dev.line(t, "API base URL: "), "/v1")
	r.key = dev.line(t, "API key: ")
	link := dev.line(t, "Connect link: ")

	// A subscriber that checks each delivery's signature.
	var (
		mu       sync.Mutex
		secret   dropbridge.Secret
		received []httpapi.Event
		bad      []string
		arrived  = make(chan struct{}, 100)
	)
	sub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		mu.Lock()
		defer mu.Unlock()
		if err := webhooks.Verify(req.Header, body, []dropbridge.Secret{secret}, time.Now(), 5*time.Minute); err != nil {
			bad = append(bad, err.Error())
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		var e httpapi.Event
		if err := json.Unmarshal(body, &e); err != nil || e.ID != req.Header.Get(webhooks.HeaderID) {
			bad = append(bad, "body "+string(body))
		}
		received = append(received, e)
		arrived <- struct{}{}
	}))
	t.Cleanup(sub.Close)
	var ep struct {
		httpapi.WebhookEndpoint
		Secret string `json:"secret"`
	}
	mu.Lock()
	r.must(http.StatusCreated, http.MethodPost, "/v1/webhook-endpoints", map[string]any{"url": sub.URL}, &ep)
	secret = dropbridge.Secret(ep.Secret)
	mu.Unlock()

	r.connect(link, devDemoEmail)
	demo := r.connection(devExternalUserID)
	conn := "/v1/connections/" + demo.ID
	// The first listing is the starting state: it makes no events. Wait
	// for it (its cursor stored without the mark of a first listing), so
	// that what follows are changes.
	waitFor(t, "the first listing", func() bool { return r.listed(demo) })

	// A write through dropbridge: origin api.
	note := []byte("written through dropbridge\n")
	r.must(http.StatusOK, http.MethodPut, conn+"/files/content?path=/Inbox/note.txt", e2eBytes{bytes.NewReader(note), int64(len(note))}, nil)
	// A change at Dropbox itself, with the connection's own token: origin dropbox.
	tok := r.storedTokens(demo)[demo.ID][0]
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, r.emu+"/2/files/create_folder_v2", strings.NewReader(`{"path":"/Made at Dropbox"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("create_folder_v2 at the emulator: %v %v", resp, err)
	}
	resp.Body.Close()

	want := map[string]string{"file.created /inbox/note.txt": "api", "folder.created /made at dropbox": "dropbox"}
	seen := func() map[string]string {
		mu.Lock()
		defer mu.Unlock()
		got := map[string]string{}
		for _, e := range received {
			var obj struct {
				PathLower string `json:"path_lower"`
			}
			json.Unmarshal(e.After, &obj)
			if e.ConnectionID == demo.ID {
				got[e.Type+" "+obj.PathLower] = e.Origin
			}
		}
		return got
	}
	deadline := time.After(30 * time.Second)
	for {
		got := seen()
		done := true
		for k, origin := range want {
			if got[k] != origin {
				done = false
			}
		}
		if done {
			break
		}
		select {
		case <-arrived:
		case <-deadline:
			t.Fatalf("after 30 s the subscriber has %v, want %v among them", got, want)
		}
	}
	mu.Lock()
	if len(bad) > 0 {
		t.Errorf("deliveries refused by the subscriber: %v", bad)
	}
	// In the order the feed has them, each once.
	var feed struct {
		Data []httpapi.Event `json:"data"`
	}
	r.must(http.StatusOK, http.MethodGet, "/v1/events?connection_id="+demo.ID, nil, &feed)
	var feedIDs, gotIDs []string
	for _, e := range feed.Data {
		feedIDs = append(feedIDs, e.ID)
	}
	for _, e := range received {
		if e.ConnectionID == demo.ID {
			gotIDs = append(gotIDs, e.ID)
		}
	}
	mu.Unlock()
	if strings.Join(gotIDs, " ") != strings.Join(feedIDs[:len(gotIDs)], " ") {
		t.Errorf("delivered %v, the feed has %v", gotIDs, feedIDs)
	}
}

// waitFor polls cond until it holds, for at most 30 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen in 30 s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// listed reports whether the first listing of the connection's files is
// stored, read from the database beside the running service.
func (r *e2eRun) listed(c httpapi.Connection) bool {
	r.t.Helper()
	keys, err := devKeyring(r.data)
	if err != nil {
		r.t.Fatal(err)
	}
	store, err := openStore(r.t.Context(), "sqlite:"+filepath.Join(r.data, "dropbridge.db"), keys)
	if err != nil {
		r.t.Fatal(err)
	}
	defer store.Close()
	env, err := store.FindEnvironmentByName(r.t.Context(), devEnvironment)
	if err != nil {
		r.t.Fatal(err)
	}
	cur, err := store.FindMirrorCursor(r.t.Context(), env.ID, c.ID, dropbridge.MirrorFiles)
	if dropbridge.ErrorCode(err) == dropbridge.ENOTFOUND {
		return false
	} else if err != nil {
		r.t.Fatal(err)
	}
	return cur.Cursor != "" && !strings.HasPrefix(cur.Cursor, "initial:")
}
