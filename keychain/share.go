package keychain

import (
	"context"
	"strings"

	"github.com/meshmesh/meshmesh/oauth"
)

// Credentials are what another client needs to refresh a connection's
// tokens itself: secrets, never to be logged.
type Credentials struct {
	RefreshToken string
	ClientSecret string // empty when the app needs none
}

// ShareWithSF returns what the Salesforce CLI needs to hold connection ref
// too (meshmesh export-sf), and marks the connection SharedWithSF: from
// then on MeshMesh no longer revokes its token, which would sign sf out.
// It calls no org.
func (s *Store) ShareWithSF(ctx context.Context, ref string) (Connection, Credentials, error) {
	conn, err := s.Find(ctx, ref)
	if err != nil {
		return Connection{}, Credentials{}, err
	}
	// No refresh may rotate the token between the read and the mark.
	unlock, err := s.lockConnection(ctx, conn.OrgID, conn.UserID, conn.Username)
	if err != nil {
		return Connection{}, Credentials{}, err
	}
	defer unlock()
	it, err := s.secrets.get(ctx, account(conn.Username))
	if err != nil {
		return Connection{}, Credentials{}, s.missing(ctx, conn, err)
	}
	if !conn.SharedWithSF {
		err := s.index.update(ctx, func(conns []Connection) ([]Connection, error) {
			for i := range conns {
				if strings.EqualFold(conns[i].Username, conn.Username) {
					conns[i].SharedWithSF = true
				}
			}
			return conns, nil
		})
		if err != nil {
			return Connection{}, Credentials{}, err
		}
		conn.SharedWithSF = true
	}
	return conn, Credentials{RefreshToken: it.RefreshToken, ClientSecret: it.ClientSecret}, nil
}

// AddFromSF stores an org taken over from the Salesforce CLI
// (oauth.Engine.ImportSF): a connection of the same user is updated, its
// alias kept; a new one takes sf's alias when that is a valid alias that
// no other connection has (and not the meshmesh-… alias of a Quick
// Connect), else one made from the org name. existed says it updated.
func (s *Store) AddFromSF(ctx context.Context, im oauth.SFImport) (_ Connection, existed bool, _ error) {
	if im.Err != nil {
		return Connection{}, false, im.Err
	}
	_, err := s.Find(ctx, im.Grant.Org.Username)
	existed = err == nil
	opts := AddOptions{SharedWithSF: true}
	if a := im.Org.Alias; !existed && a != "" && !strings.HasPrefix(a, "meshmesh-") &&
		ValidateAlias(a) == nil && s.CheckAlias(ctx, a) == nil {
		opts.Alias = a
	}
	conn, err := s.Add(ctx, im.Grant, opts)
	return conn, existed, err
}
