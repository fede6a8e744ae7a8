package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/events"
	"github.com/dropbridge/dropbridge/webhooks"
)

func TestWebhooksCmd(t *testing.T) {
	t.Parallel()
	s, err := startScriptService(t)
	if err != nil {
		t.Fatal(err)
	}
	var status atomic.Int64
	status.Store(http.StatusInternalServerError)
	var verified atomic.Int64
	var secret atomic.Value
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if s, ok := secret.Load().(string); ok {
			if webhooks.Verify(r.Header, body, []dropbridge.Secret{dropbridge.Secret(s)}, time.Now(), webhooks.DefaultTolerance) == nil {
				verified.Add(1)
			}
		}
		w.WriteHeader(int(status.Load()))
	}))
	t.Cleanup(hook.Close)
	run := func(args ...string) (string, string) {
		t.Helper()
		out, errOut, err := runCmd(t, append(append([]string{"webhooks"}, args...), s.clientArgs(s.key)...)...)
		if err != nil {
			t.Fatalf("webhooks %s: %v\n%s", strings.Join(args, " "), err, errOut)
		}
		return out, errOut
	}

	out, errOut := run("create", "--url", hook.URL, "--type", "file.created,file.deleted", "--connection", s.conn)
	sec := strings.TrimSpace(out)
	if _, err := webhooks.ParseSecret(dropbridge.Secret(sec)); err != nil || strings.Count(out, "\n") != 1 {
		t.Fatalf("create printed %q, want the secret alone", out)
	}
	secret.Store(sec)
	if !strings.Contains(errOut, "Created webhook endpoint we_") || !strings.Contains(errOut, "not shown again") {
		t.Errorf("create said %q", errOut)
	}
	ep := strings.Fields(strings.TrimPrefix(errOut, "Created webhook endpoint "))[0]

	out, _ = run("list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "ID ") || !strings.Contains(lines[1], ep) ||
		!strings.Contains(lines[1], "file.created,file.deleted") || !strings.Contains(lines[1], s.conn) || strings.Contains(out, sec) {
		t.Errorf("list printed:\n%s", out)
	}

	// A delivery that fails, as the deliverer sends it.
	ids := s.fileEvents(t, "/Hooked.txt")
	d, err := events.NewDeliverer(events.DelivererConfig{Store: s.store})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := d.RunOnce(t.Context()); err != nil || n != 1 {
		t.Fatalf("RunOnce: %d, %v", n, err)
	}
	out, _ = run("deliveries", ep)
	lines = strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], ids[0]) || !strings.Contains(lines[1], " pending ") {
		t.Fatalf("deliveries printed:\n%s", out)
	}
	dlv := strings.Fields(lines[1])[0]
	out, _ = run("deliveries", ep, dlv)
	if !strings.Contains(out, "status:        pending") || !strings.Contains(out, "500") ||
		!strings.Contains(out, "The endpoint answered 500") {
		t.Errorf("delivery printed:\n%s", out)
	}
	out, _ = run("deliveries", ep, "--status", "dead")
	if strings.Contains(out, dlv) {
		t.Errorf("dead letters hold a pending delivery:\n%s", out)
	}

	// Replay sends it now, signed with the secret shown at create.
	status.Store(http.StatusOK)
	out, _ = run("replay", ep, "--event", ids[0])
	if !strings.Contains(out, "Replaying 1 deliveries") {
		t.Errorf("replay printed %q", out)
	}
	if n, err := d.RunOnce(t.Context()); err != nil || n != 1 {
		t.Fatalf("RunOnce after the replay: %d, %v", n, err)
	}
	if verified.Load() != 2 {
		t.Errorf("%d deliveries verified with the secret, want 2", verified.Load())
	}
	out, _ = run("replay", ep, "--since", "1h", "--status", "dead")
	if !strings.Contains(out, "Replaying 0 deliveries") {
		t.Errorf("replay of no dead letters printed %q", out)
	}
	if _, _, err := runCmd(t, append([]string{"webhooks", "replay", ep}, s.clientArgs(s.key)...)...); err == nil {
		t.Error("replay of nothing in particular succeeded")
	}

	// Other environments see nothing of it.
	if _, _, err := runCmd(t, append([]string{"webhooks", "deliveries", ep}, s.clientArgs(s.otherKey)...)...); err == nil ||
		!strings.Contains(err.Error(), "404") {
		t.Errorf("other environment's deliveries: %v", err)
	}
	out, _ = run("delete", ep)
	if !strings.Contains(out, "Deleted webhook endpoint "+ep) {
		t.Errorf("delete printed %q", out)
	}
	out, _ = run("list", "--json")
	if strings.TrimSpace(out) != "[]" {
		t.Errorf("list after delete: %s", out)
	}
	if _, _, err := runCmd(t, append([]string{"webhooks", "create", "--url", "ftp://x"}, s.clientArgs(s.key)...)...); err == nil ||
		!strings.Contains(err.Error(), "422") {
		t.Errorf("create with a bad URL: %v", err)
	}
}
