// Package sftest provides a fake Salesforce for tests, in the spirit of
// net/http/httptest: OAuth 2.0 (authorization code with PKCE, refresh token,
// client credentials, revoke), the identity endpoints, the UI bridge
// (singleaccess and frontdoor) and a sliver of the REST API, on loopback
// listeners.
//
// # Model
//
// A Server has two login hosts, Production (standing for
// https://login.salesforce.com) and Sandbox (https://test.salesforce.com),
// and one My Domain host per Org (its instance_url). Each Host is its own
// 127.0.0.1 listener, and every host serves every endpoint. Orgs have Users;
// Apps are OAuth clients (a classic ConnectedApp, a LocalECA or a
// PackagedECA) with the policies that decide whether a user of a given org
// may authorize them. Every Server also has Salesforce's own CLI app
// (client id PlatformCLI), see Server.CLIApp.
//
// The fake aims at fidelity rather than convenience: error codes and
// descriptions are the strings real Salesforce sends, tokens have the real
// shapes (00D…!AQ… access tokens, 5Aep861… refresh tokens, aPrx…== codes),
// token responses carry no expires_in, and codes are bound to the host that
// issued them: redeeming one at another host fails with
// unsupported_grant_type / grant type not supported. A user who signs in at
// the wrong login host (a sandbox user at Production, say) is carried to
// their org's My Domain, which then issues the code, so a client that picked
// the wrong environment sees that error at the token step.
//
// The authorize endpoint is meant for a browser: it shows a login page, an
// "Allow Access?" page and error pages. Browser scripts those pages, and
// RunBrowserFromEnv lets a test binary stand in for the system browser of a
// program under test (through the BROWSER variable).
//
// Knobs simulate what goes wrong in real life: ExpireAccessTokens,
// RevokeRefreshTokens, DisableAPI, RestrictIP, FailNextAuthorize, ErrorPages
// and SetLatency. Requests returns the log of requests served.
//
// # Example
//
//	func TestLogin(t *testing.T) {
//		sf := sftest.New(t)
//		org := sf.AddOrg(sftest.Org{Name: "Acme Corp"})
//		user := sf.AddUser(sftest.User{Org: org, Username: "admin@acme.example", Admin: true})
//		app := sf.AddApp(sftest.App{
//			OwnerOrg:     org,
//			CallbackURLs: []string{callback.URL + "/OauthRedirect"}, // an httptest.Server of the test
//			Scopes:       []string{"api", "refresh_token", "web"},
//		})
//
//		// The code under test builds the authorize URL against
//		// sf.Production.URL; a Browser plays the user.
//		b := &sftest.Browser{Username: user.Username}
//		visit, err := b.Open(ctx, authorizeURL)
//		// callback received ?code=…&state=…; the code under test then POSTs
//		// to sf.Production.URL + "/services/oauth2/token".
//	}
package sftest
