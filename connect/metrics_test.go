package connect_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dropbridge/dropbridge/connect"
	"github.com/dropbridge/dropbridge/dropboxtest"
)

func TestMetricsTransport(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t)
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "metrics@example.com"})
	reg := prometheus.NewRegistry()
	hc := &http.Client{Transport: connect.NewMetrics(reg).Transport(nil)}
	call := func(path, token string) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, emu.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	call("/2/users/get_current_account", acct.AccessToken)
	call("/2/users/get_current_account", acct.AccessToken)
	call("/2/users/get_current_account", "not-a-token")
	call("/2/no_such/route", acct.AccessToken)
	call("/oauth2/token", "")

	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "dropbridge_dropbox_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			got[strings.Join(labels, ",")] = m.GetCounter().GetValue()
		}
	}
	want := map[string]float64{
		"outcome=ok,route=users/get_current_account":   2,
		"outcome=auth,route=users/get_current_account": 1,
		"outcome=other_status,route=other":             1, // the emulator answers 404
		"outcome=bad_input,route=oauth2/token":         1,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dropbridge_dropbox_requests_total (-want +got):\n%s", diff)
	}
}
