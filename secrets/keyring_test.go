package secrets_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dropbridge/dropbridge/secrets"
	"github.com/google/go-cmp/cmp"
)

// key returns a deterministic test key filled with b.
func key(b byte) string {
	return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, secrets.KeySize))
}

func mustKeyring(t *testing.T, s string) *secrets.Keyring {
	t.Helper()
	k, err := secrets.ParseKeyring(s)
	if err != nil {
		t.Fatalf("ParseKeyring: %v", err)
	}
	return k
}

func TestParseKeyring(t *testing.T) {
	t.Parallel()
	raw := bytes.Repeat([]byte{7}, secrets.KeySize)
	tests := []struct {
		name    string
		in      string
		wantIDs []string
		wantErr string
	}{
		{name: "one key", in: "k1:" + key(1), wantIDs: []string{"k1"}},
		{name: "newest first", in: "k2:" + key(2) + ",k1:" + key(1), wantIDs: []string{"k2", "k1"}},
		{name: "spaces trimmed", in: " k2 : " + key(2) + " , k1:" + key(1) + " ", wantIDs: []string{"k2", "k1"}},
		{name: "raw url base64", in: "a-_9:" + base64.RawURLEncoding.EncodeToString(raw), wantIDs: []string{"a-_9"}},
		{name: "empty", in: " ", wantErr: "empty keyring"},
		{name: "no id", in: key(1), wantErr: "want id:base64key"},
		{name: "empty id", in: ":" + key(1), wantErr: "must be 1 to 32 characters"},
		{name: "bad id", in: "k 1:" + key(1), wantErr: "may hold only"},
		{name: "long id", in: strings.Repeat("k", 33) + ":" + key(1), wantErr: "must be 1 to 32 characters"},
		{name: "duplicate id", in: "k1:" + key(1) + ",k1:" + key(2), wantErr: "appears twice"},
		{name: "short key", in: "k1:" + base64.StdEncoding.EncodeToString(raw[:16]), wantErr: "16 bytes, want 32"},
		{name: "not base64", in: "k1:***", wantErr: "not base64"},
		{name: "trailing comma", in: "k1:" + key(1) + ",", wantErr: "entry 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k, err := secrets.ParseKeyring(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseKeyring(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseKeyring(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.wantIDs, k.IDs()); diff != "" {
				t.Errorf("IDs (-want +got):\n%s", diff)
			}
			if k.Newest() != tt.wantIDs[0] {
				t.Errorf("Newest() = %q, want %q", k.Newest(), tt.wantIDs[0])
			}
		})
	}
}

func TestParseKeyringErrorsHideKeys(t *testing.T) {
	t.Parallel()
	short := base64.StdEncoding.EncodeToString([]byte("sixteen byte key"))
	_, err := secrets.ParseKeyring("k1:" + short)
	if err == nil {
		t.Fatal("ParseKeyring accepted a short key")
	}
	if strings.Contains(err.Error(), short) || strings.Contains(err.Error(), "sixteen") {
		t.Errorf("error %q shows key material", err)
	}
}

func TestGenerateKey(t *testing.T) {
	t.Parallel()
	a, err := secrets.GenerateKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	b, err := secrets.GenerateKey("k2")
	if err != nil {
		t.Fatal(err)
	}
	k := mustKeyring(t, b+","+a)
	if diff := cmp.Diff([]string{"k2", "k1"}, k.IDs()); diff != "" {
		t.Errorf("IDs (-want +got):\n%s", diff)
	}
	if a[3:] == b[3:] {
		t.Error("two generated keys are equal")
	}
	if _, err := secrets.GenerateKey("bad id"); err == nil {
		t.Error("GenerateKey accepted an invalid id")
	}
}

