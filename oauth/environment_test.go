package oauth

import (
	"errors"
	"strings"
	"testing"
)

func TestParseDomain(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		code     Code   // expected diagnosis, if refused
		advice   string // part of the advice
	}{
		{in: "acme.my.salesforce.com", want: "https://acme.my.salesforce.com"},
		{in: "https://ACME.my.salesforce.com/", want: "https://acme.my.salesforce.com"},
		{in: "  https://Acme--UAT.sandbox.my.salesforce.com/lightning/page/home?x=1#y ", want: "https://acme--uat.sandbox.my.salesforce.com"},
		{in: "https://acme.my.salesforce.com:8443/x", want: "https://acme.my.salesforce.com:8443"},
		{in: "foo-lightning.my.salesforce.com", want: "https://foo-lightning.my.salesforce.com"}, // forcedotcom/cli#2241
		{in: "http://127.0.0.1:4321/services", want: "http://127.0.0.1:4321"},
		{in: "http://localhost:4321", want: "http://localhost:4321"},
		{in: "http://[::1]:4321", want: "http://[::1]:4321"},
		{in: "http://127.8.9.10", want: "http://127.8.9.10"},
		{in: "https://acme.lightning.force.com/lightning/setup/SetupOneHome/home", code: LightningDomain, advice: "https://acme.my.salesforce.com"},
		{in: "acme--uat.sandbox.lightning.force.com", code: LightningDomain, advice: "https://acme--uat.sandbox.my.salesforce.com"},
		{in: "https://agency.lightning.crmforce.mil", code: LightningDomain, advice: "https://agency.my.salesforce.mil"},
		{in: "https://corp.lightning.sfcrmapps.cn", code: LightningDomain, advice: "https://corp.my.sfcrmproducts.cn"},
		{in: "http://acme.my.salesforce.com", code: InvalidDomain, advice: "https://acme.my.salesforce.com"},
		{in: "http://10.0.0.1", code: InvalidDomain, advice: "https"},
		{in: "ftp://acme.my.salesforce.com", code: InvalidDomain},
		{in: "", code: InvalidDomain},
		{in: "https://user:pw@acme.my.salesforce.com", code: InvalidDomain},
	} {
		got, err := ParseDomain(tt.in)
		if tt.code == "" {
			if err != nil || got != tt.want {
				t.Errorf("ParseDomain(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			continue
		}
		var d *Diagnosis
		if !errors.As(err, &d) || d.Code != tt.code || !strings.Contains(d.Advice, tt.advice) {
			t.Errorf("ParseDomain(%q) = %q, %v; want %s naming %q", tt.in, got, err, tt.code, tt.advice)
		}
	}
}

func TestInstallURL(t *testing.T) {
	s := DefaultSettings()
	for _, tt := range []struct {
		t    Target
		want string
	}{
		{Target{Environment: Production}, "https://login.salesforce.com/packaging/installPackage.apexp?p0=04tfj000000GGiLAAW"},
		{Target{Environment: Sandbox}, "https://test.salesforce.com/packaging/installPackage.apexp?p0=04tfj000000GGiLAAW"},
		{Target{Environment: CustomDomain, Domain: "Acme--UAT.sandbox.my.salesforce.com/home"}, "https://acme--uat.sandbox.my.salesforce.com/packaging/installPackage.apexp?p0=04tfj000000GGiLAAW"},
	} {
		if got, err := s.InstallURL(tt.t); err != nil || got != tt.want {
			t.Errorf("InstallURL(%+v) = %q, %v; want %q", tt.t, got, err, tt.want)
		}
	}
	if _, err := s.InstallURL(Target{Environment: CustomDomain}); err == nil {
		t.Error("custom environment without a domain: no error")
	}
}

func TestTargetWarnings(t *testing.T) {
	for _, tt := range []struct {
		t    Target
		warn bool
	}{
		{Target{Environment: Production, Domain: "acme--uat.sandbox.my.salesforce.com"}, true},
		{Target{Environment: Sandbox, Domain: "acme.my.salesforce.com"}, true},
		{Target{Environment: Sandbox, Domain: "acme--uat.sandbox.my.salesforce.com"}, false},
		{Target{Environment: Production, Domain: "acme.my.salesforce.com"}, false},
		{Target{Environment: CustomDomain, Domain: "acme--uat.sandbox.my.salesforce.com"}, false},
		{Target{Environment: Production}, false},
		{Target{Environment: CustomDomain, Domain: "acme"}, true},
		{Target{Environment: CustomDomain, Domain: "acme.my.salesforce.con"}, true},
		{Target{Environment: CustomDomain, Domain: "login.salesforce.com.evil.io"}, true},
		{Target{Environment: CustomDomain, Domain: "acme.my.salesforce.mil"}, false},
		{Target{Environment: CustomDomain, Domain: "acme.my.sfcrmproducts.cn"}, false},
		{Target{Environment: CustomDomain, Domain: "http://127.0.0.1:8080"}, false},
		{Target{Environment: CustomDomain, Domain: "https://localhost:8443"}, false},
		{Target{Environment: CustomDomain, Domain: "http://[::1]:8443"}, false},
	} {
		if got := tt.t.Warnings(); (len(got) > 0) != tt.warn {
			t.Errorf("%+v: warnings %q, want warning=%v", tt.t, got, tt.warn)
		}
	}
}

func TestSettingsFromEnv(t *testing.T) {
	env := map[string]string{
		"MESHMESH_PRODUCTION_URL": "http://127.0.0.1:9000/",
		"MESHMESH_SANDBOX_URL":    "https://Test.Example.com",
		"MESHMESH_CALLBACK_PORT":  "17171",
		"MESHMESH_ECA_CLIENT_ID":  " 3MVGkey ",
		"BROWSER":                 "firefox",
	}
	s, err := SettingsFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	// Quick Connect keeps 1717, the only port Salesforce's CLI app takes.
	want := Settings{ProductionURL: "http://127.0.0.1:9000", SandboxURL: "https://test.example.com", CallbackPort: 17171, SFCallbackPort: 1717, ECAClientID: "3MVGkey", Browser: "firefox"}
	if s != want {
		t.Fatalf("got %+v, want %+v", s, want)
	}
	env["MESHMESH_SF_CALLBACK_PORT"], env["MESHMESH_SF"] = "27171", "/opt/sf/bin/sf"
	if s, err := SettingsFromEnv(func(k string) string { return env[k] }); err != nil || s.SFCallbackPort != 27171 || s.SFPath != "/opt/sf/bin/sf" {
		t.Errorf("with MESHMESH_SF_CALLBACK_PORT and MESHMESH_SF: %+v, %v", s, err)
	}
	if s.RedirectURL() != "http://localhost:17171/OauthRedirect" {
		t.Errorf("redirect %s", s.RedirectURL())
	}
	for k, v := range map[string]string{"MESHMESH_CALLBACK_PORT": "seventeen", "MESHMESH_SF_CALLBACK_PORT": "0", "MESHMESH_SANDBOX_URL": "http://test.example.com"} {
		_, err := SettingsFromEnv(func(n string) string {
			if n == k {
				return v
			}
			return ""
		})
		if err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: error %v does not name the variable", k, v, err)
		}
	}
	d, _ := SettingsFromEnv(func(string) string { return "" })
	if d != DefaultSettings() {
		t.Errorf("defaults %+v", d)
	}
}

func TestMissingScopes(t *testing.T) {
	for _, tt := range []struct {
		scopes, want string
	}{
		{"api refresh_token offline_access web", ""},
		{"api offline_access web", ""},
		{"full refresh_token", ""},
		{"full", "refresh_token"},
		{"api web", "refresh_token"},
		{"refresh_token", "api web"},
		{"", "api refresh_token web"},
	} {
		if got := strings.Join(MissingScopes(strings.Fields(tt.scopes)), " "); got != tt.want {
			t.Errorf("MissingScopes(%q) = %q, want %q", tt.scopes, got, tt.want)
		}
	}
}
