package keychain

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/meshmesh/meshmesh/oauth"
)

// DefaultTokenMaxAge is how long a cached access token is handed out
// before a refresh (MESHMESH_TOKEN_MAX_AGE).
const DefaultTokenMaxAge = 10 * time.Minute

// Options configure a Store. [OptionsFromEnv] reads them from the
// MESHMESH_* variables documented in the README.
type Options struct {
	// Dir holds the index (MESHMESH_HOME). Empty means [DefaultDir].
	Dir string

	// Service is the keychain service of the items (MESHMESH_KEYCHAIN_SERVICE).
	// Empty means DefaultService.
	Service string

	// Keyring is the keychain. Nil means the operating system's.
	Keyring Keyring

	// KeyringTimeout bounds each keychain call. Zero means KeyringTimeout.
	KeyringTimeout time.Duration

	// TokenMaxAge is how long a cached access token is used before a
	// refresh; zero refreshes on every call.
	TokenMaxAge time.Duration

	// Engine refreshes and revokes tokens. Nil means a zero Engine.
	Engine *oauth.Engine

	// Log receives what the store does, never a token or secret. Nil
	// discards it.
	Log *slog.Logger
}

// DefaultDir is the index folder when MESHMESH_HOME is not set: meshmesh
// under the user's configuration folder.
func DefaultDir() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no configuration folder (%w): set MESHMESH_HOME", err)
	}
	return filepath.Join(dir, "meshmesh"), nil
}

// OptionsFromEnv reads MESHMESH_HOME, MESHMESH_KEYCHAIN_SERVICE and
// MESHMESH_TOKEN_MAX_AGE through getenv. A malformed value is an error
// naming the variable.
func OptionsFromEnv(getenv func(string) string) (Options, error) {
	o := Options{Dir: getenv("MESHMESH_HOME"), Service: getenv("MESHMESH_KEYCHAIN_SERVICE"), TokenMaxAge: DefaultTokenMaxAge}
	if o.Dir == "" {
		dir, err := DefaultDir()
		if err != nil {
			return o, err
		}
		o.Dir = dir
	}
	if !filepath.IsAbs(o.Dir) {
		abs, err := filepath.Abs(o.Dir)
		if err != nil {
			return o, fmt.Errorf("MESHMESH_HOME=%q: %w", o.Dir, err)
		}
		o.Dir = abs
	}
	if raw := strings.TrimSpace(getenv("MESHMESH_TOKEN_MAX_AGE")); raw != "" {
		d, err := time.ParseDuration(raw)
		if raw == "0" {
			d, err = 0, nil
		}
		if err != nil || d < 0 {
			return o, fmt.Errorf("MESHMESH_TOKEN_MAX_AGE=%q is not a duration such as 10m, 90s or 0 (always refresh)", raw)
		}
		o.TokenMaxAge = d
	}
	return o, nil
}

// Store keeps connections: their tokens in the keychain, the rest in the
// index. It is safe for concurrent use by goroutines and by processes (the
// tray and scripts share it through file locks).
type Store struct {
	index   index
	secrets secrets
	engine  *oauth.Engine
	maxAge  time.Duration
	log     *slog.Logger
}

