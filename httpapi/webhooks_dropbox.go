package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/webhooks"
)

// DropboxWebhookPath is the path, under the service's public URL, of the
// Dropbox webhook intake: register PublicURL + DropboxWebhookPath as the
// webhook URI of every Dropbox app in the App Console.
const DropboxWebhookPath = "/webhooks/dropbox"

// DropboxNotifier takes the accounts of a verified Dropbox webhook
// notification, to sync their connections in the background
// (changes.Service is one). Notify must not block.
type DropboxNotifier interface {
	Notify(accountIDs ...string)
}

// maxNotification is the largest notification body the intake reads.
// Dropbox batches at most a few hundred accounts in one.
const maxNotification = 1 << 20

// secretsTimeout bounds the read of the apps' secrets.
const secretsTimeout = 5 * time.Second

// registerDropboxWebhook serves the Dropbox webhook intake
// (https://www.dropbox.com/developers/reference/webhooks) on mux: GET
// answers Dropbox's challenge; POST takes a notification whose
// X-Dropbox-Signature is the HMAC-SHA256 of its body with the secret of
// one of the apps of any environment, compared in constant time, hands its
// accounts to notifier (nil: none) and answers 200 at once. A
// notification that no app's secret signed (forged, or a signature taken
// from another body) gets 403 and a log line. Dropbox's signature has no
// timestamp or nonce: a byte-for-byte repeat of a genuine notification
// cannot be told from Dropbox sending the same accounts again, and costs
// one coalesced sync.
func (s *Server) registerDropboxWebhook(mux *http.ServeMux, notifier DropboxNotifier) {
	mux.HandleFunc("GET "+DropboxWebhookPath, webhooks.DropboxChallenge)
	mux.HandleFunc("POST "+DropboxWebhookPath, func(w http.ResponseWriter, r *http.Request) {
		s.serveDropboxNotification(w, r, notifier)
	})
}

// dropboxNotification is the body of a Dropbox webhook notification.
type dropboxNotification struct {
	ListFolder struct {
		Accounts []string `json:"accounts"`
	} `json:"list_folder"`
}

func (s *Server) serveDropboxNotification(w http.ResponseWriter, r *http.Request, notifier DropboxNotifier) {
	ctx := r.Context()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxNotification))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeProblemHTTP(w, newProblem(dropbridge.EINVALID, "The notification is larger than 1 MiB."))
			return
		}
		s.logger.InfoContext(ctx, "dropbox webhook: body not read", "error", err)
		return
	}
	secrets, err := s.appSecrets(ctx)
	if err != nil {
		s.logger.ErrorContext(ctx, "dropbox webhook: apps not read", "error", err)
		writeProblemHTTP(w, newProblem(dropbridge.EUNAVAILABLE, "The database does not answer: Dropbox will send the notification again."))
		return
	}
	if _, ok := webhooks.MatchDropboxSignature(r.Header.Get(webhooks.DropboxSignatureHeader), body, secrets); !ok {
		s.logger.WarnContext(ctx, "dropbox webhook refused: its signature matches no app's secret",
			"remote", r.RemoteAddr, "signed", r.Header.Get(webhooks.DropboxSignatureHeader) != "", "bytes", len(body))
		writeProblemHTTP(w, newProblem(dropbridge.EFORBIDDEN, "The X-Dropbox-Signature header is not the signature of this body by any registered app's secret."))
		return
	}
	var n dropboxNotification
	if err := json.Unmarshal(body, &n); err != nil {
		writeProblemHTTP(w, newProblem(dropbridge.EINVALID, "The notification is not the JSON that Dropbox sends."))
		return
	}
	if notifier != nil && len(n.ListFolder.Accounts) > 0 {
		notifier.Notify(n.ListFolder.Accounts...)
	}
	w.WriteHeader(http.StatusOK)
}

// appSecrets returns the secrets of every app of every environment.
func (s *Server) appSecrets(ctx context.Context) ([]dropbridge.Secret, error) {
	ctx, cancel := context.WithTimeout(ctx, secretsTimeout)
	defer cancel()
	envs, err := s.store.ListEnvironments(ctx)
	if err != nil {
		return nil, err
	}
	var out []dropbridge.Secret
	for _, env := range envs {
		apps, err := s.store.ListApps(ctx, env.ID)
		if err != nil {
			return nil, err
		}
		for _, a := range apps {
			out = append(out, a.AppSecret)
		}
	}
	return out, nil
}
