package oauth

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"

	"golang.org/x/oauth2"
)

// SalesforceError is an error Salesforce answered with: an OAuth error pair
// (from the token endpoint, the authorize callback or an error page), or a
// REST API error ([{"errorCode","message"}]).
type SalesforceError struct {
	Status      int    // HTTP status, 0 when it came through the browser
	Code        string // error or errorCode, e.g. invalid_grant, INVALID_SESSION_ID
	Description string // error_description or message
}

func (e *SalesforceError) Error() string {
	s := "salesforce: " + e.Code
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

// rule maps Salesforce's words to a code. Matching ignores case; an empty
// field matches anything; desc matches a substring of the description.
type rule struct {
	err, desc string
	code      Code
}

// rules is read top to bottom; the first match wins. Descriptions come
// before bare error codes where Salesforce reuses a code (invalid_grant,
// invalid_client) for several causes.
var rules = []rule{
	{desc: "cross-org oauth flows", code: CrossOrg},
	{err: "oauth_authorization_blocked", code: CrossOrg},
	{err: "oauth_ec_app_not_found", code: ECANotInstalled},
	{err: "app_not_found", code: ECANotInstalled},
	{desc: "external client app is not installed", code: ECANotInstalled},
	{desc: "app must be installed into org", code: AppNotApproved},
	{err: "oauth_approval_error_generic", code: AppNotApproved},
	{desc: "oauth_approval_error_generic", code: AppNotApproved},
	{desc: "user is not admin approved", code: AppNotApproved},
	{err: "oauth_app_access_denied", code: AppNotApproved},
	{err: "invalid_app_access", code: AppNotApproved},
	{desc: "user hasn't approved this consumer", code: AppNotApproved},
	{err: "oauth_app_blocked", code: AppBlocked},
	{err: "app_blocked", code: AppBlocked},
	{err: "client_blocked", code: AppBlocked},
	{err: "fail_close_app_blocked", code: AppBlocked},
	{desc: "blocked by admin", code: AppBlocked},
	{desc: "missing required code challenge", code: PKCEFailed},
	{desc: "code verifier", code: PKCEFailed},
	{desc: "code challenge", code: PKCEFailed},
	{desc: "ip restricted", code: IPRestricted},
	{desc: "no client credentials user enabled", code: ClientCredentialsFailed},
	{desc: "request not supported on this domain", code: ClientCredentialsFailed},
	{desc: "audience", code: WrongEnvironment},
	{err: "unsupported_grant_type", code: GrantTypeMismatch},
	{err: "invalid_client_id", code: InvalidClientID},
	{err: "invalid_client", desc: "invalid client credentials", code: InvalidClientSecret},
	{err: "invalid_basic_auth_header", code: InvalidClientSecret},
	{err: "redirect_uri_mismatch", code: RedirectURIMismatch},
	{err: "redirect_uri_missing", code: RedirectURIMismatch},
	{err: "access_denied", code: AccessDenied},
	{err: "access-denied", code: AccessDenied},
	{err: "invalid_grant", desc: "expired access/refresh token", code: RefreshTokenExpired},
	{err: "invalid_grant", desc: "authorization code", code: CodeRejected},
	{err: "invalid_grant", desc: "authentication failure", code: AuthenticationFailed},
	{err: "invalid_grant", desc: "invalid user credentials", code: AuthenticationFailed},
	{err: "inactive_user", code: UserInactive},
	{err: "inactive_org", code: OrgInactive},
	{err: "rate_limit_exceeded", code: RateLimited},
	{err: "invalid_scope", code: AuthorizationFailed},
	{err: "unknown_error", code: SalesforceUnavailable},
	{err: "server_error", code: SalesforceUnavailable},
	{err: "service_unavailable", code: SalesforceUnavailable},
	{err: "system_down", code: SalesforceUnavailable},
	{err: "unsupported_response_type", code: RequestRejected},
	{err: "invalid_request", code: RequestRejected},
	{err: "immediate_unsuccessful", code: RequestRejected},
	{err: "api_disabled_for_org", code: APIDisabled},
	{err: "api_currently_disabled", code: APIDisabled},
	{err: "invalid_session_id", code: SessionExpired},
	{err: "invalid_token", code: SessionExpired},
	{err: "bad_oauth_token", code: SessionExpired},
}

// classify returns the code for Salesforce's words.
func classify(sfErr, sfDesc string) Code {
	e, d := strings.ToLower(sfErr), strings.ToLower(sfDesc)
	for _, r := range rules {
		if r.err != "" && r.err != e {
			continue
		}
		if r.desc != "" && !strings.Contains(d, r.desc) && !(r.err == "" && strings.Contains(e, r.desc)) {
			continue
		}
		return r.code
	}
	return Unrecognised
}

// Diagnose explains err as it happened in sit. It never returns nil for a
// non-nil err: what it does not recognise becomes [Unrecognised] with the
// error's own words. A *Diagnosis already in err's chain is returned as is.
func Diagnose(err error, sit Situation) *Diagnosis {
	if err == nil {
		return nil
	}
	var d *Diagnosis
	if errors.As(err, &d) {
		return d
	}
	var sf *SalesforceError
	var re *oauth2.RetrieveError
	switch {
	case errors.As(err, &sf):
		return diagnoseSalesforce(sf.Code, sf.Description, sf.Status, sit, err)
	case errors.As(err, &re):
		if re.ErrorCode == "" {
			// Not an OAuth error body: an HTML page or an outage.
			status, text := 0, "no response"
			if re.Response != nil {
				status, text = re.Response.StatusCode, re.Response.Status
			}
			d := explain(SalesforceUnavailable, sit, "", "")
			if status > 0 && status < 500 {
				d = explain(Unrecognised, sit, fmt.Sprintf("HTTP %d", status), "")
				d.Advice = fmt.Sprintf("%s answered HTTP %d with a body that is not an OAuth error. Check that %s is a Salesforce login URL (Setup → My Domain shows yours).", sit.host(), status, sit.host())
			}
			d.Err = errors.New(text) // not re: its Error() quotes the body
			return d
		}
		return diagnoseSalesforce(re.ErrorCode, re.ErrorDescription, 400, sit, err)
	case isHostNotFound(err) && sit.Step != StepRefresh:
		// At a refresh the host worked before: an offline resolver says
		// "no such host" too (macOS does), so that is a timeout below.
		d := explain(HostNotFound, sit, "", "")
		d.Err = err
		return d
	case isNetworkError(err):
		d := explain(ConnectionTimeout, sit, "", "")
		var cert *tls.CertificateVerificationError
		if errors.As(err, &cert) {
			d.Advice = fmt.Sprintf("%s answered with a certificate this computer does not trust: a proxy that inspects TLS traffic sits in between. Ask IT for its root certificate and install it in the system's trust store.", sit.host())
		}
		d.Err = err
		return d
	}
	d = explain(Unrecognised, sit, "", "")
	d.Title = "Unexpected failure"
	d.Advice = fmt.Sprintf("%v. Try again; if it keeps failing, report it with the log file.", err)
	d.Err = err
	return d
}

func diagnoseSalesforce(sfErr, sfDesc string, status int, sit Situation, cause error) *Diagnosis {
	code := classify(sfErr, sfDesc)
	if code == Unrecognised && status >= 500 {
		code = SalesforceUnavailable
	}
	d := explain(code, sit, sfErr, sfDesc)
	d.SalesforceError, d.SalesforceDescription = sfErr, sfDesc
	d.Err = cause
	return d
}

// isHostNotFound reports whether err is a DNS answer that the host does
// not exist.
func isHostNotFound(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) && de.IsNotFound
}