// Open returns the store described by opts. It touches nothing until used.
func Open(opts Options) (*Store, error) {
	if opts.Dir == "" {
		dir, err := DefaultDir()
		if err != nil {
			return nil, err
		}
		opts.Dir = dir
	}
	if opts.Service == "" {
		opts.Service = DefaultService
	}
	if opts.Keyring == nil {
		opts.Keyring = NewOSKeyring()
	}
	if opts.Engine == nil {
		opts.Engine = &oauth.Engine{Settings: oauth.DefaultSettings()}
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Store{
		index:   index{dir: opts.Dir},
		secrets: newSecrets(opts.Keyring, opts.Service, opts.KeyringTimeout),
		engine:  opts.Engine,
		maxAge:  opts.TokenMaxAge,
		log:     opts.Log,
	}, nil
}

// Dir returns the index folder.
func (s *Store) Dir() string { return s.index.dir }

// IndexPath returns the index file.
func (s *Store) IndexPath() string { return s.index.path() }

// List returns the connections, from the index alone: no keychain, no
// network.
func (s *Store) List(ctx context.Context) ([]Connection, error) {
	return s.index.read(ctx)
}

// Find returns the connection ref names: an alias, a username, an org id
// or a user id.
func (s *Store) Find(ctx context.Context, ref string) (Connection, error) {
	conns, err := s.index.read(ctx)
	if err != nil {
		return Connection{}, err
	}
	return find(conns, ref)
}

func find(conns []Connection, ref string) (Connection, error) {
	ref = strings.TrimSpace(ref)
	// An exact alias or username wins over an id.
	for _, c := range conns {
		if strings.EqualFold(ref, c.Alias) || strings.EqualFold(ref, c.Username) {
			return c, nil
		}
	}
	var found []Connection
	for _, c := range conns {
		if c.matches(ref) {
			found = append(found, c)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return Connection{}, &oauth.Diagnosis{
			Code:   OrgNotFound,
			Title:  fmt.Sprintf("No connection %q", ref),
			Advice: "Name a connection by its alias, username or org id; meshmesh list shows them. To add one, run meshmesh connect.",
		}
	}
	names := make([]string, len(found))
	for i, c := range found {
		names[i] = c.Name() + " (" + c.Username + ")"
	}
	return Connection{}, &oauth.Diagnosis{
		Code:   OrgAmbiguous,
		Title:  fmt.Sprintf("%q names %d connections", ref, len(found)),
		Advice: "Several users of this org are connected: " + strings.Join(names, ", ") + ". Name one by its alias or username.",
	}
}

// account is the keychain account of a connection: its username, which
// Salesforce keeps unique across all orgs, lower-cased as Salesforce
// compares it.
func account(username string) string { return strings.ToLower(username) }

// AddOptions say how to store a new grant.
type AddOptions struct {
	// Alias names the connection; empty keeps the existing alias of the
	// same user, or makes one from the org name.
	Alias string
	// ClientSecret is the custom app's consumer secret, kept in the
	// keychain for refreshes. Empty when the app needs none.
	ClientSecret string
	// Scopes are the scopes the login asked for, kept to reconnect alike.
	Scopes []string
	// Expect, when set, is the username the login must be for (a
	// reconnect): another user is refused with WrongUser.
	Expect string
	// SharedWithSF says that the Salesforce CLI holds the same refresh
	// token, as the grant's own SharedWithSF does.
	SharedWithSF bool

	// imported: an org taken over from the Salesforce CLI, which nobody
	// used yet (it does not lead the tray's Recent).
	imported bool
}

// Add stores a grant as a connection: the tokens in the keychain first,
// then the index entry. The same user connected again replaces the old
// connection, and the replaced refresh token is revoked at Salesforce —
// unless the Salesforce CLI may still hold it: it was shared with sf, and
// the new grant is not (sf keeps one token a user, so a new one from sf
// replaced it there too).
//
// Nothing is half-saved: on an error the keychain is left as it was and
// the grant, kept nowhere, is revoked — unless the Salesforce CLI shares
// it, or it replaces a connection and the keychain timed out while it may
// still be storing it. ctx bounds
// the wait for other processes; once the writes begin they are finished
// whatever ctx says (a half-saved grant is worse than a late answer), each
// with its own timeout.
func (s *Store) Add(ctx context.Context, g *oauth.Grant, opts AddOptions) (Connection, error) {
	if g.Token == nil || g.Token.RefreshToken == "" {
		return Connection{}, &oauth.Diagnosis{
			Code:   oauth.AuthorizationFailed,
			Title:  "No refresh token",
			Advice: "Salesforce granted no refresh token, so the connection could not be kept. Add the refresh_token (or offline_access) scope to the app and connect again.",
		}
	}
	opts.SharedWithSF = opts.SharedWithSF || g.SharedWithSF
	conn, replaced, maybeStored, err := s.add(ctx, g, opts)
	wctx := context.WithoutCancel(ctx)
	switch {
	case err != nil && opts.SharedWithSF:
		// sf keeps it: not ours to end.
	case err != nil && !maybeStored:
		// The grant is kept nowhere: end it at Salesforce.
		s.revoke(wctx, "unsaved grant", g.Org.LoginURL, g.Token.RefreshToken)
	case err == nil && replaced != nil && replaced.token != g.Token.RefreshToken && (!replaced.shared || opts.SharedWithSF):
		// The earlier grant is kept nowhere now: end it too (outside the
		// locks: a network call).
		s.revoke(wctx, "replaced grant", replaced.loginURL, replaced.token)
	}
	return conn, err
}

// revoke revokes a refresh token MeshMesh no longer keeps, logging a
// failure: the caller's work is done either way.
func (s *Store) revoke(ctx context.Context, what, loginURL, token string) {
	if loginURL == "" {
		return
	}
	if err := s.engine.Revoke(ctx, loginURL, token); err != nil {
		s.log.Warn(what+" not revoked", "err", err)
	}
}

// grantRef names a refresh token to revoke and where; shared says the
// Salesforce CLI may hold it still.
type grantRef struct {
	loginURL, token string
	shared          bool
}

// add does Add's work. It returns the grant the new one replaced, to be
// revoked; maybeStored reports, on an error, that the keychain may hold
// the new grant for an existing connection all the same (a write that
// timed out, or an undo that failed), so that it must not be revoked.
func (s *Store) add(ctx context.Context, g *oauth.Grant, opts AddOptions) (_ Connection, replacedGrant *grantRef, maybeStored bool, _ error) {
	org := g.Org
	if opts.Expect != "" && !strings.EqualFold(opts.Expect, org.Username) {
		return Connection{}, nil, false, &oauth.Diagnosis{
			Code:   WrongUser,
			Title:  fmt.Sprintf("Signed in as %s, not %s", org.Username, opts.Expect),
			Advice: fmt.Sprintf("The browser signed in as %s, but this connection is for %s. Log out of Salesforce in your browser (or use a private window) and reconnect; to add %s as its own connection, use meshmesh connect.", org.Username, opts.Expect, org.Username),
		}
	}
	if opts.Alias != "" {
		if err := ValidateAlias(opts.Alias); err != nil {
			return Connection{}, nil, false, err
		}
	}
	// The time the tokens arrived here, by this machine's clock: the cache
	// age is measured against it, not against Salesforce's issued_at.
	now := time.Now()
	conn := Connection{
		Username:    org.Username,
		OrgID:       org.OrgID,
		UserID:      org.UserID,
		OrgName:     org.OrgName,
		InstanceURL: org.InstanceURL,
		LoginURL:    org.LoginURL,
		Environment: org.Environment,
		Method:      org.Method,
		ClientID:    org.ClientID,
		Scopes:      opts.Scopes,
		Status:      Connected,
		IsSandbox:   org.IsSandbox,
		ConnectedAt: now.UTC().Truncate(time.Second),

		SharedWithSF: opts.SharedWithSF,
		OrgType:      org.OrganizationType,
		TrialExpires: org.TrialExpires,
	}
	if !opts.imported {
		conn.LastUsed = usedAt(now)
	}
	it := &item{
		RefreshToken: g.Token.RefreshToken,
		AccessToken:  g.Token.AccessToken,
		IssuedAt:     now.UnixMilli(),
		ClientSecret: opts.ClientSecret,
	}
	// No refresh of this user's earlier connection may write its item
	// back over the new one.
	unlock, err := s.lockConnection(ctx, org.OrgID, org.UserID, org.Username)
	if err != nil {
		return Connection{}, nil, false, err
	}
	defer unlock()
	var (
		wctx     = context.WithoutCancel(ctx) // for the writes, once the locks are held
		replaced *item                        // the item the new one overwrites, if any
		prior    Connection                   // the connection it replaces
		wrote    bool                         // the keychain item was written
		exists   bool                         // the index has a connection for this user
	)
	acct := account(conn.Username)
	err = s.index.update(ctx, func(conns []Connection) ([]Connection, error) {
		i := slices.IndexFunc(conns, func(c Connection) bool { return strings.EqualFold(c.Username, conn.Username) })
		exists = i >= 0
		switch {
		case opts.Alias != "":
			if other, err := find(conns, opts.Alias); err == nil && !strings.EqualFold(other.Username, conn.Username) {
				return nil, aliasTaken(opts.Alias, other)
			}
			conn.Alias = opts.Alias
		case exists:
			conn.Alias = conns[i].Alias
		default:
			conn.Alias = uniqueAlias(conns, defaultAlias(org), conn.Username)
		}
		prior = Connection{LoginURL: conn.LoginURL}
		if exists {
			prior = conns[i]
		}
		// An item may be there without an index entry (an index set
		// aside as corrupt): it is put back too if this fails.
		var err error
		replaced, err = s.secrets.get(wctx, acct)
		if err != nil && !errors.Is(err, errNotFound) && !errors.Is(err, errUnreadable) {
			return nil, err // the keychain is not usable: do not write
		}
		// The keychain first: an index entry without its item would be a
		// connection that cannot work.
		if err := s.secrets.set(wctx, acct, it); err != nil {
			maybeStored = exists && isTimeout(err)
			return nil, err
		}
		wrote = true
		if exists {
			// What the user made of it stays: its group, its place among
			// the favourites, and what a newer MeshMesh keeps.
			conn.Group, conn.Favourite, conn.extra = prior.Group, prior.Favourite, prior.extra
			if opts.imported {
				conn.LastUsed = prior.LastUsed
			}
			conns[i] = conn
			return conns, nil
		}
		return append(conns, conn), nil
	})
	if err != nil {
		if wrote {
			// The index could not be written: put the keychain back as it
			// was. If that fails too, the item may hold the new grant.
			var undo error
			if replaced != nil {
				undo = s.secrets.set(wctx, acct, replaced)
			} else {
				undo = s.secrets.delete(wctx, acct)
			}
			if undo != nil {
				s.log.Warn("keychain item not restored after a failed save", "username", conn.Username, "err", undo)
				return Connection{}, nil, exists, err
			}
		}
		return Connection{}, nil, maybeStored, err
	}
	s.log.Info("connection saved", "alias", conn.Alias, "username", conn.Username, "org_id", conn.OrgID, "method", conn.Method, "environment", conn.Environment)
	if replaced != nil {
		return conn, &grantRef{loginURL: prior.LoginURL, token: replaced.RefreshToken, shared: prior.SharedWithSF}, false, nil
	}
	return conn, nil, false, nil
}

// CheckAlias reports whether alias is valid and free, before a login: an
// alias that names another connection is refused (reconnect that one
// instead).
func (s *Store) CheckAlias(ctx context.Context, alias string) error {
	if err := ValidateAlias(alias); err != nil {
		return err
	}
	conns, err := s.index.read(ctx)
	if err != nil {
		return err
	}
	if c, err := find(conns, alias); err == nil {
		return aliasTaken(alias, c)
	}
	return nil
}

func aliasTaken(alias string, c Connection) error {
	return &oauth.Diagnosis{
		Code:   AliasTaken,
		Title:  fmt.Sprintf("Alias %q is taken", alias),
		Advice: fmt.Sprintf("%q already names %s (%s). To log that connection in again, run meshmesh reconnect %s; to connect that user another way, leave --alias out (the connection keeps its alias); otherwise pick another alias.", alias, c.Username, c.OrgName, c.Name()),
	}
}

// Reconnect returns the login request that logs connection ref in again
// (its method, environment, app and scopes, with its username as login
// hint) and the connection. Store the grant with Add and
// AddOptions{Expect: conn.Username}, passing ClientSecret on.
func (s *Store) Reconnect(ctx context.Context, ref string) (Connection, oauth.LoginRequest, error) {
	conn, err := s.Find(ctx, ref)
	if err != nil {
		return Connection{}, oauth.LoginRequest{}, err
	}
	req := oauth.LoginRequest{
		Method:    conn.Method,
		Target:    conn.Target(s.engine.Settings),
		App:       oauth.App{ClientID: conn.ClientID, Scopes: conn.Scopes},
		LoginHint: conn.Username,
	}
	if conn.Method == oauth.CustomApp {
		// The secret is needed again; a missing item is no obstacle to
		// logging in afresh if the app needs no secret.
		it, err := s.secrets.get(ctx, account(conn.Username))
		switch {
		case err == nil:
			req.App.ClientSecret = it.ClientSecret
		case !errors.Is(err, errNotFound) && !errors.Is(err, errUnreadable):
			return conn, req, err
		}
	}
	return conn, req, nil
}

// HasItem reports whether the keychain holds connection ref's item (its
// tokens and a custom app's consumer secret). An item that cannot be read
// as one counts as missing.
func (s *Store) HasItem(ctx context.Context, ref string) (bool, error) {
	conn, err := s.Find(ctx, ref)
	if err != nil {
		return false, err
	}
	_, err = s.secrets.get(ctx, account(conn.Username))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, errNotFound), errors.Is(err, errUnreadable):
		return false, nil
	}
	return false, err
}

