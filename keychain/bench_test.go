package keychain_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
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

// BenchmarkListThousand measures reading an index of 1,000 connections, which every
// command and each reload of the tray does: as this version writes it, and
// with a field it does not know in each connection (kept, read slower).
func BenchmarkListThousand(b *testing.B) {
	for _, extra := range []bool{false, true} {
		b.Run(map[bool]string{false: "plain", true: "unknown-fields"}[extra], func(b *testing.B) {
			dir := b.TempDir()
			var conns []json.RawMessage
			for i := range 1000 {
				c, _ := json.Marshal(keychain.Connection{Alias: fmt.Sprintf("org-%d", i), Username: fmt.Sprintf("admin@org%d.example", i),
					OrgID: "00D000000000001AAA", UserID: "005000000000001AAA", OrgName: "Org", InstanceURL: "https://org.my.salesforce.com",
					LoginURL: "https://login.salesforce.com", Environment: oauth.Production, Method: oauth.CustomApp, ClientID: "3MVG9bench",
					Status: keychain.Connected, Group: "Clients"})
				if extra {
					c = append(c[:len(c)-1], `,"colour":"red"}`...)
				}
				conns = append(conns, c)
			}
			index, _ := json.Marshal(map[string]any{"version": 1, "connections": conns})
			if err := os.WriteFile(filepath.Join(dir, keychain.IndexFile), index, 0o600); err != nil {
				b.Fatal(err)
			}
			s, _ := keychain.Open(keychain.Options{Dir: dir, Keyring: newMemKeyring()})
			for b.Loop() {
				if conns, err := s.List(ctx); err != nil || len(conns) != 1000 {
					b.Fatal(len(conns), err)
				}
			}
		})
	}
}
