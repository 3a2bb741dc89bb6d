package oauth

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshmesh/meshmesh/oauth/sfcli"
	"golang.org/x/oauth2"
)

// salesforceStrings is every error pair of salesforce-oauth.md §2 (the
// token endpoint's JSON errors, the authorize callback's errors and the
// error pages), with the diagnosis each must get.
var salesforceStrings = []struct {
	step      Step
	err, desc string
	want      Code
}{
	// §2.1, the classic authorize-callback list.
	{StepAuthorize, "unsupported_response_type", "response type not supported", RequestRejected},
	{StepAuthorize, "invalid_client_id", "client identifier invalid", InvalidClientID},
	{StepAuthorize, "invalid_request", "HTTPS required", RequestRejected},
	{StepAuthorize, "invalid_request", "must use HTTP GET", RequestRejected},
	{StepAuthorize, "invalid_request", "out-of-band not supported", RequestRejected},
	{StepAuthorize, "access_denied", "end-user denied authorization", AccessDenied},
	{StepAuthorize, "access-denied", "end-user denied authorization", AccessDenied},
	{StepAuthorize, "redirect_uri_missing", "redirect_uri not provided", RedirectURIMismatch},
	{StepAuthorize, "redirect_uri_mismatch", "redirect_uri mismatch with connected app object", RedirectURIMismatch},
	{StepAuthorize, "redirect_uri_mismatch", "redirect_uri must match configuration", RedirectURIMismatch},
	{StepAuthorize, "immediate_unsuccessful", "immediate unsuccessful", RequestRejected},
	{StepExchange, "invalid_grant", "invalid user credentials", AuthenticationFailed},
	{StepExchange, "invalid_grant", "ip restricted or invalid login hours", IPRestricted},
	{StepExchange, "invalid_grant", "IP restricted or invalid login hours", IPRestricted},
	{StepAuthorize, "inactive_user", "user is inactive", UserInactive},
	{StepAuthorize, "inactive_org", "organization is locked, closed, or suspended", OrgInactive},
	{StepAuthorize, "rate_limit_exceeded", "number of logins exceeded", RateLimited},
	{StepAuthorize, "invalid_scope", "requested scope is invalid, unknown, or malformed", AuthorizationFailed},

	// §2.2, the token endpoint.
	{StepExchange, "unsupported_grant_type", "grant type not supported", GrantTypeMismatch},
	{StepExchange, "invalid_grant", "authentication failure", AuthenticationFailed},
	{StepRefresh, "invalid_grant", "authentication failure", AuthenticationFailed},
	{StepRefresh, "invalid_grant", "expired access/refresh token", RefreshTokenExpired},
	{StepExchange, "invalid_grant", "expired authorization code", CodeRejected},
	{StepExchange, "invalid_grant", "invalid authorization code", CodeRejected},
	{StepExchange, "invalid_grant", "user hasn't approved this consumer", AppNotApproved},
	{StepExchange, "invalid_grant", "invalid code verifier", PKCEFailed},
	{StepClientCredentials, "invalid_grant", "no client credentials user enabled", ClientCredentialsFailed},
	{StepClientCredentials, "invalid_grant", "request not supported on this domain", ClientCredentialsFailed},
	{StepExchange, "invalid_grant", "Audience validation failed", WrongEnvironment},
	{StepExchange, "invalid_grant", "audience is invalid", WrongEnvironment},
	{StepExchange, "invalid_client_id", "client identifier invalid", InvalidClientID},
	{StepExchange, "invalid_client", "invalid client credentials", InvalidClientSecret},
	{StepExchange, "invalid_client", "app must be installed into org", AppNotApproved},
	{StepExchange, "invalid_app_access", "user is not admin approved to access this app", AppNotApproved},
	{StepExchange, "app_not_found", "External client app is not installed in this org", ECANotInstalled},
	{StepExchange, "unknown_error", "retry your request", SalesforceUnavailable},

	// §2.3, the authorize step in the browser.
	{StepAuthorize, "OAUTH_APP_BLOCKED", "this app is blocked by admin", AppBlocked},
	{StepAuthorize, "OAUTH_APP_ACCESS_DENIED", "user is not admin approved to access this app", AppNotApproved},
	{StepAuthorize, "OAUTH_APPROVAL_ERROR_GENERIC", "An unexpected error has occurred during authentication. Please try again.", AppNotApproved},
	{StepAuthorize, "invalid_client", "app must be installed into org", AppNotApproved},
	{StepAuthorize, "OAUTH_EC_APP_NOT_FOUND", "External client app is not installed in this org", ECANotInstalled},
	{StepAuthorize, "OAUTH_AUTHORIZATION_BLOCKED", "Cross-org OAuth flows are not supported for this external client app", CrossOrg},
	{StepAuthorize, "OAUTH_APPROVAL_ERROR", "Cross-org OAuth flows are not supported for this external client app", CrossOrg},
	{StepAuthorize, "invalid_request", "missing required code challenge", PKCEFailed},

	// §2.1's full list of codes Salesforce defines that carry a meaning for us.
	{StepAuthorize, "app_blocked", "", AppBlocked},
	{StepAuthorize, "client_blocked", "", AppBlocked},
	{StepAuthorize, "fail_close_app_blocked", "", AppBlocked},
	{StepAuthorize, "server_error", "", SalesforceUnavailable},
	{StepAuthorize, "service_unavailable", "", SalesforceUnavailable},
	{StepAuthorize, "system_down", "", SalesforceUnavailable},
	{StepAuthorize, "invalid_basic_auth_header", "", InvalidClientSecret},

	// REST API errors (§6.5 and the fake's API switch).
	{StepAPI, "INVALID_SESSION_ID", "Session expired or invalid", SessionExpired},
	{StepIdentity, "Bad_OAuth_Token", "", SessionExpired},
	{StepIdentity, "API_DISABLED_FOR_ORG", "The REST API is not enabled for this Organization.", APIDisabled},
	{StepIdentity, "API_CURRENTLY_DISABLED", "API is disabled for this User", APIDisabled},

	// Unknown words keep Salesforce's own text.
	{StepExchange, "brand_new_error", "something Salesforce invented", Unrecognised},
}

