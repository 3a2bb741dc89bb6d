package keychain

import (
	"context"
	"errors"
	"strings"

	"github.com/meshmesh/meshmesh/oauth"
)

// Credentials are what another client needs to refresh a connection's
// tokens itself: secrets, never to be logged.
type Credentials struct {
	RefreshToken string
	ClientSecret string // empty when the app needs none
}

// ShareWithSF hands connection ref's credentials to give, which gives them
// to the Salesforce CLI (meshmesh export-sf prints them for sf org login
// sfdx-url). When give succeeds, the connection is marked SharedWithSF:
// from then on MeshMesh no longer revokes its token, which would sign sf
// out. No refresh can rotate the token meanwhile. It calls no org.
func (s *Store) ShareWithSF(ctx context.Context, ref string, give func(Connection, Credentials) error) (Connection, error) {
	conn, err := s.Find(ctx, ref)
	if err != nil {
		return Connection{}, err
	}
	unlock, err := s.lockConnection(ctx, conn.OrgID, conn.UserID, conn.Username)
	if err != nil {
		return Connection{}, err
	}
	defer unlock()
	it, err := s.secrets.get(ctx, account(conn.Username))
	if err != nil {
		return Connection{}, s.missing(ctx, conn, err)
	}
	// Marked before it is given: a mark lost after would let a later
	// Remove revoke what sf holds.
	wasShared := conn.SharedWithSF
	if !wasShared {
		if err := s.index.update(context.WithoutCancel(ctx), markShared(conn.Username, true)); err != nil {
			return Connection{}, err
		}
		conn.SharedWithSF = true
	}
	if err := give(conn, Credentials{RefreshToken: it.RefreshToken, ClientSecret: it.ClientSecret}); err != nil {
		if !wasShared {
			s.setShared(context.WithoutCancel(ctx), conn.Username, false)
		}
		return Connection{}, err
	}
	return conn, nil
}

// markShared is the index update that sets a connection's SharedWithSF.
func markShared(username string, shared bool) func([]Connection) ([]Connection, error) {
	return func(conns []Connection) ([]Connection, error) {
		for i := range conns {
			if strings.EqualFold(conns[i].Username, username) {
				conns[i].SharedWithSF = shared
			}
		}
		return conns, nil
	}
}

// SFOutcome is what AddFromSF did with an org of sf's.
type SFOutcome string

// The outcomes of AddFromSF.
const (
	SFImported SFOutcome = "imported" // a new connection
	SFUpdated  SFOutcome = "updated"  // the connection of the same user, with sf's token now
	SFKept     SFOutcome = "kept"     // the user's own connection (another app) left as it was
)

// AddFromSF stores an org taken over from the Salesforce CLI
// (oauth.Engine.ImportSF). A connection of the same user is updated, its
// alias kept — unless it is one of MeshMesh's own, made with another app
// than sf's: that one is kept as it is (SFKept), since replacing it would
// end it. A new connection takes the first of sf's aliases that is a
// valid alias no other connection has, the user's own before Quick
// Connect's meshmesh-…, else one made from the org name.
func (s *Store) AddFromSF(ctx context.Context, im oauth.SFImport) (Connection, SFOutcome, error) {
	if im.Err != nil {
		return Connection{}, "", im.Err
	}
	prior, err := s.Find(ctx, im.Grant.Org.Username)
	var d *oauth.Diagnosis
	switch {
	case err == nil && !prior.SharedWithSF && prior.ClientID != im.Grant.Org.ClientID:
		return prior, SFKept, nil
	case err != nil && !(errors.As(err, &d) && d.Code == OrgNotFound):
		return Connection{}, "", err
	}
	existed := err == nil
	opts := AddOptions{ClientSecret: im.ClientSecret, imported: true} // shared as the grant says: not after a rotation
	if !existed {
		for _, a := range append(im.Aliases, im.Org.Alias) {
			if a != "" && !strings.HasPrefix(a, oauth.SFAliasPrefix) && ValidateAlias(a) == nil && s.CheckAlias(ctx, a) == nil {
				opts.Alias = a
				break
			}
		}
	}
	conn, err := s.Add(ctx, im.Grant, opts)
	if err != nil {
		return Connection{}, "", err
	}
	if existed {
		return conn, SFUpdated, nil
	}
	return conn, SFImported, nil
}
