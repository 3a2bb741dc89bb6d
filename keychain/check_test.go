package keychain_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshmesh/meshmesh/keychain"
	"github.com/meshmesh/meshmesh/oauth"
	"github.com/meshmesh/meshmesh/oauth/sftest"
)

// A health check refreshes each connection, and writes the keychain only
// when Salesforce rotated the refresh token.
func TestCheck(t *testing.T) {
	t.Run("connected", func(t *testing.T) {
		kr := newMemKeyring()
		f := newFixture(t, kr)
		conn := f.connect(f.admin, oauth.Production, "")
		cached, _ := f.store.Token(ctx, conn.Alias, false)
		kr.sets.Store(0)
		f.sf.ResetRequests()
		for range 2 {
			if st, err := f.store.Check(ctx, conn); st != keychain.Connected || err != nil {
				t.Fatalf("Check = %s, %v; want connected", st, err)
			}
		}
		if n := f.requests("/services/oauth2/token"); n != 2 {
			t.Errorf("%d refreshes for 2 checks, want 2", n)
		}
		if n := kr.sets.Load(); n != 0 {
			t.Errorf("%d keychain writes by checks without rotation, want 0", n)
		}
		// The cached access token is still the one handed out.
		if tok, err := f.store.Token(ctx, conn.Alias, false); err != nil || tok.Refreshed || tok.AccessToken != cached.AccessToken {
			t.Errorf("after checks the cached token is %+v, %v; want the one before", tok, err)
		}
	})

	t.Run("rotation", func(t *testing.T) {
		kr := newMemKeyring()
		f := newFixture(t, kr)
		f.sf.Change(func() { f.app.RotateRefreshTokens = true })
		conn := f.connect(f.admin, oauth.Production, "")
		before, _ := kr.Get(f.opts.Service, f.admin.Username)
		kr.sets.Store(0)
		if st, err := f.store.Check(ctx, conn); st != keychain.Connected || err != nil {
			t.Fatalf("Check = %s, %v; want connected", st, err)
		}
		if n := kr.sets.Load(); n != 1 {
			t.Errorf("%d keychain writes for a rotated token, want 1", n)
		}
		if after, _ := kr.Get(f.opts.Service, f.admin.Username); after == before {
			t.Error("the rotated refresh token was not saved")
		}
		// The saved token works (the old one died with the rotation).
		if st, err := f.store.Check(ctx, conn); st != keychain.Connected || err != nil {
			t.Errorf("second Check = %s, %v", st, err)
		}
		if _, err := f.store.Token(ctx, conn.Alias, true); err != nil {
			t.Errorf("refresh after the checks: %v", err)
		}
	})

	t.Run("revoked", func(t *testing.T) {
		kr := newMemKeyring()
		f := newFixture(t, kr)
		conn := f.connect(f.admin, oauth.Production, "")
		f.sf.RevokeRefreshTokens(f.admin)
		kr.sets.Store(0)
		st, err := f.store.Check(ctx, conn)
		d := wantCode(t, err, oauth.RefreshTokenExpired)
		if st != keychain.NeedsReconnect || d.SalesforceError != "invalid_grant" {
			t.Errorf("Check = %s, %s (%s); want needs_reconnect and Salesforce's words", st, d.Code, d.SalesforceError)
		}
		if c, _ := f.store.Find(ctx, conn.Alias); c.Status != keychain.NeedsReconnect {
			t.Errorf("the index says %s, want needs_reconnect", c.Status)
		}
		if n := kr.sets.Load(); n != 0 {
			t.Errorf("%d keychain writes, want 0", n)
		}
	})

	t.Run("item removed", func(t *testing.T) {
		kr := newMemKeyring()
		f := newFixture(t, kr)
		conn := f.connect(f.admin, oauth.Production, "")
		kr.Delete(f.opts.Service, f.admin.Username)
		st, err := f.store.Check(ctx, conn)
		d := wantCode(t, err, keychain.ItemMissing)
		if st != keychain.NeedsReconnect || !strings.Contains(d.Advice, "meshmesh reconnect "+conn.Alias) {
			t.Errorf("Check = %s, %q; want needs_reconnect", st, d.Advice)
		}
		if c, _ := f.store.Find(ctx, conn.Alias); c.Status != keychain.NeedsReconnect {
			t.Errorf("the index says %s, want needs_reconnect", c.Status)
		}
	})

	t.Run("unreachable", func(t *testing.T) {
		f := newFixture(t, newMemKeyring())
		conn := f.connect(f.admin, oauth.Production, "")
		f.sf.Close()
		st, err := f.store.Check(ctx, conn)
		wantCode(t, err, oauth.ConnectionTimeout)
		if st != keychain.Unknown {
			t.Errorf("Check = %s, want unknown", st)
		}
	})
}

