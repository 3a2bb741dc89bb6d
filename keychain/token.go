package keychain

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/meshmesh/meshmesh/oauth"
)

// Token is a usable access token of a connection, for a script or an
// API call. AccessToken is a secret: print it only where asked to.
type Token struct {
	AccessToken string    `json:"access_token"`
	InstanceURL string    `json:"instance_url"`
	Username    string    `json:"username"`
	OrgID       string    `json:"org_id"`
	IssuedAt    time.Time `json:"-"`
	Refreshed   bool      `json:"-"` // this call refreshed it
}

// Token returns a valid access token of connection ref: the cached one
// while it is younger than the store's TokenMaxAge (no network), else a
// fresh one (force refreshes whatever its age). A rotated refresh token is
// saved before the access token is returned. A dead refresh token marks
// the connection NeedsReconnect; Salesforce out of reach marks it Unknown.
func (s *Store) Token(ctx context.Context, ref string, force bool) (*Token, error) {
	conn, err := s.Find(ctx, ref)
	if err != nil {
		return nil, err
	}
	return s.token(ctx, conn, force, true)
}

// Check refreshes conn's token to learn whether the connection still
// works, as a health check does, and returns its status now. Unlike
// Token, it writes the keychain only when the refresh token rotated: the
// new access token is not cached (the cached one stays valid), so that a
// check of many connections does not wait on a keychain write for each.
// conn is as the caller last read it (the index is not read again).
func (s *Store) Check(ctx context.Context, conn Connection) (Status, error) {
	_, err := s.token(ctx, conn, true, false)
	var stale *staleError
	if errors.As(err, &stale) {
		// Connected again meanwhile (another app, another login host):
		// check the connection it is now.
		conn = stale.now
		_, err = s.token(ctx, conn, true, false)
	}
	if err == nil {
		return Connected, nil
	}
	if st := statusAfter(err); st != "" {
		return st, err
	}
	var d *oauth.Diagnosis
	if errors.As(err, &d) && d.Code == ItemMissing || errors.Is(err, errUnreadable) {
		return NeedsReconnect, err // as missing recorded it
	}
	return conn.Status, err
}

// token is Token for conn; cache says whether a refreshed access token is
// written to the keychain even when the refresh token did not rotate.
func (s *Store) token(ctx context.Context, conn Connection, force, cache bool) (*Token, error) {
	acct := account(conn.Username)
	// A check (!cache) reads the item once, under the lock: a keychain
	// read is the slowest step of a check of many connections.
	var issuedBefore int64 = -1
	if cache {
		it, err := s.secrets.get(ctx, acct)
		if err != nil {
			return nil, s.missing(ctx, conn, err)
		}
		if tok := s.cached(conn, it, force); tok != nil {
			return tok, nil
		}
		issuedBefore = it.IssuedAt
	}

	// One refresh at a time per connection, across processes: with
	// rotation, a second refresh with the same token would kill it.
	unlock, err := s.lockConnection(ctx, conn.OrgID, conn.UserID, conn.Username)
	if err != nil {
		return nil, err
	}
	defer unlock()
	it, err := s.secrets.get(ctx, acct)
	if err != nil {
		return nil, s.missing(ctx, conn, err)
	}
	if issuedBefore >= 0 && it.IssuedAt > issuedBefore && it.AccessToken != "" {
		// Another process refreshed it while we waited: that one is new.
		return conn.token(it, conn.InstanceURL), nil
	}

	// From the refresh request on, finish whatever ctx says: with
	// rotation, Salesforce kills the old refresh token as soon as it
	// answers, and the new one must reach the keychain. Each step has its
	// own timeout.
	ctx = context.WithoutCancel(ctx)
	app := oauth.App{ClientID: conn.ClientID, ClientSecret: it.ClientSecret, Scopes: conn.Scopes}
	r, err := s.engine.Refresh(ctx, conn.LoginURL, app, it.RefreshToken)
	if err != nil {
		status := statusAfter(err)
		if !cache && status != "" {
			// conn is as a check read it, maybe before a new login: the
			// failure of its app or host says nothing of the new one.
			now, ferr := s.Find(ctx, conn.Username)
			switch {
			case ferr != nil:
				return nil, err // removed meanwhile: nothing to record
			case now.ClientID != conn.ClientID || now.LoginURL != conn.LoginURL || !now.ConnectedAt.Equal(conn.ConnectedAt):
				return nil, &staleError{now: now, err: err}
			}
		}
		s.log.Warn("refresh failed", "alias", conn.Alias, "username", conn.Username, "status", status, "err", err)
		if status != "" && status != conn.Status {
			s.setStatus(ctx, conn.Username, status, "")
		}
		return nil, err
	}
	if r.Token.RefreshToken != "" {
		it.RefreshToken = r.Token.RefreshToken
	}
	it.AccessToken = r.Token.AccessToken
	it.IssuedAt = time.Now().UnixMilli() // this machine's clock, as cached compares
	timeout := time.Duration(0)
	if r.Rotated {
		timeout = max(RotatedSaveTimeout, s.secrets.timeout) // the only copy of the new refresh token
	}
	// Unless cache asks for it, only a rotated refresh token must last:
	// without a write, the keychain keeps the access token it has.
	if !cache && !r.Rotated {
		s.log.Debug("refreshed token not cached: a check", "alias", conn.Alias)
	} else if err := s.secrets.setWithin(ctx, acct, it, timeout); err != nil {
		if r.Rotated {
			// The old refresh token died with the rotation and the new one
			// is lost: only a new login helps.
			s.setStatus(ctx, conn.Username, NeedsReconnect, "")
			return nil, rotationLost(conn, err)
		}
		s.log.Warn("refreshed token not cached", "alias", conn.Alias, "err", err)
	}
	if conn.Status != Connected || (r.InstanceURL != "" && r.InstanceURL != conn.InstanceURL) {
		s.setStatus(ctx, conn.Username, Connected, r.InstanceURL)
	}
	if r.Rotated && conn.SharedWithSF {
		// sf's copy died with the rotation: the token is ours alone now.
		s.log.Warn("refresh token rotated: the Salesforce CLI's copy no longer works", "alias", conn.Alias, "username", conn.Username)
		s.setShared(ctx, conn.Username, false)
	}
	instance := conn.InstanceURL
	if r.InstanceURL != "" {
		instance = r.InstanceURL
	}
	s.log.Info("token refreshed", "alias", conn.Alias, "username", conn.Username, "rotated", r.Rotated)
	tok := conn.token(it, instance)
	tok.Refreshed = true
	return tok, nil
}

