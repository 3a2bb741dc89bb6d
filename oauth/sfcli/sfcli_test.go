package sfcli_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meshmesh/meshmesh/oauth/sfcli"
	"github.com/meshmesh/meshmesh/oauth/sfcli/sfclitest"
	"github.com/meshmesh/meshmesh/oauth/sftest"
)

func TestMain(m *testing.M) {
	sftest.RunBrowserFromEnv() // the browser sf opens
	os.Exit(m.Run())
}

// world is a fake Salesforce with one org and its admin, whose CLI app
// also accepts the test's callback port.
type world struct {
	sf   *sftest.Server
	org  *sftest.Org
	user *sftest.User
	port int
}

func newWorld(t *testing.T, opts ...sftest.Option) *world {
	t.Helper()
	w := &world{sf: sftest.New(t, opts...), port: sftest.CallbackPort(t)}
	w.org = w.sf.AddOrg(sftest.Org{Name: "Acme Corp"})
	w.user = w.sf.AddUser(sftest.User{Org: w.org, Username: "admin@acme.example", Admin: true})
	w.sf.Change(func() {
		app := w.sf.CLIApp()
		app.CallbackURLs = append(app.CallbackURLs, fmt.Sprintf("http://localhost:%d/OauthRedirect", w.port))
	})
	return w
}

// browser is the BROWSER command that signs user in (SFTEST_DENY=1 in
// vars: denies access).
var browser = sfclitest.Browser

func TestLoginWebThenAuthURLAndList(t *testing.T) {
	w := newWorld(t)
	env := sfclitest.New(t)
	cli := env.CLI()
	ctx := context.Background()

	org, err := cli.LoginWeb(ctx, sfcli.LoginRequest{InstanceURL: w.sf.Production.URL, Alias: "acme", Port: w.port, Timeout: time.Minute, Browser: browser(w.user.Username)})
	if err != nil {
		t.Fatal(err)
	}
	if org.Username != w.user.Username || org.OrgID != w.org.ID || org.InstanceURL != w.org.Host.URL || org.LoginURL != w.sf.Production.URL || org.ClientID != "PlatformCLI" {
		t.Errorf("LoginWeb = %+v; want %s in %s at %s, login %s, client PlatformCLI", org, w.user.Username, w.org.ID, w.org.Host.URL, w.sf.Production.URL)
	}

	u, err := cli.AuthURL(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if u.ClientID != "PlatformCLI" || u.ClientSecret != "" || !strings.HasPrefix(u.RefreshToken, "5Aep") || "http://"+u.Host != w.org.Host.URL {
		t.Errorf("AuthURL = %v; want PlatformCLI, no secret, a refresh token, host of %s", u, w.org.Host.URL)
	}
	if s := u.String(); strings.Contains(s, u.RefreshToken) {
		t.Errorf("AuthURL.String() = %q shows the refresh token", s)
	}

	orgs, err := cli.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(orgs) != 1 || orgs[0].Username != w.user.Username || orgs[0].Alias != "acme" {
		t.Errorf("List = %+v; want %s as acme", orgs, w.user.Username)
	}
}

func TestLoginWebErrors(t *testing.T) {
	w := newWorld(t)
	clerk := w.sf.AddUser(sftest.User{Org: w.org, Username: "clerk@acme.example"}) // no Approve Uninstalled Connected Apps
	env := sfclitest.New(t)
	cli := env.CLI()
	for _, tc := range []struct {
		name     string
		browser  string
		wantName string
		wantMsg  string
	}{
		{"access denied", browser(w.user.Username, "SFTEST_DENY=1"), "access_denied", "end-user denied authorization"},
		{"uninstalled app", browser(clerk.Username), "invalid_client", "app must be installed into org"},
		{"browser fails", "false", "CannotOpenBrowserError", "Unable to open the browser you specified (undefined)."},
		{"nobody signs in", "true", "AuthTimeoutError", "The authentication session timed out. Please try again."},
		{"port in use", "busy", "PortInUseError", "Cannot start the OAuth redirect server on port %d."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := sfcli.LoginRequest{InstanceURL: w.sf.Production.URL, Port: w.port, Timeout: time.Minute, Browser: tc.browser}
			if tc.browser == "true" {
				req.Timeout = 2 * time.Second // nobody will come
			}
			if tc.browser == "busy" {
				ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", w.port))
				if err != nil {
					t.Fatal(err)
				}
				defer ln.Close()
				go func() {
					for {
						c, err := ln.Accept()
						if err != nil {
							return
						}
						c.Close()
					}
				}()
				req.Browser = browser(w.user.Username)
			}
			_, err := cli.LoginWeb(context.Background(), req)
			var e *sfcli.Error
			if want := strings.ReplaceAll(tc.wantMsg, "%d", strconv.Itoa(w.port)); !errors.As(err, &e) || e.Name != tc.wantName || e.Message != want {
				t.Fatalf("LoginWeb error = %#v; want %s: %s", err, tc.wantName, tc.wantMsg)
			}
		})
	}
}

func TestParseAuthURL(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want sfcli.AuthURL
		ok   bool
	}{
		{"force://PlatformCLI::5Aep861abc.def@acme.my.salesforce.com", sfcli.AuthURL{ClientID: "PlatformCLI", RefreshToken: "5Aep861abc.def", Host: "acme.my.salesforce.com"}, true},
		{"force://3MVG9x:S3CR3T:5Aep861xyz==@127.0.0.1:8443", sfcli.AuthURL{ClientID: "3MVG9x", ClientSecret: "S3CR3T", RefreshToken: "5Aep861xyz==", Host: "127.0.0.1:8443"}, true},
		{"https://PlatformCLI::5Aep@host", sfcli.AuthURL{}, false},
		{"force://PlatformCLI::@host", sfcli.AuthURL{}, false},
		{"force://PlatformCLI::5Aep@host/path", sfcli.AuthURL{}, false},
		{"[REDACTED] Use 'sf org auth show-sfdx-auth-url' to view", sfcli.AuthURL{}, false},
	} {
		got, err := sfcli.ParseAuthURL(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseAuthURL(%q) = %+v, %v; want %+v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
		if !tc.ok {
			continue
		}
		if back, err := got.Encode(); err != nil || back != tc.in {
			t.Errorf("Encode() = %q, %v; want %q", back, err, tc.in)
		}
		if s := got.String(); strings.Contains(s, got.RefreshToken) || (got.ClientSecret != "" && strings.Contains(s, got.ClientSecret)) {
			t.Errorf("String() = %q shows a secret", s)
		}
	}
	if _, err := (sfcli.AuthURL{ClientID: "PlatformCLI", RefreshToken: "a/b", Host: "h"}).Encode(); err == nil {
		t.Error("Encode of a token sf cannot read: no error")
	}
}
