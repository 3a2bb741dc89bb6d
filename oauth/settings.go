package oauth

import (
	"fmt"
	"strconv"
	"strings"
)

// Default login hosts and the callback port Salesforce apps are set up with.
const (
	DefaultProductionURL = "https://login.salesforce.com"
	DefaultSandboxURL    = "https://test.salesforce.com"
	DefaultCallbackPort  = 1717
)

// Settings is the engine's configuration. [SettingsFromEnv] reads it from
// the MESHMESH_* variables documented in the README.
type Settings struct {
	// ProductionURL and SandboxURL are the login hosts for the Production
	// and Sandbox environments (MESHMESH_PRODUCTION_URL,
	// MESHMESH_SANDBOX_URL).
	ProductionURL string
	SandboxURL    string

	// CallbackPort is the loopback port of the redirect URL
	// http://localhost:<port>/OauthRedirect (MESHMESH_CALLBACK_PORT).
	CallbackPort int

	// SFCallbackPort is the port of Quick Connect's callback, where the
	// Salesforce CLI listens (MESHMESH_SF_CALLBACK_PORT). Salesforce's CLI
	// app accepts only 1717, whatever CallbackPort says: another port is
	// for a fake Salesforce.
	SFCallbackPort int

	// SFPath is the Salesforce CLI to run (MESHMESH_SF); empty means sf
	// from PATH, else from the folders its installers use.
	SFPath string

	// ECAClientID is the consumer key of the MeshMesh Connected App
	// (MESHMESH_ECA_CLIENT_ID). Empty means the method is not configured in
	// this build.
	ECAClientID string

	// Browser is the command that opens a URL (BROWSER); empty means the
	// operating system's default browser.
	Browser string
}

// DefaultSettings returns the settings of a build with no overrides.
func DefaultSettings() Settings {
	return Settings{
		ProductionURL:  DefaultProductionURL,
		SandboxURL:     DefaultSandboxURL,
		CallbackPort:   DefaultCallbackPort,
		SFCallbackPort: DefaultCallbackPort,
	}
}

// SettingsFromEnv reads settings through getenv (os.Getenv in production,
// a map in tests). A malformed value is an error naming the variable.
func SettingsFromEnv(getenv func(string) string) (Settings, error) {
	s := DefaultSettings()
	for _, v := range []struct {
		name string
		dst  *string
	}{
		{"MESHMESH_PRODUCTION_URL", &s.ProductionURL},
		{"MESHMESH_SANDBOX_URL", &s.SandboxURL},
	} {
		raw := strings.TrimSpace(getenv(v.name))
		if raw == "" {
			continue
		}
		u, err := ParseDomain(raw)
		if err != nil {
			return Settings{}, fmt.Errorf("%s: %w", v.name, err)
		}
		*v.dst = u
	}
	for _, v := range []struct {
		name string
		dst  *int
	}{
		{"MESHMESH_CALLBACK_PORT", &s.CallbackPort},
		{"MESHMESH_SF_CALLBACK_PORT", &s.SFCallbackPort},
	} {
		raw := strings.TrimSpace(getenv(v.name))
		if raw == "" {
			continue
		}
		port, err := strconv.Atoi(raw)
		if err != nil || port < 1 || port > 65535 {
			return Settings{}, fmt.Errorf("%s=%q is not a port number: set it to a number from 1 to 65535, or unset it to use %d", v.name, raw, DefaultCallbackPort)
		}
		*v.dst = port
	}
	s.SFPath = strings.TrimSpace(getenv("MESHMESH_SF"))
	s.ECAClientID = strings.TrimSpace(getenv("MESHMESH_ECA_CLIENT_ID"))
	s.Browser = strings.TrimSpace(getenv("BROWSER"))
	return s, nil
}

// RedirectURL is the callback URL registered on the Salesforce app.
func (s Settings) RedirectURL() string {
	return fmt.Sprintf("http://localhost:%d/OauthRedirect", s.port())
}

// sfPort is Quick Connect's callback port.
func (s Settings) sfPort() int {
	if s.SFCallbackPort == 0 {
		return DefaultCallbackPort
	}
	return s.SFCallbackPort
}

func (s Settings) port() int {
	if s.CallbackPort == 0 {
		return DefaultCallbackPort
	}
	return s.CallbackPort
}

func (s Settings) productionURL() string {
	if s.ProductionURL == "" {
		return DefaultProductionURL
	}
	return s.ProductionURL
}

func (s Settings) sandboxURL() string {
	if s.SandboxURL == "" {
		return DefaultSandboxURL
	}
	return s.SandboxURL
}
