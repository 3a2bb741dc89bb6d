package oauth

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Refreshed is the result of a refresh.
type Refreshed struct {
	// Token is the new access token. Its RefreshToken is the one to keep:
	// with Refresh Token Rotation it is new (Rotated), and the old one no
	// longer works, so persist it before using the access token.
	Token    *oauth2.Token
	Rotated  bool
	IssuedAt time.Time
	// InstanceURL is where the org's API now lives (it can move).
	InstanceURL string
}

// Refresh trades refreshToken for a new access token at loginURL, the host
// that issued it, with the app it was issued to.
func (e *Engine) Refresh(ctx context.Context, loginURL string, app App, refreshToken string) (*Refreshed, error) {
	ctx, cancel := context.WithTimeout(ctx, RequestTimeout)
	defer cancel()
	sit := Situation{Step: StepRefresh, LoginURL: loginURL}
	cfg := e.config(loginURL, app)
	tok, err := cfg.TokenSource(e.oauthContext(ctx), &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return nil, Diagnose(redactURLError(err), sit)
	}
	ti := readTokenInfo(tok)
	tok.Expiry = time.Time{} // Salesforce sends no expires_in
	return &Refreshed{Token: tok, Rotated: tok.RefreshToken != refreshToken, IssuedAt: ti.issuedAt, InstanceURL: ti.instanceURL}, nil
}

// Revoke revokes token (an access or a refresh token; revoking a refresh
// token also revokes its access tokens) at loginURL. A token Salesforce
// does not know (invalid_token: already revoked or expired) counts as
// revoked.
func (e *Engine) Revoke(ctx context.Context, loginURL, token string) error {
	ctx, cancel := context.WithTimeout(ctx, RequestTimeout)
	defer cancel()
	sit := Situation{Step: StepRevoke, LoginURL: loginURL}
	form := url.Values{"token": {token}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(loginURL, "/")+"/services/oauth2/revoke", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := e.httpClient().Do(req)
	if err != nil {
		return Diagnose(redactURLError(err), sit)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	sf := parseAPIError(resp.StatusCode, body)
	if strings.EqualFold(sf.Code, "invalid_token") {
		return nil
	}
	return Diagnose(sf, sit)
}

// ClientCredentials logs in as the app's Run As user with the client
// credentials flow. It works only on the org's My Domain, and the grant
// has no refresh token: run it again when the access token dies.
func (e *Engine) ClientCredentials(ctx context.Context, t Target, app App) (*Grant, error) {
	sit := Situation{Step: StepClientCredentials, Method: CustomApp, Target: t}
	loginURL, err := e.Settings.LoginURL(t)
	if err != nil {
		return nil, err
	}
	sit.LoginURL = loginURL
	if t.Domain == "" {
		// What Salesforce would answer, said before asking it.
		return nil, explain(ClientCredentialsFailed, sit, "", "request not supported on this domain")
	}
	if app.ClientID == "" || app.ClientSecret == "" {
		d := newDiagnosis(ClientCredentialsFailed, sit)
		d.Title = "Consumer key and secret needed"
		d.Advice = "The client credentials flow needs the app's Consumer Key and Consumer Secret: Setup → App Manager → your app → View → Manage Consumer Details."
		return nil, d
	}
	ctx, cancel := context.WithTimeout(ctx, 2*RequestTimeout)
	defer cancel()
	cc := clientcredentials.Config{
		ClientID:     app.ClientID,
		ClientSecret: app.ClientSecret,
		TokenURL:     loginURL + "/services/oauth2/token",
		AuthStyle:    oauth2.AuthStyleInParams,
	}
	tok, err := cc.Token(e.oauthContext(ctx))
	if err != nil {
		return nil, Diagnose(redactURLError(err), sit)
	}
	ti := readTokenInfo(tok)
	sit.Step = StepIdentity
	org, err := e.Identify(ctx, ti.instanceURL, tok.AccessToken)
	if err != nil {
		return nil, Diagnose(err, sit)
	}
	org.LoginURL, org.Environment, org.Method, org.ClientID, org.Scopes = loginURL, t.Environment, CustomApp, app.ClientID, ti.scopes
	tok.Expiry = time.Time{}
	return &Grant{Org: org, Token: tok, IssuedAt: ti.issuedAt}, nil
}

// FrontdoorURL returns a single-use URL (valid about a minute) that opens
// the org in a browser already signed in, at path (e.g. "/lightning/setup/
// SetupOneHome/home"; empty for the home page). It carries a one-time
// secret: open it, do not log it. A dead access token gives an error that
// matches ErrInvalidSession (singleaccess answers 403, not 401): refresh
// and call again.
func (e *Engine) FrontdoorURL(ctx context.Context, instanceURL, accessToken, path string) (string, error) {
	base := strings.TrimRight(instanceURL, "/")
	u := base + "/services/oauth2/singleaccess"
	if path != "" {
		u += "?" + url.Values{"redirect_uri": {path}}.Encode()
	}
	var res struct {
		FrontdoorURI string `json:"frontdoor_uri"`
	}
	if err := e.getJSON(ctx, u, accessToken, &res); err != nil {
		if sf, ok := err.(*SalesforceError); ok && sf.Status == http.StatusForbidden {
			return "", fmt.Errorf("%w: %w", ErrInvalidSession, sf)
		}
		return "", err
	}
	if res.FrontdoorURI == "" {
		return "", &SalesforceError{Status: http.StatusOK, Code: "NO_FRONTDOOR_URI", Description: "singleaccess returned no frontdoor_uri"}
	}
	if strings.HasPrefix(res.FrontdoorURI, "/") {
		return base + res.FrontdoorURI, nil
	}
	return res.FrontdoorURI, nil
}