// Remove revokes the connection's refresh token at Salesforce (which also
// ends its access tokens), then forgets the connection: keychain item and
// index entry. When Salesforce cannot be reached it still forgets it, and
// RevokeErr says why the token could not be revoked. A token the
// Salesforce CLI shares is not revoked (Removed.SharedWithSF) while sf
// holds it (or cannot say): sf keeps the org.
func (s *Store) Remove(ctx context.Context, ref string) (Removed, error) {
	conn, err := s.Find(ctx, ref)
	if err != nil {
		return Removed{}, err
	}
	// No refresh may write the item back once it is deleted.
	unlock, err := s.lockConnection(ctx, conn.OrgID, conn.UserID, conn.Username)
	if err != nil {
		return Removed{}, err
	}
	defer unlock()
	if conn, err = s.Find(ctx, conn.Username); err != nil { // as it is now
		return Removed{}, err
	}
	r := Removed{Connection: conn}
	it, err := s.secrets.get(ctx, account(conn.Username))
	switch {
	case err == nil && conn.SharedWithSF && s.sfHolds(ctx, conn, it.RefreshToken):
		r.SharedWithSF = true
	case err == nil:
		// From here on, finish: a revoked token left in the keychain
		// would be a connection that says connected and cannot work.
		ctx = context.WithoutCancel(ctx)
		if r.RevokeErr = s.engine.Revoke(ctx, conn.LoginURL, it.RefreshToken); r.RevokeErr == nil {
			r.Revoked = true
		}
	case errors.Is(err, errNotFound), errors.Is(err, errUnreadable):
		r.RevokeErr = errors.New("the keychain held no usable token for it")
	default:
		// Without the keychain the item would be orphaned: keep both.
		return r, err
	}
	if err := s.secrets.delete(ctx, account(conn.Username)); err != nil && !errors.Is(err, errNotFound) {
		if r.Revoked {
			s.setStatus(ctx, conn.Username, NeedsReconnect, "")
		}
		return r, err
	}
	err = s.index.update(ctx, func(conns []Connection) ([]Connection, error) {
		conns = slices.DeleteFunc(conns, func(c Connection) bool { return strings.EqualFold(c.Username, conn.Username) })
		renumberFavourites(conns, Favourites(conns)) // no gap where it was
		return conns, nil
	})
	if err != nil {
		return r, err
	}
	s.log.Info("connection removed", "alias", conn.Alias, "username", conn.Username, "revoked", r.Revoked)
	return r, nil
}