// blockKeyring makes kr's calls from now on wait until released (a value
// sent on the channel releases one; closing it, all).
func blockKeyring(kr *memKeyring) chan struct{} {
	block := make(chan struct{})
	kr.mu.Lock()
	kr.block = block
	kr.mu.Unlock()
	kr.calls.Store(0)
	return block
}

func unblockKeyring(kr *memKeyring) {
	kr.mu.Lock()
	kr.block = nil
	kr.mu.Unlock()
}

// waitCalls waits until kr has been called n times.
func waitCalls(t *testing.T, kr *memKeyring, n int32) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for kr.calls.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d keychain calls, want %d", kr.calls.Load(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Up to KeyringParallel keychain calls run at once; the others wait for
// one to end.
func TestKeyringParallel(t *testing.T) {
	kr := newMemKeyring()
	f := newFixture(t, kr)
	f.connect(f.admin, oauth.Production, "")
	s := f.open(func(o keychain.Options) keychain.Options { o.KeyringTimeout = 20 * time.Second; return o }(f.opts))
	block := blockKeyring(kr)
	const callers = keychain.KeyringParallel + 2
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Go(func() {
			_, err := s.Token(ctx, "acme-corp", false)
			errs <- err
		})
	}
	waitCalls(t, kr, keychain.KeyringParallel) // 4 calls in the keychain at once
	time.Sleep(100 * time.Millisecond)
	if n := kr.calls.Load(); n != keychain.KeyringParallel {
		t.Errorf("%d keychain calls at once, want %d", n, keychain.KeyringParallel)
	}
	unblockKeyring(kr)
	close(block)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Token: %v", err)
		}
	}
	if n := kr.calls.Load(); n != callers {
		t.Errorf("%d keychain calls, want %d", n, callers)
	}
}

// While calls that timed out still hang, no caller asks the keychain
// again, however many there are and however many slots are free; once
// the last hung call returns, calls flow again.
func TestKeyringHungCallsStopTheOthers(t *testing.T) {
	kr := newMemKeyring()
	f := newFixture(t, kr)
	f.connect(f.admin, oauth.Production, "")
	s := f.open(func(o keychain.Options) keychain.Options { o.KeyringTimeout = 100 * time.Millisecond; return o }(f.opts))
	block := blockKeyring(kr)

	tokens := func(n int) []error {
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() { _, errs[i] = s.Token(ctx, "acme-corp", false) })
		}
		wg.Wait()
		return errs
	}
	// Two calls hang and time out.
	for _, err := range tokens(2) {
		wantCode(t, err, keychain.KeychainTimeout)
	}
	if n := kr.calls.Load(); n != 2 {
		t.Fatalf("%d keychain calls, want 2", n)
	}
	notAsked := func(when string) {
		t.Helper()
		for _, err := range tokens(keychain.KeyringParallel) {
			d := wantCode(t, err, keychain.KeychainTimeout)
			if !strings.Contains(d.Err.Error(), "has not returned") {
				t.Errorf("%s: %v, want an earlier call that has not returned", when, d.Err)
			}
		}
		if n := kr.calls.Load(); n != 2 {
			t.Errorf("%s: %d keychain calls, want still 2", when, n)
		}
	}
	notAsked("both hang")

	block <- struct{}{} // one of them returns
	notAsked("one hangs still")

	unblockKeyring(kr)
	block <- struct{}{} // the other too
	deadline := time.Now().Add(5 * time.Second)
	for {
		errs := tokens(keychain.KeyringParallel)
		ok := true
		for _, err := range errs {
			ok = ok && err == nil
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the hung calls returned: %v", errs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := kr.calls.Load(); n < 2+keychain.KeyringParallel {
		t.Errorf("%d keychain calls, want the callers' too", n)
	}
}