func TestDiagnoseSalesforceStrings(t *testing.T) {
	sit := Situation{Method: CustomApp, Target: Target{Environment: Sandbox}, LoginURL: "https://test.salesforce.com", Port: 1717}
	for _, tt := range salesforceStrings {
		t.Run(fmt.Sprintf("%s/%s/%s", tt.step, tt.err, tt.desc), func(t *testing.T) {
			s := sit
			s.Step = tt.step
			d := Diagnose(&SalesforceError{Status: 400, Code: tt.err, Description: tt.desc}, s)
			if d.Code != tt.want {
				t.Fatalf("Diagnose(%q, %q) = %s, want %s", tt.err, tt.desc, d.Code, tt.want)
			}
			if d.SalesforceError != tt.err || d.SalesforceDescription != tt.desc {
				t.Errorf("Salesforce words = %q %q, want %q %q", d.SalesforceError, d.SalesforceDescription, tt.err, tt.desc)
			}
			if d.Title == "" || d.Advice == "" {
				t.Errorf("empty title or advice: %+v", d)
			}
			if !strings.HasSuffix(d.Advice, ".") {
				t.Errorf("advice is not a sentence: %q", d.Advice)
			}
		})
	}
}

// The same words reach Diagnose as x/oauth2's RetrieveError from the token
// endpoint.
func TestDiagnoseRetrieveError(t *testing.T) {
	err := fmt.Errorf("exchange: %w", &oauth2.RetrieveError{ErrorCode: "unsupported_grant_type", ErrorDescription: "grant type not supported"})
	d := Diagnose(err, Situation{Step: StepExchange, Target: Target{Environment: Sandbox}, LoginURL: "https://test.salesforce.com"})
	if d.Code != GrantTypeMismatch || d.Title != "Grant type not supported" {
		t.Fatalf("got %s %q", d.Code, d.Title)
	}
	if len(d.Fixes) != 2 || d.Fixes[0].Kind != FixRetryEnvironment || d.Fixes[0].Environment != Production ||
		d.Fixes[1].URL != "https://test.salesforce.com/packaging/installPackage.apexp?p0=04tfj000000GGiLAAW" {
		t.Errorf("fixes = %+v", d.Fixes)
	}
	if !errors.Is(d, err) && d.Err != err {
		t.Errorf("cause lost")
	}
}