// sfHolds reports whether the Salesforce CLI may still hold a shared
// connection's token: yes unless sf says it holds another one, or none
// (sf org logout, a newer login). When sf cannot tell, it may.
func (s *Store) sfHolds(ctx context.Context, conn Connection, refreshToken string) bool {
	held, err := s.engine.SFHolds(ctx, conn.Username, refreshToken)
	if err != nil {
		s.log.Warn("could not ask the Salesforce CLI whether it holds the token: not revoked", "username", conn.Username, "err", err)
		return true
	}
	if !held {
		s.log.Info("the Salesforce CLI no longer holds the shared token: revoking it", "username", conn.Username)
	}
	return held
}

// lockConnection takes the lock of one connection, shared by every
// process: whoever holds it may write the connection's keychain item.
// Locks are taken in one order: a connection's, then the index's. (A
// sandbox keeps its production users' ids: the org id tells them apart.)
func (s *Store) lockConnection(ctx context.Context, orgID, userID, username string) (unlock func(), err error) {
	name := orgID + "-" + userID
	if orgID == "" || userID == "" || strings.ContainsAny(name, `/\:.`) {
		name = fmt.Sprintf("%x", sha256.Sum256([]byte(account(username))))[:20]
	}
	return s.index.lock(ctx, "connection-"+name)
}

// Removed is what Remove did.
type Removed struct {
	Connection Connection
	Revoked    bool  // Salesforce revoked the refresh token
	RevokeErr  error // why it did not, when it did not (and it was not shared)
	// SharedWithSF: the Salesforce CLI shares the token, so it was left
	// valid; sf org logout ends it there.
	SharedWithSF bool
}

// setShared records whether the Salesforce CLI shares a connection's
// token.
func (s *Store) setShared(ctx context.Context, username string, shared bool) {
	if err := s.index.update(ctx, markShared(username, shared)); err != nil {
		s.log.Warn("shared_with_sf not recorded", "username", username, "shared", shared, "err", err)
	}
}

// setStatus records what a check learned of a connection.
func (s *Store) setStatus(ctx context.Context, username string, status Status, instanceURL string) {
	err := s.index.update(ctx, func(conns []Connection) ([]Connection, error) {
		for i := range conns {
			if strings.EqualFold(conns[i].Username, username) {
				conns[i].Status = status
				if instanceURL != "" {
					conns[i].InstanceURL = instanceURL
				}
			}
		}
		return conns, nil
	})
	if err != nil {
		s.log.Warn("status not saved", "username", username, "status", status, "err", err)
	}
}