// A check reads the connections before it refreshes them: one connected
// again meanwhile with another app is checked as it is now, not marked
// needs reconnect for the old app's failure.
func TestCheckAfterReconnectWithAnotherApp(t *testing.T) {
	f := newFixture(t, newMemKeyring())
	before := f.connect(f.admin, oauth.Production, "acme")
	other := f.sf.AddApp(sftest.App{Kind: sftest.ConnectedApp, OwnerOrg: f.prod, RequireSecret: true,
		Scopes: []string{"api", "refresh_token", "offline_access", "web"}, InstalledIn: []*sftest.Org{f.prod}})
	tok := f.sf.Grant(f.sf.Production, other, f.admin, other.Scopes)
	g := f.grant(f.admin, oauth.Production) // the org as a login finds it
	g.Org.ClientID = other.ClientID
	g.Token.AccessToken, g.Token.RefreshToken = tok.AccessToken, tok.RefreshToken
	if _, err := f.store.Add(ctx, g, keychain.AddOptions{ClientSecret: other.ClientSecret}); err != nil {
		t.Fatal(err)
	}
	status, err := f.store.Check(ctx, before)
	if err != nil || status != keychain.Connected {
		t.Fatalf("Check of the connection read before its reconnect = %s, %v; want connected", status, err)
	}
	if c, _ := f.store.Find(ctx, "acme"); c.Status != keychain.Connected || c.ClientID != other.ClientID {
		t.Errorf("after the check: %s with app %s", c.Status, c.ClientID)
	}
}

// Favourites are numbered 1, 2, 3… in order: a removed one leaves no
// gap, and MoveFavouriteTo places one by its place.
func TestFavouritePlaces(t *testing.T) {
	f := newFixture(t, newMemKeyring())
	f.connect(f.admin, oauth.Production, "a")
	f.connect(f.dev, oauth.Production, "b")
	f.connect(f.tester, oauth.Sandbox, "c")
	for _, ref := range []string{"a", "b", "c"} {
		if _, err := f.store.SetFavourite(ctx, ref, true); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.store.Remove(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	places := func() string {
		conns, _ := f.store.List(ctx)
		var out []string
		for _, c := range keychain.Favourites(conns) {
			out = append(out, fmt.Sprintf("%s=%d", c.Alias, c.Favourite))
		}
		return strings.Join(out, " ")
	}
	if got := places(); got != "b=1 c=2" {
		t.Errorf("after removing the first: %s, want b=1 c=2", got)
	}
	for _, tt := range []struct {
		ref  string
		at   int
		want string
	}{
		{"c", 1, "c=1 b=2"},
		{"c", 9, "b=1 c=2"}, // past the last: the last
		{"b", 0, "b=1 c=2"}, // before the first: the first
		{"b", 2, "c=1 b=2"},
	} {
		if _, err := f.store.MoveFavouriteTo(ctx, tt.ref, tt.at); err != nil {
			t.Fatal(err)
		}
		if got := places(); got != tt.want {
			t.Errorf("MoveFavouriteTo(%s, %d): %s, want %s", tt.ref, tt.at, got, tt.want)
		}
	}
}
