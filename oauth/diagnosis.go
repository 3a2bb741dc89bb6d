package oauth

import (
	"fmt"
	"strings"
)

// Code names a diagnosis. Codes are stable: scripts and the tray match on
// them, people read the Title and Advice.
type Code string

// The product guide's troubleshooting codes.
const (
	ECANotInstalled     Code = "eca_not_installed"
	GrantTypeMismatch   Code = "grant_type_mismatch"
	CrossOrg            Code = "cross_org"
	AuthorizationFailed Code = "authorization_failed"
	SFCLIRequired       Code = "sf_cli_required"
	ConnectionTimeout   Code = "connection_timeout"
)

// HostNotFound is a login host that has no DNS name: a mistyped domain,
// or a network whose DNS cannot see it.
const HostNotFound Code = "host_not_found"

// Codes beyond the guide.
const (
	PortInUse               Code = "port_in_use"
	LoginTimeout            Code = "login_timeout"
	AccessDenied            Code = "access_denied"
	InvalidClientID         Code = "invalid_client_id"
	InvalidClientSecret     Code = "invalid_client_secret"
	RedirectURIMismatch     Code = "redirect_uri_mismatch"
	RefreshTokenExpired     Code = "refresh_token_expired"
	AppNotApproved          Code = "app_not_approved"
	AppBlocked              Code = "app_blocked"
	APIDisabled             Code = "api_disabled"
	IPRestricted            Code = "ip_restricted"
	LightningDomain         Code = "lightning_domain"
	StateMismatch           Code = "state_mismatch"
	PKCEFailed              Code = "pkce_failed"
	ClientCredentialsFailed Code = "client_credentials_failed"

	InvalidDomain         Code = "invalid_domain"         // a custom domain that is not a usable URL
	CodeRejected          Code = "code_rejected"          // authorization code expired, reused or unknown
	AuthenticationFailed  Code = "authentication_failed"  // invalid_grant: authentication failure
	WrongEnvironment      Code = "wrong_environment"      // audience is invalid: login host of another environment
	UserInactive          Code = "user_inactive"          // inactive_user
	OrgInactive           Code = "org_inactive"           // inactive_org
	RateLimited           Code = "rate_limited"           // rate_limit_exceeded
	SalesforceUnavailable Code = "salesforce_unavailable" // unknown_error, server_error, 5xx
	RequestRejected       Code = "request_rejected"       // a request MeshMesh should never send
	SessionExpired        Code = "session_expired"        // 401 INVALID_SESSION_ID after a refresh
	BrowserFailed         Code = "browser_failed"         // the browser command failed
	NotConfigured         Code = "method_not_configured"  // MeshMesh Connected App without a consumer key
	Unrecognised          Code = "unrecognised"           // Salesforce said something we do not know
)

// Diagnosis is a failure explained: what went wrong and what to do. It is
// the error every engine call returns (possibly wrapped).
type Diagnosis struct {
	Code   Code   `json:"code"`
	Title  string `json:"title"`  // one line, e.g. "Grant type not supported"
	Advice string `json:"advice"` // what to do, naming Setup paths, URLs, environments

	// SalesforceError and SalesforceDescription are Salesforce's own words
	// (error, error_description), when it said any.
	SalesforceError       string `json:"salesforce_error,omitempty"`
	SalesforceDescription string `json:"salesforce_description,omitempty"`

	// Fixes are actions a user interface can offer, best first.
	Fixes []Fix `json:"fixes,omitempty"`

	// Err is the underlying error, if any. It never carries a secret.
	Err error `json:"-"`
}

// Error returns the title and, when Salesforce said something, its words.
func (d *Diagnosis) Error() string {
	s := d.Title
	if d.SalesforceError != "" || d.SalesforceDescription != "" {
		s += fmt.Sprintf(" (Salesforce: %s", d.SalesforceError)
		if d.SalesforceDescription != "" {
			s += ": " + d.SalesforceDescription
		}
		s += ")"
	} else if d.Err != nil && d.Code == Unrecognised {
		s += ": " + d.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (d *Diagnosis) Unwrap() error { return d.Err }

// FirstSentence returns the advice up to its first full stop, for a
// notification.
func (d *Diagnosis) FirstSentence() string {
	if i := strings.Index(d.Advice, ". "); i >= 0 {
		return d.Advice[:i+1]
	}
	return d.Advice
}

// FixKind says what a [Fix] does.
type FixKind string

// The kinds of fix a user interface can offer.
const (
	FixOpenURL          FixKind = "open_url"          // open URL in the browser
	FixRetryEnvironment FixKind = "retry_environment" // run the same login in Environment
	FixReconnect        FixKind = "reconnect"         // log in again
	FixUseMethod        FixKind = "use_method"        // connect with Method instead
)

// Fix is an action that may cure a diagnosed failure.
type Fix struct {
	Kind        FixKind     `json:"kind"`
	Label       string      `json:"label"` // e.g. "Open install page", "Switch to Sandbox and retry"
	URL         string      `json:"url,omitempty"`
	Environment Environment `json:"environment,omitempty"`
	Method      Method      `json:"method,omitempty"`
}

// Step says what the engine was doing when something failed.
type Step string

// The engine's steps.
const (
	StepSetup             Step = "setup"              // checking input, opening the callback port
	StepPreflight         Step = "preflight"          // the GET of the authorize URL before the browser opens
	StepAuthorize         Step = "authorize"          // the browser's callback
	StepExchange          Step = "exchange"           // code for tokens
	StepIdentity          Step = "identity"           // userinfo and the org query
	StepRefresh           Step = "refresh"            // refresh token for access token
	StepRevoke            Step = "revoke"             // revoking a token
	StepClientCredentials Step = "client_credentials" // client credentials grant
	StepAPI               Step = "api"                // a REST or singleaccess call
)

// Situation is what a diagnosis is about: it shapes the advice and fixes.
type Situation struct {
	Step     Step
	Method   Method
	Target   Target
	LoginURL string // the login host actually used
	Port     int    // the callback port
}

// otherEnvironment returns the environment to retry with, if any.
func (s Situation) otherEnvironment() Environment {
	switch s.Target.Environment {
	case Production:
		return Sandbox
	case Sandbox:
		return Production
	}
	return ""
}

func (s Situation) host() string {
	if s.LoginURL == "" {
		return "the Salesforce login host"
	}
	return hostOf(s.LoginURL)
}

func (s Situation) envName() string {
	if s.Target.Environment == "" {
		return "this environment"
	}
	return s.Target.Environment.String()
}

func (s Situation) redirectURL() string {
	p := s.Port
	if p == 0 {
		p = DefaultCallbackPort
	}
	return fmt.Sprintf("http://localhost:%d/OauthRedirect", p)
}

func (s Situation) installFix() []Fix {
	if s.LoginURL == "" {
		return nil
	}
	return []Fix{{Kind: FixOpenURL, Label: "Open install page", URL: installURL(s.LoginURL)}}
}

func (s Situation) retryFix() []Fix {
	other := s.otherEnvironment()
	if other == "" {
		return nil
	}
	return []Fix{{Kind: FixRetryEnvironment, Label: fmt.Sprintf("Switch to %s and retry", other), Environment: other}}
}

func (s Situation) appName() string {
	switch s.Method {
	case MeshMeshApp:
		return "the MeshMesh Studio External Client App"
	case QuickConnect:
		return "the Salesforce CLI connected app"
	}
	return "your connected app"
}
