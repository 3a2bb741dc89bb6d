package sfcli

import (
	"errors"
	"fmt"
	"regexp"
)

// AuthURL is an sfdxAuthUrl,
// force://<client id>:<client secret>:<refresh token>@<host[:port]>: what
// sf org login sfdx-url takes to sign an org in without a browser. It
// carries a refresh token; its String method hides it.
type AuthURL struct {
	ClientID     string
	ClientSecret string // empty for sf's own app (PlatformCLI)
	RefreshToken string
	// Host is the org's host and port, with no scheme: sf always reaches
	// it over https.
	Host string
}

// authURLPattern is sf's own (AuthInfo.parseSfdxAuthUrl).
var authURLPattern = regexp.MustCompile(`^force://([a-zA-Z0-9._-]+={0,2}):([a-zA-Z0-9._-]*={0,2}):([a-zA-Z0-9._-]+={0,2})@([a-zA-Z0-9:._-]+)$`)

// ErrBadAuthURL is a string that is not an sfdxAuthUrl.
var ErrBadAuthURL = errors.New(`not an sfdxAuthUrl: the format is "force://<clientId>:<clientSecret>:<refreshToken>@<instanceUrl>"`)

// ParseAuthURL parses s as sf does.
func ParseAuthURL(s string) (AuthURL, error) {
	m := authURLPattern.FindStringSubmatch(s)
	if m == nil {
		return AuthURL{}, ErrBadAuthURL
	}
	return AuthURL{ClientID: m[1], ClientSecret: m[2], RefreshToken: m[3], Host: m[4]}, nil
}

// Encode returns the sfdxAuthUrl itself, refresh token included; it checks
// that sf can read it back.
func (u AuthURL) Encode() (string, error) {
	s := fmt.Sprintf("force://%s:%s:%s@%s", u.ClientID, u.ClientSecret, u.RefreshToken, u.Host)
	if !authURLPattern.MatchString(s) {
		return "", fmt.Errorf("sfcli: this connection cannot be written as an sfdxAuthUrl (sf accepts only letters, digits and ._- in its client id, secret and token, and a host[:port])")
	}
	return s, nil
}

// String returns the URL with its secret and token hidden.
func (u AuthURL) String() string {
	secret := ""
	if u.ClientSecret != "" {
		secret = "…"
	}
	return fmt.Sprintf("force://%s:%s:…@%s", u.ClientID, secret, u.Host)
}
