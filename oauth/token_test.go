package oauth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meshmesh/meshmesh/oauth"
	"github.com/meshmesh/meshmesh/oauth/sftest"
)

// connect logs the admin in to production with the custom app.
func (w *world) connect() *oauth.Grant {
	w.t.Helper()
	g, err := w.login(w.custom(oauth.Production))
	if err != nil {
		w.t.Fatal(err)
	}
	return g
}

func (w *world) appCreds() oauth.App {
	return oauth.App{ClientID: w.app.ClientID, ClientSecret: w.app.ClientSecret}
}

func TestRefresh(t *testing.T) {
	ctx := context.Background()
	for _, rotate := range []bool{false, true} {
		name := map[bool]string{false: "without rotation", true: "with rotation"}[rotate]
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			w.app.RotateRefreshTokens = rotate
			g := w.connect()
			r, err := w.engine.Refresh(ctx, g.Org.LoginURL, w.appCreds(), g.Token.RefreshToken)
			if err != nil {
				t.Fatal(err)
			}
			if r.Rotated != rotate || (r.Token.RefreshToken != g.Token.RefreshToken) != rotate {
				t.Errorf("rotated = %v, refresh token changed = %v; want %v", r.Rotated, r.Token.RefreshToken != g.Token.RefreshToken, rotate)
			}
			if r.Token.AccessToken == "" || r.Token.AccessToken == g.Token.AccessToken || !r.Token.Expiry.IsZero() || r.InstanceURL != w.prod.Host.URL {
				t.Errorf("refreshed token %+v, instance %s", r.Token.Expiry, r.InstanceURL)
			}
			if _, err := w.engine.Identify(ctx, r.InstanceURL, r.Token.AccessToken); err != nil {
				t.Errorf("new access token does not work: %v", err)
			}
			// With rotation the old refresh token is dead.
			_, err = w.engine.Refresh(ctx, g.Org.LoginURL, w.appCreds(), g.Token.RefreshToken)
			if rotate {
				wantDiagnosis(t, err, oauth.RefreshTokenExpired)
			} else if err != nil {
				t.Errorf("second refresh with the same token: %v", err)
			}
		})
	}
}

func TestRefreshRevoked(t *testing.T) {
	w := newWorld(t)
	g := w.connect()
	w.sf.RevokeRefreshTokens(w.admin)
	_, err := w.engine.Refresh(context.Background(), g.Org.LoginURL, w.appCreds(), g.Token.RefreshToken)
	d := wantDiagnosis(t, err, oauth.RefreshTokenExpired)
	if d.SalesforceError != "invalid_grant" || d.SalesforceDescription != "expired access/refresh token" {
		t.Errorf("Salesforce words %q %q", d.SalesforceError, d.SalesforceDescription)
	}
	if len(d.Fixes) != 1 || d.Fixes[0].Kind != oauth.FixReconnect {
		t.Errorf("fixes %+v", d.Fixes)
	}
	if strings.Contains(d.Error(), g.Token.RefreshToken) {
		t.Error("the diagnosis carries the refresh token")
	}
}

func TestRevoke(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	g := w.connect()
	if err := w.engine.Revoke(ctx, g.Org.LoginURL, g.Token.RefreshToken); err != nil {
		t.Fatal(err)
	}
	// Revoking the refresh token killed its access token too.
	_, err := w.engine.Identify(ctx, g.Org.InstanceURL, g.Token.AccessToken)
	if err == nil {
		t.Error("access token still works after revoking its refresh token")
	}
	_, err = w.engine.Refresh(ctx, g.Org.LoginURL, w.appCreds(), g.Token.RefreshToken)
	wantDiagnosis(t, err, oauth.RefreshTokenExpired)
	// Revoking again: Salesforce says invalid_token, which counts as revoked.
	if err := w.engine.Revoke(ctx, g.Org.LoginURL, g.Token.RefreshToken); err != nil {
		t.Errorf("second revoke: %v", err)
	}
	if n := len(w.requests("/services/oauth2/revoke")); n != 2 {
		t.Errorf("%d revoke requests, want 2", n)
	}
}

