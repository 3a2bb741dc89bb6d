package keychain_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/meshmesh/meshmesh/keychain"
	"github.com/meshmesh/meshmesh/keychain/keychaintest"
	"github.com/meshmesh/meshmesh/oauth"
	"golang.org/x/oauth2"
)

// BenchmarkTokenCached measures handing out a cached access token: one
// index read and one keychain read, no network.
func BenchmarkTokenCached(b *testing.B) {
	for _, kr := range []struct {
		name string
		kr   keychain.Keyring
	}{
		{"memory", newMemKeyring()},
		{"secret-service", keychain.OSKeyring{}},
		{"secret-service-quick", keychain.NewOSKeyring()},
	} {
		b.Run(kr.name, func(b *testing.B) {
			if strings.HasPrefix(kr.name, "secret-service") {
				keychaintest.Require(b)
			}
			s, _ := keychain.Open(keychain.Options{Dir: b.TempDir(), Service: "meshmesh-bench", Keyring: kr.kr, TokenMaxAge: time.Hour})
			if _, err := s.Add(ctx, benchGrant(0), keychain.AddOptions{Alias: "acme"}); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := s.Token(ctx, "acme", false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRefresh measures a refresh against the fake on loopback: the
// store's share of a refresh (lock, keychain write, index) plus the fake's.
func BenchmarkRefresh(b *testing.B) {
	f := newFixture(b, newMemKeyring())
	f.connect(f.admin, oauth.Production, "")
	for b.Loop() {
		if _, err := f.store.Token(ctx, "acme-corp", true); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkList measures listing 200 connections (the index alone).
func BenchmarkList(b *testing.B) {
	s, _ := keychain.Open(keychain.Options{Dir: b.TempDir(), Keyring: newMemKeyring()})
	for i := range 200 {
		if _, err := s.Add(ctx, benchGrant(i), keychain.AddOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if conns, err := s.List(ctx); err != nil || len(conns) != 200 {
			b.Fatal(len(conns), err)
		}
	}
}

func benchGrant(i int) *oauth.Grant {
	return &oauth.Grant{
		Org: oauth.Org{
			Username: fmt.Sprintf("user%d@acme.example", i), UserID: fmt.Sprintf("005%015d", i), OrgID: "00D000000000001AAA",
			OrgName: "Acme Corp", InstanceURL: "https://acme.my.salesforce.com", LoginURL: "https://login.salesforce.com",
			Environment: oauth.Production, Method: oauth.CustomApp, ClientID: "3MVG9bench",
		},
		Token:    &oauth2.Token{AccessToken: "00D000000000001!AQ" + fmt.Sprint(i), RefreshToken: "5Aep861bench" + fmt.Sprint(i)},
		IssuedAt: time.Now(),
	}
}
