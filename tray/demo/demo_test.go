package demo_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/meshmesh/meshmesh/keychain"
	"github.com/meshmesh/meshmesh/keychain/keychaintest"
	"github.com/meshmesh/meshmesh/oauth/sftest"
	"github.com/meshmesh/meshmesh/tray/demo"
)

// demo --orgs 40: the samples and 40 client orgs, of every kind, five
// groups, three favourites, each working; all forgotten at Close.
func TestClientOrgs(t *testing.T) {
	ctx := context.Background()
	kr := &keychaintest.MemoryKeyring{}
	w, err := demo.Start(ctx, demo.Options{Dir: filepath.Join(t.TempDir(), "demo"), CallbackPort: sftest.CallbackPort(t), Keyring: kr, Orgs: 40})
	if err != nil {
		t.Fatal(err)
	}
	conns, err := w.Store.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(conns) != 43 {
		t.Fatalf("%d connections, want 43", len(conns))
	}
	kinds := map[keychain.Category]int{}
	for _, c := range conns {
		kinds[c.Category()]++
	}
	if kinds[keychain.CategoryProduction] == 0 || kinds[keychain.CategorySandbox] == 0 || kinds[keychain.CategoryDeveloper] == 0 {
		t.Errorf("kinds of org %v, want some of each", kinds)
	}
	if g := keychain.Groups(conns); len(g) != 5 {
		t.Errorf("groups %q, want 5", g)
	}
	if f := keychain.Favourites(conns); len(f) != 3 || f[0].Alias != "client-001" {
		t.Errorf("favourites %v, want client-001, -002, -003", f)
	}
	if _, err := w.Store.Token(ctx, "client-040-uat", true); err != nil {
		t.Errorf("a client org's refresh: %v", err)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if n := kr.Len(); n != 0 {
		t.Errorf("%d keychain items left after Close", n)
	}
}
