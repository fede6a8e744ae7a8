package dropbridge_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/dropbridge/dropbridge"
)

func TestSecretIsRedacted(t *testing.T) {
	t.Parallel()
	const plain = "sl.TOKEN-that-must-not-leak"
	c := dropbridge.Connection{ID: "conn_1", Token: dropbridge.Token{AccessToken: plain, RefreshToken: plain}}
	app := dropbridge.App{ID: "app_1", AppSecret: plain}

	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	log.Info("x", "token", c.Token.AccessToken, "conn", c, "app", app)
	jlog := slog.New(slog.NewJSONHandler(&logged, nil))
	jlog.Info("x", "token", c.Token.AccessToken, "tok", c.Token)

	j1, _ := json.Marshal(c)
	j2, _ := json.Marshal(c.Token)
	j3, _ := json.Marshal(map[string]dropbridge.Secret{"s": plain})
	for name, out := range map[string]string{
		"%v":      fmt.Sprintf("%v", c),
		"%+v":     fmt.Sprintf("%+v", c),
		"%#v":     fmt.Sprintf("%#v", c),
		"%s":      fmt.Sprintf("%s", c.Token.AccessToken),
		"%q":      fmt.Sprintf("%q", c.Token.AccessToken),
		"%x":      fmt.Sprintf("%x", c.Token.AccessToken),
		"app %+v": fmt.Sprintf("%+v", app),
		"error":   fmt.Errorf("refresh %v: failed", c.Token).Error(),
		"slog":    logged.String(),
		"json":    string(j1) + string(j2) + string(j3),
	} {
		if strings.Contains(out, plain) || strings.Contains(out, fmt.Sprintf("%x", plain)) {
			t.Errorf("%s shows the secret: %s", name, out)
		}
	}
	if string(c.Token.AccessToken) != plain {
		t.Error("string(secret) does not give the value")
	}
}

func TestNewSecretAndHash(t *testing.T) {
	t.Parallel()
	a, err := dropbridge.NewSecret("dbk_")
	if err != nil {
		t.Fatal(err)
	}
	b, err := dropbridge.NewSecret("dbk_")
	if err != nil {
		t.Fatal(err)
	}
	if a == b || !strings.HasPrefix(string(a), "dbk_") || len(a) != len("dbk_")+52 {
		t.Fatalf("secrets %q, %q", a, b)
	}
	if strings.Trim(string(a)[4:], "abcdefghijklmnopqrstuvwxyz234567") != "" {
		t.Errorf("secret %q is not lowercase base32", a)
	}
	if len(dropbridge.HashSecret(a)) != 32 || bytes.Equal(dropbridge.HashSecret(a), dropbridge.HashSecret(b)) {
		t.Error("HashSecret is not a 32-byte hash")
	}
	if !bytes.Equal(dropbridge.HashSecret(a), dropbridge.HashSecret(a)) {
		t.Error("HashSecret is not deterministic")
	}
	id, err := dropbridge.NewID(dropbridge.ConnectionIDPrefix)
	if err != nil || !strings.HasPrefix(id, "conn_") || len(id) != len("conn_")+26 {
		t.Errorf("NewID = %q, %v", id, err)
	}
}

func TestNewAPIKey(t *testing.T) {
	t.Parallel()
	k, secret, err := dropbridge.NewAPIKey("env_1", "backend")
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if !strings.HasPrefix(string(secret), k.Prefix) || len(k.Prefix) != 12 {
		t.Errorf("prefix %q of secret", k.Prefix)
	}
	if !bytes.Equal(k.SecretHash, dropbridge.HashSecret(secret)) {
		t.Error("hash is not the secret's")
	}
	b, _ := json.Marshal(k)
	if strings.Contains(string(b), string(secret)) || strings.Contains(string(b), "hash") {
		t.Errorf("API key JSON shows the secret or its hash: %s", b)
	}
}