// staleError says that a check's refresh failed for a connection that
// was connected again since the check read it.
type staleError struct {
	now Connection // as the index has it now
	err error
}

func (e *staleError) Error() string { return "connected again meanwhile: " + e.err.Error() }
func (e *staleError) Unwrap() error { return e.err }

// RotatedSaveTimeout bounds the keychain write of a rotated refresh token:
// longer than KeyringTimeout, since it is the token's only copy and a
// keyring may be waiting for the user to unlock it.
const RotatedSaveTimeout = time.Minute

// rotationLost explains a rotated refresh token that could not be saved.
func rotationLost(conn Connection, err error) *oauth.Diagnosis {
	return &oauth.Diagnosis{
		Code:  KeychainFailed,
		Title: "The renewed token could not be saved",
		Advice: fmt.Sprintf("Salesforce rotated the refresh token of %s (the old one no longer works), but the keychain did not take the new one (%v). Make sure your keychain is unlocked, then run meshmesh reconnect %s.",
			conn.Name(), err, conn.Name()),
		Fixes: []oauth.Fix{{Kind: oauth.FixReconnect, Label: "Reconnect"}},
		Err:   err,
	}
}

// cached returns the cached access token when it may still be used.
func (s *Store) cached(conn Connection, it *item, force bool) *Token {
	age := time.Since(it.issuedAt())
	if force || s.maxAge <= 0 || it.AccessToken == "" || age >= s.maxAge || age < 0 { // < 0: the clock went back
		return nil
	}

	return conn.token(it, conn.InstanceURL)
}

// token is the Token of conn's item it, its API at instanceURL.
func (conn Connection) token(it *item, instanceURL string) *Token {
	return &Token{AccessToken: it.AccessToken, InstanceURL: instanceURL, Username: conn.Username, OrgID: conn.OrgID, IssuedAt: it.issuedAt()}
}

// missing explains a keychain read that failed for a connection; a
// missing item marks it NeedsReconnect.
func (s *Store) missing(ctx context.Context, conn Connection, err error) error {
	if errors.Is(err, errUnreadable) {
		if conn.Status != NeedsReconnect {
			s.setStatus(ctx, conn.Username, NeedsReconnect, "")
		}
		return err
	}
	if !errors.Is(err, errNotFound) {
		return err
	}
	if conn.Status != NeedsReconnect {
		s.setStatus(ctx, conn.Username, NeedsReconnect, "")
	}
	return &oauth.Diagnosis{
		Code:   ItemMissing,
		Title:  fmt.Sprintf("No token for %s in the keychain", conn.Name()),
		Advice: fmt.Sprintf("The keychain has no MeshMesh item for %s (it was deleted, or the keychain was reset). Run meshmesh reconnect %s to sign in again.", conn.Username, conn.Name()),
		Fixes:  []oauth.Fix{{Kind: oauth.FixReconnect, Label: "Reconnect"}},
	}
}

// statusAfter says what a failed refresh means for a connection's
// status: NeedsReconnect when the refresh token cannot work again without
// a new login, Unknown when Salesforce could not be asked, "" to leave it.
func statusAfter(err error) Status {
	var d *oauth.Diagnosis
	if !errors.As(err, &d) {
		return Unknown
	}
	switch d.Code {
	case oauth.RefreshTokenExpired, oauth.AppBlocked, oauth.AppNotApproved, oauth.UserInactive,
		oauth.OrgInactive, oauth.InvalidClientID, oauth.InvalidClientSecret, oauth.AuthenticationFailed:
		return NeedsReconnect
	case oauth.ConnectionTimeout, oauth.SalesforceUnavailable, oauth.RateLimited:
		return Unknown
	}
	return ""
}

// Use calls f with a valid access token of connection ref. When f's error
// says the session is invalid (401 INVALID_SESSION_ID, singleaccess's 403:
// errors.Is(err, oauth.ErrInvalidSession)), it refreshes once and calls f
// once more.
func (s *Store) Use(ctx context.Context, ref string, f func(context.Context, *Token) error) error {
	tok, err := s.Token(ctx, ref, false)
	if err != nil {
		return err
	}
	err = f(ctx, tok)
	if !errors.Is(err, oauth.ErrInvalidSession) || tok.Refreshed {
		return err
	}
	s.log.Info("session invalid, refreshing once", "username", tok.Username)
	if tok, err = s.Token(ctx, ref, true); err != nil {
		return err
	}
	return f(ctx, tok)
}
