package keychain

import (
	"context"
	"strings"
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