func TestFrontdoorURL(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	g := w.connect()
	u, err := w.engine.FrontdoorURL(ctx, g.Org.InstanceURL, g.Token.AccessToken, "/lightning/setup/SetupOneHome/home")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u, g.Org.InstanceURL+"/secur/frontdoor.jsp?") {
		t.Errorf("frontdoor URL %s", u)
	}
	// A browser opens it once.
	b := &sftest.Browser{}
	v, err := b.Open(ctx, u)
	if err != nil || v.Status != http.StatusOK || !strings.Contains(v.URL, "/lightning/setup/SetupOneHome/home") {
		t.Errorf("opening the frontdoor URL: %+v, %v", v, err)
	}
	// A dead access token: singleaccess answers 403, which asks for a refresh.
	w.sf.ExpireAccessTokens()
	_, err = w.engine.FrontdoorURL(ctx, g.Org.InstanceURL, g.Token.AccessToken, "")
	if !errors.Is(err, oauth.ErrInvalidSession) {
		t.Fatalf("frontdoor with an expired token: %v, want ErrInvalidSession", err)
	}
	_, err = w.engine.Identify(ctx, g.Org.InstanceURL, g.Token.AccessToken)
	if !errors.Is(err, oauth.ErrInvalidSession) {
		t.Fatalf("userinfo with an expired token: %v, want ErrInvalidSession", err)
	}
	wantDiagnosis(t, oauth.Diagnose(err, oauth.Situation{Step: oauth.StepAPI}), oauth.SessionExpired)
}

func TestClientCredentials(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	creds := w.appCreds()
	myDomain := oauth.Target{Environment: oauth.CustomDomain, Domain: w.prod.Host.URL}

	// Only on a My Domain: refused before any request.
	_, err := w.engine.ClientCredentials(ctx, oauth.Target{Environment: oauth.Production}, creds)
	wantDiagnosis(t, err, oauth.ClientCredentialsFailed)

	// No Run As user: Salesforce's own words.
	_, err = w.engine.ClientCredentials(ctx, myDomain, creds)
	d := wantDiagnosis(t, err, oauth.ClientCredentialsFailed)
	if d.SalesforceDescription != "no client credentials user enabled" || !strings.Contains(d.Advice, "Run As") {
		t.Errorf("%q: %s", d.SalesforceDescription, d.Advice)
	}

	// Wrong secret.
	w.app.RunAs = w.admin
	bad := creds
	bad.ClientSecret = "nope"
	_, err = w.engine.ClientCredentials(ctx, myDomain, bad)
	wantDiagnosis(t, err, oauth.InvalidClientSecret)

	g, err := w.engine.ClientCredentials(ctx, myDomain, creds)
	if err != nil {
		t.Fatal(err)
	}
	if g.Org.Username != w.admin.Username || g.Org.OrgID != w.prod.ID || g.Token.RefreshToken != "" {
		t.Errorf("grant %+v (refresh token present: %v)", g.Org, g.Token.RefreshToken != "")
	}
}

// A frontdoor URL is opened through a one-shot loopback redirect: the
// browser's command line never carries its one-time secret, and the
// browser gets the whole redirect even when it loads the page after its
// command has exited (as a running browser does) and OpenSecretURL
// returns as soon as it has asked.
func TestOpenSecretURL(t *testing.T) {
	for _, tt := range []struct {
		name   string
		detach string // SFTEST_BROWSER_DETACH
		times  int
	}{
		{"the browser command loads the page", "", 1},
		{"a browser in the background loads it", "1", 10},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			w := newWorld(t)
			g := w.connect()
			t.Setenv("SFTEST_BROWSER_DETACH", tt.detach)
			t.Setenv("SFTEST_BROWSER_DELAY", "0s")
			for i := range tt.times {
				u, err := w.engine.FrontdoorURL(ctx, g.Org.InstanceURL, g.Token.AccessToken, "/lightning/page/home")
				if err != nil {
					t.Fatal(err)
				}
				logFile := filepath.Join(t.TempDir(), "browser.jsonl")
				t.Setenv("SFTEST_BROWSER_LOG", logFile)
				if err := oauth.OpenSecretURL(ctx, w.engine.Settings.Browser, u); err != nil {
					t.Fatal(err)
				}
				var line struct{ Opened, URL, Error string }
				b := waitForFile(t, logFile)
				if err := json.Unmarshal(b, &line); err != nil {
					t.Fatalf("browser log %q: %v", b, err)
				}
				if !strings.HasPrefix(line.Opened, "http://127.0.0.1:") || strings.Contains(line.Opened, "otp") || strings.Contains(line.Opened, "frontdoor") {
					t.Errorf("the browser was given %s, want a loopback address without the secret", line.Opened)
				}
				if line.Error != "" || !strings.Contains(line.URL, "/lightning/page/home") {
					t.Fatalf("opening #%d: the browser ended at %q with error %q, want the org's page", i+1, line.URL, line.Error)
				}
				if n := len(w.requests("/secur/frontdoor.jsp")); n != i+1 {
					t.Errorf("frontdoor.jsp fetched %d times, want %d", n, i+1)
				}
			}
		})
	}
}

// waitForFile returns the contents of the file at path once it has a
// whole line, waiting up to 20 s for a browser to write it.
func waitForFile(t *testing.T, path string) []byte {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err == nil && bytes.HasSuffix(b, []byte("\n")) {
			return b
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not written within 20s: %v", path, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