func TestSealOpen(t *testing.T) {
	t.Parallel()
	k := mustKeyring(t, "k1:"+key(1))
	ad := secrets.Field("connections", "access_token", "conn_1")
	tests := []struct {
		name      string
		plaintext []byte
	}{
		{"empty", nil},
		{"short", []byte("x")},
		{"token", []byte("sl.u.AFakeDropboxAccessToken-with_symbols.+/=")},
		{"binary", []byte{0, 1, 2, 255, 254}},
		{"large", bytes.Repeat([]byte("0123456789"), 10000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sealed, err := k.Seal(tt.plaintext, ad)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(sealed, "v1:k1:") {
				t.Errorf("sealed %q does not start with v1:k1:", sealed)
			}
			if len(tt.plaintext) >= 8 && strings.Contains(sealed, string(tt.plaintext)) {
				t.Errorf("sealed value contains the plaintext")
			}
			id, err := secrets.KeyID(sealed)
			if err != nil || id != "k1" {
				t.Errorf("KeyID = %q, %v; want k1", id, err)
			}
			got, err := k.Open(sealed, ad)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !bytes.Equal(got, tt.plaintext) {
				t.Errorf("Open = %q, want %q", got, tt.plaintext)
			}
			again, err := k.Seal(tt.plaintext, ad)
			if err != nil {
				t.Fatal(err)
			}
			if again == sealed {
				t.Error("sealing twice gave the same string: nonce reused")
			}
		})
	}
}

func TestOpenRefusesOtherBindings(t *testing.T) {
	t.Parallel()
	k := mustKeyring(t, "k1:"+key(1))
	sealed, err := k.Seal([]byte("token"), secrets.Field("connections", "access_token", "conn_1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ad := range [][]byte{
		secrets.Field("connections", "access_token", "conn_2"),  // another row
		secrets.Field("connections", "refresh_token", "conn_1"), // another column
		secrets.Field("apps", "access_token", "conn_1"),         // another table
		nil,
	} {
		if _, err := k.Open(sealed, ad); !errors.Is(err, secrets.ErrCannotOpen) {
			t.Errorf("Open with associated data %q: error = %v, want ErrCannotOpen", ad, err)
		}
	}
}

func TestOpenRefusesTampering(t *testing.T) {
	t.Parallel()
	k := mustKeyring(t, "k2:"+key(2)+",k1:"+key(1))
	ad := []byte("apps/app_secret/app_1")
	sealed, err := k.Seal([]byte("app secret"), ad)
	if err != nil {
		t.Fatal(err)
	}
	payload := strings.TrimPrefix(sealed, "v1:k2:")
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		t.Fatal(err)
	}
	// Every single bit flipped anywhere in nonce, ciphertext or tag.
	for i := range raw {
		for bit := range 8 {
			mod := bytes.Clone(raw)
			mod[i] ^= 1 << bit
			s := "v1:k2:" + base64.RawURLEncoding.EncodeToString(mod)
			if _, err := k.Open(s, ad); !errors.Is(err, secrets.ErrCannotOpen) {
				t.Fatalf("byte %d bit %d flipped: error = %v, want ErrCannotOpen", i, bit, err)
			}
		}
	}
	for _, s := range []string{
		"",
		"v1",
		"v1:k2",
		"v2:k2:" + payload,                  // unknown version
		"v1:k1:" + payload,                  // header edited to the other key
		"v1:k2:" + payload[:len(payload)-1], // truncated
		"v1:k2:" + payload + "A",            // extended
		"v1:k2:" + payload[:10],             // shorter than nonce+tag
		"v1:k2:" + strings.ToUpper(payload), // corrupted
		"v1:k 2:" + payload,                 // invalid id
		"v1:k2:" + "!" + payload[1:],        // not base64
		"v1:k2:" + base64.StdEncoding.EncodeToString(raw), // padded standard alphabet
	} {
		if _, err := k.Open(s, ad); !errors.Is(err, secrets.ErrCannotOpen) {
			t.Errorf("Open(%q) error = %v, want ErrCannotOpen", s, err)
		}
	}
	if _, err := k.Open("v1:k9:"+payload, ad); !errors.Is(err, secrets.ErrUnknownKey) {
		t.Errorf("Open with an unknown key id: error = %v, want ErrUnknownKey", err)
	}
}

