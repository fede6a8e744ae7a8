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

// WithTokenSource authenticates with the access tokens of ts, for callers
// that keep their tokens in an oauth2.TokenSource of their own (one made
// by oauth2.Config.TokenSource refreshes shortly before expiry by the
// local clock). When Dropbox answers 401 expired_access_token, the client
// asks ts once more; a source that hands back the same token then gets
// the error. Prefer WithOAuth2, which refreshes on Dropbox's word too.
func WithTokenSource(ts oauth2.TokenSource) Option {
	return func(c *Client) { c.tokens = &tokenKeeper{src: ts, now: c.nowFunc} }
}

// refreshAhead is how long before its expiry an access token is renewed.
const refreshAhead = 5 * time.Minute

// tokenKeeper holds an OAuth token and refreshes it.
type tokenKeeper struct {
	conf      *oauth2.Config
	onRefresh func(*oauth2.Token)
	src       oauth2.TokenSource // WithTokenSource: conf and tok unused
	now       func() time.Time

	mu  sync.Mutex
	tok *oauth2.Token
}

// access returns a usable access token, refreshing first when it is about
// to expire.
func (k *tokenKeeper) access(ctx context.Context) (string, error) {
	if k.src != nil {
		return k.fromSource("")
	}
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
	if k.src != nil {
		return k.fromSource(stale)
	}
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

// fromSource returns the access token of k.src, which must differ from
// stale when that is given.
func (k *tokenKeeper) fromSource(stale string) (string, error) {
	tok, err := k.src.Token()
	switch {
	case err != nil:
		return "", fmt.Errorf("dropbox: get an access token: %w", err)
	case tok.AccessToken == "":
		return "", errors.New("dropbox: the token source gave no access token")
	case stale != "" && tok.AccessToken == stale:
		return "", errors.New("dropbox: Dropbox says the access token expired and the token source has no newer one")
	}
	return tok.AccessToken, nil
}