func TestDiagnoseGuideTitles(t *testing.T) {
	for code, title := range map[Code]string{
		ECANotInstalled:     "External client app not installed",
		GrantTypeMismatch:   "Grant type not supported",
		CrossOrg:            "Cross-org OAuth error",
		AuthorizationFailed: "Authorization failed",
		SFCLIRequired:       "Salesforce CLI required",
		ConnectionTimeout:   "Connection timeout",
	} {
		if got := newDiagnosis(code, Situation{}).Title; got != title {
			t.Errorf("%s: title %q, want the guide's %q", code, got, title)
		}
	}
}

func TestDiagnoseNetworkError(t *testing.T) {
	err := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	d := Diagnose(err, Situation{Step: StepPreflight, LoginURL: "https://acme.my.salesforce.com"})
	if d.Code != ConnectionTimeout || !strings.Contains(d.Advice, "acme.my.salesforce.com") {
		t.Fatalf("got %s %q", d.Code, d.Advice)
	}
}

func TestDiagnoseHostNotFound(t *testing.T) {
	err := &url.Error{Op: "Get", URL: "https://acme.my.salesforce.con/services/oauth2/authorize",
		Err: &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "acme.my.salesforce.con", IsNotFound: true}}}
	d := Diagnose(err, Situation{Step: StepPreflight, LoginURL: "https://acme.my.salesforce.con"})
	if d.Code != HostNotFound || d.Title != "Salesforce host not found" || !strings.HasPrefix(d.Advice, "acme.my.salesforce.con does not exist") {
		t.Fatalf("got %s %q %q", d.Code, d.Title, d.Advice)
	}
}

// At a refresh the host worked before: "no such host" is an offline
// resolver (macOS says so), not a mistyped domain.
func TestDiagnoseHostNotFoundAtRefresh(t *testing.T) {
	err := &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "acme.my.salesforce.com", IsNotFound: true}}
	if d := Diagnose(err, Situation{Step: StepRefresh, LoginURL: "https://acme.my.salesforce.com"}); d.Code != ConnectionTimeout {
		t.Errorf("got %s, want %s", d.Code, ConnectionTimeout)
	}
}

func TestDiagnoseUntrustedCertificate(t *testing.T) {
	err := &url.Error{Op: "Get", URL: "https://login.salesforce.com/services/oauth2/authorize", Err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}}
	d := Diagnose(err, Situation{Step: StepPreflight, LoginURL: "https://login.salesforce.com"})
	if d.Code != ConnectionTimeout || !strings.Contains(d.Advice, "certificate") {
		t.Fatalf("got %s %q", d.Code, d.Advice)
	}
}

func TestDiagnoseUnrecognisedKeepsWords(t *testing.T) {
	d := Diagnose(&SalesforceError{Code: "brand_new_error", Description: "something Salesforce invented"}, Situation{})
	if !strings.Contains(d.Error(), "brand_new_error: something Salesforce invented") || !strings.Contains(d.Title, "Unrecognised") {
		t.Fatalf("got %q", d.Error())
	}
}

// A token endpoint that answers with a page, not an OAuth error: an outage,
// or a login URL that is not Salesforce.
func TestDiagnoseNonOAuthTokenAnswer(t *testing.T) {
	for _, tt := range []struct {
		status int
		want   Code
	}{
		{503, SalesforceUnavailable},
		{404, Unrecognised},
	} {
		re := &oauth2.RetrieveError{Response: &http.Response{StatusCode: tt.status, Status: http.StatusText(tt.status)}, Body: []byte("<html>secret-free page</html>")}
		d := Diagnose(re, Situation{Step: StepExchange, LoginURL: "https://acme.my.salesforce.com"})
		if d.Code != tt.want || !strings.Contains(d.Advice, "acme.my.salesforce.com") {
			t.Errorf("HTTP %d: %s %q", tt.status, d.Code, d.Advice)
		}
	}
}

func TestFirstSentence(t *testing.T) {
	d := &Diagnosis{Advice: "Install the package (see https://x.example/a.b). Then enable it."}
	if got := d.FirstSentence(); got != "Install the package (see https://x.example/a.b)." {
		t.Errorf("got %q", got)
	}
	d.Advice = "One sentence only."
	if got := d.FirstSentence(); got != d.Advice {
		t.Errorf("got %q", got)
	}
}