func TestRotation(t *testing.T) {
	t.Parallel()
	old := mustKeyring(t, "k1:"+key(1))
	both := mustKeyring(t, "k2:"+key(2)+",k1:"+key(1))
	newOnly := mustKeyring(t, "k2:"+key(2))
	ad := []byte("connections/refresh_token/conn_9")

	sealed, err := old.Seal([]byte("refresh"), ad)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newOnly.Open(sealed, ad); !errors.Is(err, secrets.ErrUnknownKey) {
		t.Fatalf("new keyring opened a value of a key it lacks: %v", err)
	}
	if got, err := both.Open(sealed, ad); err != nil || string(got) != "refresh" {
		t.Fatalf("both.Open = %q, %v", got, err)
	}
	resealed, changed, err := both.Reseal(sealed, ad)
	if err != nil || !changed {
		t.Fatalf("Reseal = changed %v, %v; want changed", changed, err)
	}
	if id, _ := secrets.KeyID(resealed); id != "k2" {
		t.Errorf("resealed with %q, want k2", id)
	}
	if got, err := newOnly.Open(resealed, ad); err != nil || string(got) != "refresh" {
		t.Fatalf("newOnly.Open(resealed) = %q, %v", got, err)
	}
	same, changed, err := both.Reseal(resealed, ad)
	if err != nil || changed || same != resealed {
		t.Errorf("second Reseal = %q, changed %v, %v; want unchanged", same, changed, err)
	}
	if _, _, err := both.Reseal(resealed, []byte("other")); !errors.Is(err, secrets.ErrCannotOpen) {
		t.Errorf("Reseal with wrong associated data: %v, want ErrCannotOpen", err)
	}
	if _, _, err := both.Reseal(sealed, []byte("other")); !errors.Is(err, secrets.ErrCannotOpen) {
		t.Errorf("Reseal of an old value with wrong associated data: %v, want ErrCannotOpen", err)
	}
}

// TestRandomRoundTrips seals and opens many random values under random
// associated data; the seed is fixed so a failure replays.
func TestRandomRoundTrips(t *testing.T) {
	t.Parallel()
	k := mustKeyring(t, "k3:"+key(3)+",k2:"+key(2))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		pt := make([]byte, r.IntN(300))
		for j := range pt {
			pt[j] = byte(r.Uint32())
		}
		ad := make([]byte, r.IntN(40))
		for j := range ad {
			ad[j] = byte(r.Uint32())
		}
		sealed, err := k.Seal(pt, ad)
		if err != nil {
			t.Fatalf("case %d: Seal: %v", i, err)
		}
		got, err := k.Open(sealed, ad)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("case %d: Open = %x, %v; want %x", i, got, err, pt)
		}
		if len(ad) > 0 {
			other := bytes.Clone(ad)
			other[r.IntN(len(other))]++
			if _, err := k.Open(sealed, other); !errors.Is(err, secrets.ErrCannotOpen) {
				t.Fatalf("case %d: opened with changed associated data: %v", i, err)
			}
		}
	}
}

func FuzzSealOpen(f *testing.F) {
	f.Add([]byte("token"), []byte("connections/access_token/conn_1"))
	f.Add([]byte{}, []byte{})
	f.Add([]byte{0, 255}, []byte("x"))
	k, err := secrets.ParseKeyring("k1:" + key(1))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, plaintext, ad []byte) {
		sealed, err := k.Seal(plaintext, ad)
		if err != nil {
			t.Fatal(err)
		}
		got, err := k.Open(sealed, ad)
		if err != nil || !bytes.Equal(got, plaintext) {
			t.Fatalf("Open = %x, %v; want %x", got, err, plaintext)
		}
		if _, err := k.Open(sealed, append(bytes.Clone(ad), 0)); err == nil {
			t.Fatal("opened with longer associated data")
		}
	})
}

func FuzzOpen(f *testing.F) {
	k, err := secrets.ParseKeyring("k1:" + key(1))
	if err != nil {
		f.Fatal(err)
	}
	good, err := k.Seal([]byte("x"), nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add("v1:k1:")
	f.Add("v1::AAAA")
	f.Fuzz(func(t *testing.T, sealed string) {
		// Anything but a value sealed by the test (each fuzz worker seals
		// its own) must fail cleanly, never panic.
		got, err := k.Open(sealed, nil)
		if err == nil && string(got) != "x" {
			t.Fatalf("Open(%q) = %q, nil", sealed, got)
		}
	})
}
