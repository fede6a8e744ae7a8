package dropbox

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// WithOAuth2 authenticates with an OAuth 2.0 token that the client keeps
// fresh: it refreshes the access token with tok.RefreshToken through conf
// shortly before it expires, and once more when Dropbox answers 401
// expired_access_token (clocks differ). Refreshes are serialised: many
// calls that find the token stale cause one refresh. OnRefresh, if set, is
// called with each new token (to store it).
func WithOAuth2(conf *oauth2.Config, tok *oauth2.Token, onRefresh func(*oauth2.Token)) Option {
	return func(c *Client) {
		c.tokens = &tokenKeeper{conf: conf, tok: tok, onRefresh: onRefresh, now: c.nowFunc}
	}
}

// refreshAhead is how long before its expiry an access token is renewed.
const refreshAhead = 5 * time.Minute

// tokenKeeper holds an OAuth token and refreshes it.
type tokenKeeper struct {
	conf      *oauth2.Config
	onRefresh func(*oauth2.Token)
	now       func() time.Time

	mu  sync.Mutex
	tok *oauth2.Token
}

// access returns a usable access token, refreshing first when it is about
// to expire.
func (k *tokenKeeper) access(ctx context.Context) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.tok != nil && k.tok.AccessToken != "" && (k.tok.Expiry.IsZero() || k.now().Add(refreshAhead).Before(k.tok.Expiry)) {
		return k.tok.AccessToken, nil
	}
	return k.refreshLocked(ctx)
}

// expired forgets access token stale (Dropbox said it expired) unless a
// newer one has replaced it meanwhile, and returns a fresh one.
func (k *tokenKeeper) expired(ctx context.Context, stale string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.tok != nil && k.tok.AccessToken != stale && k.tok.AccessToken != "" {
		return k.tok.AccessToken, nil
	}
	return k.refreshLocked(ctx)
}

func (k *tokenKeeper) refreshLocked(ctx context.Context) (string, error) {
	if k.tok == nil || k.tok.RefreshToken == "" {
		return "", errors.New("dropbox: the access token expired and there is no refresh token")
	}
	// A token without an access token makes x/oauth2 refresh at once.
	fresh, err := k.conf.TokenSource(ctx, &oauth2.Token{RefreshToken: k.tok.RefreshToken}).Token()
	if err != nil {
		return "", fmt.Errorf("dropbox: refresh the access token: %w", err)
	}
	if fresh.RefreshToken == "" {
		fresh.RefreshToken = k.tok.RefreshToken // Dropbox does not rotate it
	}
	k.tok = fresh
	if k.onRefresh != nil {
		k.onRefresh(fresh)
	}
	return fresh.AccessToken, nil
}
