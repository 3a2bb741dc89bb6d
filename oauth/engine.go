package oauth

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/meshmesh/meshmesh/oauth/sfcli"
	"golang.org/x/oauth2"
)

// DefaultScopes are the scopes MeshMesh asks for: the product guide's
// minimum.
var DefaultScopes = []string{"api", "refresh_token", "offline_access", "web"}

// Time limits of calls that could otherwise hang.
const (
	DefaultLoginTimeout = 5 * time.Minute  // waiting for the browser
	PreflightTimeout    = 10 * time.Second // the authorize GET before the browser opens
	RequestTimeout      = 30 * time.Second // any one call to Salesforce
)

// Engine runs OAuth against Salesforce. Its zero value is usable with
// [DefaultSettings]; set Settings from [SettingsFromEnv].
type Engine struct {
	Settings Settings

	// HTTPClient makes every request to Salesforce. Nil means a client
	// with a RequestTimeout time-out. Its CheckRedirect is not used for the
	// preflight, which never follows redirects.
	HTTPClient *http.Client

	// SF is the Salesforce CLI that Quick Connect and the import from sf
	// run. Nil means "sf" from PATH with this process's environment
	// (BROWSER is Settings.Browser).
	SF *sfcli.CLI

	clientOnce sync.Once
	client     *http.Client // the default HTTPClient, made once

	// sfChecked holds the sf executables (path, size, modification time)
	// that passed checkSF: a running tray checks each sf once.
	sfChecked sync.Map

	// Log receives what the engine does, never a token, secret or code.
	// Nil discards it.
	Log *slog.Logger
}

func (e *Engine) log() *slog.Logger {
	if e.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Log
}

// App is the OAuth client (Salesforce connected app or External Client
// App) a login uses.
type App struct {
	ClientID     string
	ClientSecret string   // empty for apps that do not require one
	Scopes       []string // nil means DefaultScopes
}

func (a App) scopes() []string {
	if len(a.Scopes) == 0 {
		return DefaultScopes
	}
	return a.Scopes
}

func (e *Engine) httpClient() *http.Client {
	if e.HTTPClient != nil {
		return e.HTTPClient
	}
	e.clientOnce.Do(func() {
		// Its own transport, keeping as many idle connections to a host
		// as a check of many orgs sends requests to it at once: with
		// net/http's default of 2, each of the others would pay a new TLS
		// handshake with login.salesforce.com.
		// (No cap on connections: a request waiting for one would spend
		// its RequestTimeout queued behind a check.)
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = IdleConnsPerHost
		e.client = &http.Client{Timeout: RequestTimeout, Transport: t}
	})
	return e.client
}

// IdleConnsPerHost is how many idle connections to one Salesforce host the
// engine keeps for the next requests.
const IdleConnsPerHost = 16

// oauthContext returns ctx carrying the engine's HTTP client for x/oauth2.
func (e *Engine) oauthContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, e.httpClient())
}

// config returns the x/oauth2 configuration of app at loginURL.
func (e *Engine) config(loginURL string, app App) *oauth2.Config {
	base := strings.TrimRight(loginURL, "/")
	return &oauth2.Config{
		ClientID:     app.ClientID,
		ClientSecret: app.ClientSecret,
		Endpoint: oauth2.Endpoint{
			AuthURL:   base + "/services/oauth2/authorize",
			TokenURL:  base + "/services/oauth2/token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
		RedirectURL: e.Settings.RedirectURL(),
		Scopes:      app.scopes(),
	}
}