// isNetworkError reports whether err is a failure to reach a host: DNS,
// refused or reset connections, TLS trouble, time-outs.
func isNetworkError(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	var oe *net.OpError
	var de *net.DNSError
	return errors.As(err, &ne) || errors.As(err, &oe) || errors.As(err, &de)
}

// newDiagnosis returns the diagnosis for code in sit, with no Salesforce words.
func newDiagnosis(code Code, sit Situation) *Diagnosis { return explain(code, sit, "", "") }

// explain writes the title, advice and fixes of code for sit.
func explain(code Code, sit Situation, sfErr, sfDesc string) *Diagnosis {
	d := &Diagnosis{Code: code}
	env, host := sit.envName(), sit.host()
	switch code {
	case ECANotInstalled:
		d.Title = "External client app not installed"
		d.Advice = fmt.Sprintf("Install the MeshMesh Studio package in the org you are connecting to (signed in to that org, open %s) and enable it in Setup → External Client App Manager → MeshMesh Studio → Enable. If the package is installed in another environment, switch the environment picker to match.", installOrHost(sit))
		d.Fixes = append(sit.installFix(), sit.retryFix()...)
	case GrantTypeMismatch:
		d.Title = "Grant type not supported"
		if sit.Method == QuickConnect {
			d.Advice = fmt.Sprintf("The login code was issued by another Salesforce host than %s: the user you signed in as is not in a %s org. Sign in as a user of that environment, or pick the environment (or My Domain) of the org you sign in to, and connect again.", host, env)
			d.Fixes = sit.retryFix()
			break
		}
		if sit.Step == StepExchange || sit.Step == StepAuthorize {
			d.Advice = fmt.Sprintf("The login code was issued by another Salesforce host than %s, so it cannot be redeemed there: the org you signed in to is not a %s org (or the package was installed in a different org). Either change the environment picker to match the org you signed in to, or install the package in the right org using the install URL of %s (%s).", host, env, env, installOrHost(sit))
		} else {
			d.Advice = fmt.Sprintf("%s refused the request as \"grant type not supported\": the login URL must be https:// and a My Domain or login host (not lightning.force.com), and no proxy may rewrite the POST. Check the environment and domain.", host)
		}
		d.Fixes = append(sit.retryFix(), sit.installFix()...)
	case WrongEnvironment:
		d.Title = "Wrong login host"
		d.Advice = fmt.Sprintf("Salesforce says the request was meant for another login host than %s. Pick the environment of the org (Production, Sandbox, or its My Domain) and try again.", host)
		d.Fixes = sit.retryFix()
	case CrossOrg:
		d.Title = "Cross-org OAuth error"
		d.Advice = "The MeshMesh Studio package must be both installed and enabled in the org you are connecting to: go to Setup → External Client App Manager → MeshMesh Studio → Enable. If your browser is signed in to a different org, sign out of it or use a private window, then try again."
		d.Fixes = sit.installFix()
	case AuthorizationFailed:
		d.Title = "Authorization failed"
		d.Advice = fmt.Sprintf("Salesforce did not grant the scopes MeshMesh needs. Give %s the OAuth scopes api, refresh_token, offline_access and web (Setup → App Manager → your app → Edit → Selected OAuth Scopes, or the External Client App's OAuth settings), then connect again.", sit.appName())
	case SFCLIRequired:
		d.Title = "Salesforce CLI required"
		d.Advice = "Quick Connect signs in through the Salesforce CLI (sf), which is not installed or not on PATH. Install it (npm install --global @salesforce/cli) or, alternatively, use the Custom Connected App or MeshMesh Connected App method instead."
		d.Fixes = []Fix{
			{Kind: FixUseMethod, Label: "Use a Custom Connected App", Method: CustomApp},
			{Kind: FixUseMethod, Label: "Use the MeshMesh Connected App", Method: MeshMeshApp},
		}
	case SFCLIOutdated:
		d.Title = "Salesforce CLI too old"
		d.Advice = fmt.Sprintf("This sf is older than %s, the first that hands its orgs' tokens to other programs (sf org auth show-sfdx-auth-url). Update it (sf update, or npm install --global @salesforce/cli@latest) and try again.", MinSFVersion)
		d.Fixes = []Fix{{Kind: FixUseMethod, Label: "Use a Custom Connected App", Method: CustomApp}}
	case NodeUnsupported:
		d.Title = "Node.js unusable for the Salesforce CLI"
		d.Advice = fmt.Sprintf("The Salesforce CLI needs Node.js %s or later. Install the current Node.js LTS (https://nodejs.org), or reinstall sf with Salesforce's installer, which brings its own Node.js; then try again.", MinNodeVersion)
		d.Fixes = []Fix{{Kind: FixUseMethod, Label: "Use a Custom Connected App", Method: CustomApp}}
	case SFNoRefreshToken:
		d.Title = "No refresh token in the Salesforce CLI"
		d.Advice = "The Salesforce CLI holds this org without a refresh token (it was signed in with an access token or a JWT), so MeshMesh cannot keep it connected. Connect it with Quick Connect instead (meshmesh connect --method quick), which signs in through sf with a refresh token."
	case SFCLIFailed:
		d.Title = "The Salesforce CLI failed"
		d.Advice = "sf failed. Run the same sf command yourself to see what it says, fix that, and try again."
	case ConnectionTimeout:
		d.Title = "Connection timeout"
		d.Advice = fmt.Sprintf("Could not reach %s. Check your network, VPN, proxy and firewall settings, and that your browser can open %s.", host, loginOrDefault(sit))
	case HostNotFound:
		d.Title = "Salesforce host not found"
		d.Advice = fmt.Sprintf("%s does not exist: check the domain (your org's My Domain is in Setup → My Domain, for example https://MyDomain.my.salesforce.com). If it is right, your network's DNS cannot see it: check your VPN or proxy.", host)
	case PortInUse:
		d.Title = "Callback port in use"
		p := portOf(sit)
		held := fmt.Sprintf("Port %d, where Salesforce sends the browser back (%s), is held by another program, usually a Salesforce CLI login (sf org login web) or VS Code waiting for its own login.", p, sit.redirectURL())
		if sit.Method == QuickConnect {
			held = fmt.Sprintf("Quick Connect's sign-in comes back to port %d (%s), and another program holds it: another sign-in (sf org login web, VS Code, or a MeshMesh sign-in still waiting).", p, sit.redirectURL())
		}
		d.Advice = fmt.Sprintf("%s Finish or cancel that sign-in (or stop the process: lsof -i :%d on macOS and Linux, netstat -ano | findstr :%d on Windows), then try again.", held, p, p)
	case LoginTimeout:
		d.Title = "Login timed out"
		if sit.Method == QuickConnect {
			d.Advice = "No answer came back from the browser the Salesforce CLI opened. Sign in there and click Allow before the time runs out (look behind other windows), then connect again. If no browser opened, set a default web browser in your system's settings, or connect with a Custom Connected App, whose sign-in link MeshMesh shows."
			break
		}
		d.Advice = fmt.Sprintf("No answer came back from the browser. If you signed in and nothing happened, Salesforce showed an error instead of sending you back, for one of two reasons it never reports to MeshMesh: the app's callback URL is not exactly %s, or the consumer key is unknown in %s (%s; a new app can take up to 10 minutes to be ready). Check both, then connect again.", sit.redirectURL(), env, host)
	case AccessDenied:
		d.Title = "Access denied"
		d.Advice = "The app was not allowed in the browser (Deny was clicked). Connect again and click Allow."
	case InvalidClientID:
		d.Title = "Consumer key not recognised"
		d.Advice = fmt.Sprintf("%s does not know this consumer key: check it for typos (Setup → App Manager → your app → View → Manage Consumer Details), check that the app lives in a %s org, and wait up to 10 minutes after creating an app.", host, env)
		d.Fixes = sit.retryFix()
	case InvalidClientSecret:
		d.Title = "Consumer secret rejected"
		d.Advice = "Salesforce rejected the consumer secret for this consumer key. Copy both again from Setup → App Manager → your app → View → Manage Consumer Details, and connect again."
	case RedirectURIMismatch:
		d.Title = "Callback URL mismatch"
		d.Advice = fmt.Sprintf("The app's callback URL must be exactly %s. Edit it in Setup → App Manager → your app → Edit → Callback URL, save, wait a few minutes, and connect again.", sit.redirectURL())
	case RefreshTokenExpired:
		d.Title = "Connection expired"
		d.Advice = "Salesforce no longer accepts this connection's refresh token: it was revoked (by you or an admin), expired by the app's refresh token policy, or the org is gone. Reconnect to sign in again."
		d.Fixes = []Fix{{Kind: FixReconnect, Label: "Reconnect"}}
	case AppNotApproved:
		d.Title = "App not approved in this org"
		switch {
		case strings.Contains(strings.ToLower(sfDesc), "admin approved") || strings.EqualFold(sfErr, "invalid_app_access") || strings.EqualFold(sfErr, "OAUTH_APP_ACCESS_DENIED"):
			d.Advice = fmt.Sprintf("%s is set to \"Admin approved users are pre-authorized\" and you are not one of them. Ask an admin to add your profile or a permission set to the app (Setup → Connected Apps OAuth Usage, or Manage Connected Apps → the app → Profiles / Permission Sets), or allow-list it under API Access Control.", capitalize(sit.appName()))
		case strings.Contains(strings.ToLower(sfDesc), "hasn't approved"):
			d.Advice = fmt.Sprintf("You have not approved %s yet and it is set to admin-approved users only. Ask an admin to pre-authorize your profile or permission set, or sign in once interactively.", sit.appName())
		default:
			d.Advice = fmt.Sprintf("Since September 2025 Salesforce blocks connected apps that are not installed in the org. Ask an admin to install %s (Setup → Connected Apps OAuth Usage → find the app → Install) or to give you the \"Approve Uninstalled Connected Apps\" permission, then connect again.", sit.appName())
		}
	case AppBlocked:
		d.Title = "App blocked by admin"
		d.Advice = fmt.Sprintf("An admin blocked %s in this org, or API Access Control only allows allow-listed apps. Ask an admin to unblock it in Setup → Connected Apps OAuth Usage (or allow-list it), then connect again.", sit.appName())
	case APIDisabled:
		d.Title = "API access disabled"
		d.Advice = "Salesforce refused an API call: the org's edition has no API access, or your user lacks the \"API Enabled\" permission. Ask an admin to enable API Enabled on your profile or a permission set (Setup → Profiles → your profile → System Permissions)."
	case IPRestricted:
		d.Title = "Login restricted by IP or hours"
		d.Advice = "Salesforce refused the login from this network or at this time: your profile's Login IP Ranges or Login Hours do not allow it, or the app's IP Relaxation is enforced. Connect from an allowed network (VPN), or ask an admin to relax the IP restrictions for the app (Manage Connected Apps → the app → IP Relaxation)."
	case LightningDomain:
		d.Title = "Lightning domain given"
		d.Advice = "OAuth cannot use a *.lightning.force.com host: use the org's *.my.salesforce.com host (Setup → My Domain shows it)."
	case StateMismatch:
		d.Title = "Login response did not match"
		d.Advice = "The browser came back with a login response that does not belong to this login (an old tab, or another program). Close old Salesforce login tabs and connect again."
	case PKCEFailed:
		d.Title = "PKCE check failed"
		d.Advice = "Salesforce refused the PKCE proof of this login (a login response from an earlier attempt, or the app's PKCE setting). Connect again; if it keeps failing, check the app's \"Require Proof Key for Code Exchange (PKCE)\" setting."
	case ClientCredentialsFailed:
		d.Title = "Client credentials flow failed"
		switch {
		case strings.Contains(strings.ToLower(sfDesc), "not supported on this domain"):
			d.Advice = fmt.Sprintf("The client credentials flow only works on the org's My Domain, not on %s: pick Custom Domain and enter https://YourDomain.my.salesforce.com.", host)
		default:
			d.Advice = "The app has no client credentials user. In Setup → App Manager → your app → Edit, check Enable Client Credentials Flow; then in Manage → Edit Policies set Run As to an integration user."
		}
	case InvalidDomain:
		d.Title = "Invalid custom domain"
		d.Advice = "Enter your org's My Domain URL, for example https://MyDomain.my.salesforce.com (Setup → My Domain shows it)."
	case CodeRejected:
		d.Title = "Login code rejected"
		d.Advice = fmt.Sprintf("%s refused the one-time login code (too old, already used, or issued by another org). Connect again; if it repeats, check that the environment picker matches the org you sign in to.", host)
		d.Fixes = sit.retryFix()
	case AuthenticationFailed:
		d.Title = "Authentication failure"
		if sit.Step == StepRefresh {
			d.Advice = fmt.Sprintf("%s no longer accepts this connection (user deactivated, password policy, or a different app or host than the one it was made with). Reconnect to sign in again.", host)
			d.Fixes = []Fix{{Kind: FixReconnect, Label: "Reconnect"}}
		} else {
			d.Advice = fmt.Sprintf("%s rejected the credentials: the user may be deactivated or frozen, or belong to another org or environment. Check the environment picker and try again.", host)
			d.Fixes = sit.retryFix()
		}
	case UserInactive:
		d.Title = "User is inactive"
		d.Advice = "This Salesforce user is deactivated or frozen. Ask an admin to reactivate it (Setup → Users)."
	case OrgInactive:
		d.Title = "Org is locked or closed"
		d.Advice = "This org is locked, closed or suspended (an expired trial or sandbox?). Ask your Salesforce admin or account executive."
	case RateLimited:
		d.Title = "Too many logins"
		d.Advice = "Salesforce limits how often a user may log in per hour. Wait a while and try again."
	case SalesforceUnavailable:
		d.Title = "Salesforce unavailable"
		d.Advice = fmt.Sprintf("%s had a problem answering (maintenance or an incident). Try again in a few minutes; https://status.salesforce.com shows incidents.", host)
	case RequestRejected:
		d.Title = "Request rejected"
		d.Advice = fmt.Sprintf("%s refused a request that MeshMesh made. Try again; if it repeats, report it with these Salesforce words.", host)
	case SessionExpired:
		d.Title = "Session expired"
		d.Advice = "Salesforce no longer accepts the access token. It is refreshed automatically; if this persists, reconnect."
		d.Fixes = []Fix{{Kind: FixReconnect, Label: "Reconnect"}}
	case BrowserFailed:
		d.Title = "Browser did not open"
		d.Advice = "The browser could not be started. Open the login URL by hand, or set BROWSER to the command that opens a URL."
	case NotConfigured:
		d.Title = "MeshMesh Connected App not configured"
		d.Advice = "The MeshMesh Connected App is pre-release and this build has no consumer key for it (MESHMESH_ECA_CLIENT_ID). Use Quick Connect or a Custom Connected App instead."
		d.Fixes = []Fix{
			{Kind: FixUseMethod, Label: "Use Quick Connect", Method: QuickConnect},
			{Kind: FixUseMethod, Label: "Use a Custom Connected App", Method: CustomApp},
		}
	default:
		d.Code = Unrecognised
		d.Title = "Unrecognised Salesforce error"
		d.Advice = fmt.Sprintf("MeshMesh does not recognise this answer from %s; Salesforce's own words follow. Try again, and report it if it repeats.", host)
	}
	return d
}

func installOrHost(sit Situation) string {
	if sit.LoginURL == "" {
		return "the install URL of your environment"
	}
	return installURL(sit.LoginURL)
}

func loginOrDefault(sit Situation) string {
	if sit.LoginURL != "" {
		return sit.LoginURL
	}
	return "login.salesforce.com (or test.salesforce.com for sandboxes)"
}

func portOf(sit Situation) int {
	if sit.Port == 0 {
		return DefaultCallbackPort
	}
	return sit.Port
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