// sf's errors, with its real names and texts, and what Quick Connect says
// of them.
func TestDiagnoseSF(t *testing.T) {
	sit := Situation{Step: StepAuthorize, Method: QuickConnect, Target: Target{Environment: Production}, LoginURL: "https://login.salesforce.com", Port: 1717}
	for _, tc := range []struct {
		err    error
		code   Code
		advice string
		other  bool // offers another method
	}{
		{&sfcli.Error{Command: "org login web", Name: "access_denied", Message: "end-user denied authorization", ExitCode: 1}, AccessDenied, "click Allow", false},
		{&sfcli.Error{Command: "org login web", Name: "invalid_client", Message: "app must be installed into org", ExitCode: 1}, AppNotApproved, "install the Salesforce CLI connected app", true},
		{&sfcli.Error{Command: "org login web", Name: "AuthCodeExchangeError", Message: "Error authenticating with auth code due to: invalid_app_access::user is not admin approved to access this app", ExitCode: 1}, AppNotApproved, "Admin approved users are pre-authorized", true},
		{&sfcli.Error{Command: "org login web", Name: "OAUTH_APP_BLOCKED", Message: "this app is blocked by admin", ExitCode: 1}, AppBlocked, "unblock", true},
		{&sfcli.Error{Command: "org login web", Name: "PortInUseError", Message: "Cannot start the OAuth redirect server on port 1717.", ExitCode: 1}, PortInUse, "lsof -i :1717", false},
		{&sfcli.Error{Command: "org login web", Name: "AuthTimeoutError", Message: "The authentication session timed out. Please try again.", ExitCode: 1}, LoginTimeout, "Waited 5m0s. No answer came back from the browser the Salesforce CLI opened", false},
		{&sfcli.Error{Command: "org login web", Name: "CannotOpenBrowserError", Message: "Unable to open the browser you specified (undefined).", ExitCode: 1}, BrowserFailed, "(sf said: Unable to open the browser you specified). Set a default web browser", true},
		{&sfcli.Error{Command: "org auth show-sfdx-auth-url", Name: "NoRefreshTokenError", Message: "There is no refresh token for this org.", ExitCode: 1}, SFNoRefreshToken, "meshmesh connect --method quick", false},
		{&sfcli.Error{Command: "org login web", Name: "LightningDomain", Message: "Invalid instance URL. It should NOT be a lightning domain.", ExitCode: 1}, LightningDomain, "my.salesforce.com", false},
		{&sfcli.Error{Command: "org login web", Name: "HeadlessWebAuthError", Message: `"org login web" isn't supported when authorizing in a headless environment. Use another OAuth flow, such as the JWT Bearer Flow.`, ExitCode: 1}, SFCLIFailed, "SF_CONTAINER_MODE", true},
		{&sfcli.Error{Command: "org list", ExitCode: 127, Output: "/usr/bin/env: 'node': No such file or directory"}, NodeUnsupported, "Node.js, which is not on PATH", true},
		{&sfcli.Error{Command: "org list", ExitCode: -1, TimedOut: true}, SFCLIFailed, "ran out of time", true},
		// Node.js 20 (or 22 before 22.19): sf starts, jsforce's undici crashes.
		{&sfcli.Error{Command: "org list", ExitCode: 1, Output: "/tmp/sfcli/latest/node_modules/undici/lib/interceptor/decompress.js:78\n  zstd: createZstdDecompress.bind(null, { params: { [constants.ZSTD_d_windowLogMax]: 23 } })\nTypeError: Cannot read properties of undefined (reading 'bind')"}, NodeUnsupported, "needs Node.js 22.19.0", true},
		{&sfcli.Error{Command: "org auth show-sfdx-auth-url", Name: "NoAuthUrlError", Message: "No sfdxAuthUrl for this org.", ExitCode: 1}, SFCLIFailed, "sf org auth show-sfdx-auth-url failed: NoAuthUrlError: No sfdxAuthUrl for this org. Fix", true},
		{fmt.Errorf("wrapped: %w", sfcli.ErrNotInstalled), SFCLIRequired, "npm install --global @salesforce/cli", true},
	} {
		d := diagnoseSF(tc.err, sit, 5*time.Minute)
		if d.Code != tc.code || !strings.Contains(d.Advice, tc.advice) {
			t.Errorf("%v: %s %q; want %s saying %q", tc.err, d.Code, d.Advice, tc.code, tc.advice)
		}
		if other := slices.ContainsFunc(d.Fixes, func(f Fix) bool { return f.Kind == FixUseMethod }); other != tc.other {
			t.Errorf("%v: fixes %+v; want another method: %v", tc.err, d.Fixes, tc.other)
		}
		if !errors.Is(d, tc.err) {
			t.Errorf("%v: the cause is lost", tc.err)
		}
	}
}
