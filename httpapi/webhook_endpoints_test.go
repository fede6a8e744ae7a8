package httpapi_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/events"
	"github.com/dropbridge/dropbridge/httpapi"
	"github.com/dropbridge/dropbridge/webhooks"
)

func TestWebhookEndpointsCRUD(t *testing.T) {
	t.Parallel()
	s := newService(t)
	alice, _ := s.connected("alice@example.com")

	var made httpapi.WebhookEndpointWithSecret
	s.must(http.StatusCreated, http.MethodPost, "/v1/webhook-endpoints", map[string]any{
		"url": "https://app.example.com/hooks", "description": "Files", "event_types": []string{"file.created", "file.deleted"},
		"connection_id": alice,
	}, &made)
	if _, err := webhooks.ParseSecret(dropbridge.Secret(made.Secret)); err != nil {
		t.Errorf("made secret: %v", err)
	}
	if !made.Enabled || made.ConnectionID != alice || !strings.HasPrefix(made.ID, dropbridge.WebhookEndpointIDPrefix) {
		t.Errorf("made: %+v", made.WebhookEndpoint)
	}
	// The secret is shown once.
	r := s.must(http.StatusOK, http.MethodGet, "/v1/webhook-endpoints/"+made.ID, nil, nil)
	if strings.Contains(string(r.body), made.Secret) || strings.Contains(string(r.body), `"secret"`) {
		t.Errorf("get shows the secret: %s", r.body)
	}
	var got httpapi.WebhookEndpoint
	r.decode(t, &got)
	if diff := cmp.Diff(made.WebhookEndpoint, got); diff != "" {
		t.Errorf("get (-made +got):\n%s", diff)
	}

	// A given secret is kept.
	s.clock.Advance(time.Second)
	given := "whsec_" + strings.Repeat("QUJD", 8)
	var second httpapi.WebhookEndpointWithSecret
	s.must(http.StatusCreated, http.MethodPost, "/v1/webhook-endpoints", map[string]any{
		"url": "http://localhost:9999/in", "secret": given, "enabled": false,
	}, &second)
	if second.Secret != given || second.Enabled || len(second.EventTypes) != 0 {
		t.Errorf("second: %+v", second)
	}
	var list struct {
		Data []httpapi.WebhookEndpoint `json:"data"`
	}
	s.must(http.StatusOK, http.MethodGet, "/v1/webhook-endpoints", nil, &list)
	if diff := cmp.Diff([]string{made.ID, second.ID}, []string{list.Data[0].ID, list.Data[1].ID}); diff != "" || len(list.Data) != 2 {
		t.Errorf("list (-want +got):\n%s", diff)
	}

	// Updates: fields sent change; a new secret is shown.
	var upd httpapi.WebhookEndpointWithSecret
	s.must(http.StatusOK, http.MethodPatch, "/v1/webhook-endpoints/"+made.ID, map[string]any{
		"event_types": []string{}, "connection_id": "", "enabled": false,
	}, &upd)
	if len(upd.EventTypes) != 0 || upd.ConnectionID != "" || upd.Enabled || upd.Secret != "" || upd.URL != made.URL {
		t.Errorf("updated: %+v", upd)
	}
	s.must(http.StatusOK, http.MethodPatch, "/v1/webhook-endpoints/"+made.ID, map[string]any{"new_secret": true}, &upd)
	if upd.Secret == "" || upd.Secret == made.Secret {
		t.Errorf("new secret: %q", upd.Secret)
	}

	// Bad input changes nothing.
	for _, body := range []map[string]any{
		{"url": "ftp://app.example.com/x"},
		{"url": "https://app.example.com/x", "event_types": []string{"file.exploded"}},
		{"url": "https://app.example.com/x", "secret": "whsec_short"},
	} {
		if r := s.do(s.key, http.MethodPost, "/v1/webhook-endpoints", body); r.status != http.StatusUnprocessableEntity {
			t.Errorf("create %v: %d %s", body, r.status, r.body)
		} else if strings.Contains(string(r.body), "whsec_short") {
			t.Errorf("the problem quotes the secret: %s", r.body)
		}
	}
	s.must(http.StatusNotFound, http.MethodPost, "/v1/webhook-endpoints", map[string]any{
		"url": "https://app.example.com/x", "connection_id": "conn_nosuchconnection",
	}, nil)
	s.must(http.StatusUnprocessableEntity, http.MethodPatch, "/v1/webhook-endpoints/"+made.ID, map[string]any{"url": "nope"}, nil)

	// Other environments see nothing.
	_, otherKey := s.newEnvironment("other")
	if r := s.do(otherKey, http.MethodGet, "/v1/webhook-endpoints/"+made.ID, nil); r.status != http.StatusNotFound {
		t.Errorf("other environment's get: %d", r.status)
	}
	if r := s.do(otherKey, http.MethodDelete, "/v1/webhook-endpoints/"+made.ID, nil); r.status != http.StatusNotFound {
		t.Errorf("other environment's delete: %d", r.status)
	}

	s.must(http.StatusNoContent, http.MethodDelete, "/v1/webhook-endpoints/"+made.ID, nil, nil)
	s.must(http.StatusNotFound, http.MethodGet, "/v1/webhook-endpoints/"+made.ID, nil, nil)
	s.must(http.StatusNotFound, http.MethodDelete, "/v1/webhook-endpoints/"+made.ID, nil, nil)
}

// hookReceiver is an application's webhook endpoint that answers with a
// status the test sets, and keeps the webhook-ids it acknowledged.
type hookReceiver struct {
	srv *httptest.Server

	mu     sync.Mutex
	status int
	acked  []string
	bodies []string
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{status: http.StatusServiceUnavailable}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		status := h.status
		if status < 300 {
			h.acked = append(h.acked, r.Header.Get(webhooks.HeaderID))
			h.bodies = append(h.bodies, string(body))
		}
		h.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) setStatus(status int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.status = status
}

func (h *hookReceiver) acknowledged() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.acked...)
}

func TestWebhookDeliveriesDeadLettersAndReplay(t *testing.T) {
	t.Parallel()
	s := newService(t)
	alice, _ := s.connected("alice@example.com")
	hook := newHookReceiver(t)
	var ep httpapi.WebhookEndpointWithSecret
	s.must(http.StatusCreated, http.MethodPost, "/v1/webhook-endpoints", map[string]any{"url": hook.srv.URL}, &ep)
	d, err := events.NewDeliverer(events.DelivererConfig{Store: s.store, Now: s.clock.Now, Random: func() float64 { return 0.5 },
		Retry: webhooks.RetryPolicy{First: time.Minute, Factor: 2, Max: 5 * time.Minute, Window: 20 * time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	// run runs the deliverer for the given minutes of the fake clock.
	run := func(minutes int) {
		for range minutes {
			for {
				n, err := d.RunOnce(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				if n == 0 {
					break
				}
			}
			s.clock.Advance(time.Minute)
		}
	}

	start := s.clock.Now()
	first := s.fileEvents(alice, 1)
	s.clock.Advance(time.Hour)
	second := s.fileEvents(alice, 1)
	run(60) // both die, one after the other
	base := "/v1/webhook-endpoints/" + ep.ID

	var dead struct {
		Data []httpapi.Delivery `json:"data"`
	}
	s.must(http.StatusOK, http.MethodGet, base+"/deliveries?status=dead", nil, &dead)
	if len(dead.Data) != 2 || dead.Data[0].EventID != second[0] || dead.Data[1].EventID != first[0] {
		t.Fatalf("dead letters: %+v", dead.Data)
	}
	var one struct {
		httpapi.Delivery
		AttemptLog []httpapi.DeliveryAttempt `json:"attempt_log"`
	}
	s.must(http.StatusOK, http.MethodGet, base+"/deliveries/"+dead.Data[1].ID, nil, &one)
	if one.Status != "dead" || len(one.AttemptLog) != one.Attempts || one.Attempts < 3 ||
		one.AttemptLog[0].StatusCode != http.StatusServiceUnavailable || one.AttemptLog[0].Number != 1 || one.NextAttemptAt != nil {
		t.Errorf("dead delivery: %+v", one)
	}
	s.must(http.StatusNotFound, http.MethodGet, base+"/deliveries/dlv_nosuchdelivery", nil, nil)

	// Replay of one event.
	hook.setStatus(http.StatusOK)
	var replayed struct {
		Replayed int64 `json:"replayed"`
	}
	s.must(http.StatusOK, http.MethodPost, base+"/replay", map[string]any{"event_id": second[0]}, &replayed)
	if replayed.Replayed != 1 {
		t.Errorf("replayed %d, want 1", replayed.Replayed)
	}
	run(1)
	if diff := cmp.Diff(second, hook.acknowledged()); diff != "" {
		t.Errorf("after replaying one (-want +got):\n%s", diff)
	}
	// Replay of a time range: the first hour's dead letters.
	s.must(http.StatusOK, http.MethodPost, base+"/replay", map[string]any{
		"since": start.Add(-time.Second), "until": start.Add(time.Minute), "status": "dead",
	}, &replayed)
	if replayed.Replayed != 1 {
		t.Errorf("replayed %d in the range, want 1", replayed.Replayed)
	}
	run(1)
	if diff := cmp.Diff(append(second, first...), hook.acknowledged()); diff != "" {
		t.Errorf("after replaying the range (-want +got):\n%s", diff)
	}
	var all struct {
		Data []httpapi.Delivery `json:"data"`
	}
	s.must(http.StatusOK, http.MethodGet, base+"/deliveries?status=succeeded&limit=10", nil, &all)
	if len(all.Data) != 2 {
		t.Errorf("succeeded: %+v", all.Data)
	}

	// Replay needs to be told what; bad input and other environments are refused.
	s.must(http.StatusUnprocessableEntity, http.MethodPost, base+"/replay", map[string]any{}, nil)
	s.must(http.StatusUnprocessableEntity, http.MethodGet, base+"/deliveries?since=yesterday", nil, nil)
	s.must(http.StatusNotFound, http.MethodPost, "/v1/webhook-endpoints/we_nosuchendpoint/replay", map[string]any{"event_id": first[0]}, nil)
	_, otherKey := s.newEnvironment("other")
	if r := s.do(otherKey, http.MethodGet, base+"/deliveries", nil); r.status != http.StatusNotFound {
		t.Errorf("other environment's deliveries: %d", r.status)
	}
	if r := s.do(otherKey, http.MethodPost, base+"/replay", map[string]any{"event_id": first[0]}); r.status != http.StatusNotFound {
		t.Errorf("other environment's replay: %d", r.status)
	}
}
