package oauth

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Environment is the kind of login the user picked.
type Environment string

// The environments of the product guide's picker.
const (
	Production   Environment = "production" // login.salesforce.com
	Sandbox      Environment = "sandbox"    // test.salesforce.com
	CustomDomain Environment = "custom"     // the org's own My Domain
)

// ParseEnvironment reads an environment name as a user types it.
func ParseEnvironment(s string) (Environment, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "production", "prod":
		return Production, nil
	case "sandbox", "test":
		return Sandbox, nil
	case "custom", "custom-domain", "domain", "mydomain":
		return CustomDomain, nil
	}
	return "", fmt.Errorf("unknown environment %q: use production, sandbox or custom", s)
}

// String returns the name the product guide uses.
func (e Environment) String() string {
	switch e {
	case Production:
		return "Production"
	case Sandbox:
		return "Sandbox"
	case CustomDomain:
		return "Custom Domain"
	}
	return string(e)
}

// Method is how a connection is made.
type Method string

// The three connection methods of the product guide.
const (
	QuickConnect Method = "quick"    // through the installed Salesforce CLI
	CustomApp    Method = "custom"   // the org's own connected app
	MeshMeshApp  Method = "meshmesh" // the packaged MeshMesh External Client App
)

// ParseMethod reads a method name as a user types it.
func ParseMethod(s string) (Method, error) {
	switch m := Method(strings.ToLower(strings.TrimSpace(s))); m {
	case QuickConnect, CustomApp, MeshMeshApp:
		return m, nil
	}
	return "", fmt.Errorf("unknown method %q: use quick, custom or meshmesh", s)
}

// String returns the name the product guide uses.
func (m Method) String() string {
	switch m {
	case QuickConnect:
		return "Quick Connect"
	case CustomApp:
		return "Custom Connected App"
	case MeshMeshApp:
		return "MeshMesh Connected App"
	}
	return string(m)
}

// PackageID is the MeshMesh package version every install URL installs.
const PackageID = "04tfj000000GGiLAAW"

// Target says where to log in: an environment, and for CustomDomain the
// domain as the user typed it. A Production or Sandbox target may carry a
// Domain too; it then logs in there and only says what kind of org it is.
type Target struct {
	Environment Environment
	Domain      string
}

// LoginURL returns the normalised login URL of t: the environment's login
// host, or the custom domain.
func (s Settings) LoginURL(t Target) (string, error) {
	if t.Domain != "" {
		return ParseDomain(t.Domain)
	}
	switch t.Environment {
	case Production, "":
		return s.productionURL(), nil
	case Sandbox:
		return s.sandboxURL(), nil
	case CustomDomain:
		return ParseDomain("") // the "custom domain missing" diagnosis
	}
	return "", fmt.Errorf("unknown environment %q: use production, sandbox or custom", t.Environment)
}

// InstallURL returns the URL that installs the MeshMesh package in the
// org of t: same package everywhere, only the host differs.
func (s Settings) InstallURL(t Target) (string, error) {
	login, err := s.LoginURL(t)
	if err != nil {
		return "", err
	}
	return installURL(login), nil
}

func installURL(loginURL string) string {
	return strings.TrimRight(loginURL, "/") + "/packaging/installPackage.apexp?p0=" + PackageID
}

// Warnings returns what looks wrong about t without being an error: a
// picker that disagrees with the domain.
func (t Target) Warnings() []string {
	if t.Domain == "" {
		return nil
	}
	u, err := ParseDomain(t.Domain)
	if err != nil {
		return nil
	}
	host := hostOf(u)
	sandboxHost := strings.Contains(host, ".sandbox.my.salesforce.") || strings.Contains(host, ".sandbox.my-salesforce.")
	prodHost := !sandboxHost && strings.Contains(host, ".my.salesforce.")
	if name := hostname(u); !isLoopbackHost(name) && !isSalesforceHost(name) {
		return []string{fmt.Sprintf("%s does not look like a Salesforce host (a My Domain is like MyDomain.my.salesforce.com): check the domain.", host)}
	}
	switch {
	case t.Environment == Production && sandboxHost:
		return []string{fmt.Sprintf("%s is a sandbox domain, but Production is picked: pick Sandbox (or Custom Domain) so the login and the package install URL match the org.", host)}
	case t.Environment == Sandbox && prodHost:
		return []string{fmt.Sprintf("%s is a production domain, but Sandbox is picked: pick Production (or Custom Domain) so the login and the package install URL match the org.", host)}
	}
	return nil
}

// lightningSuffixes maps each Lightning host suffix to the My Domain suffix
// to use instead (the reverse of sfdx-core's SfdcUrl.toLightningDomain).
var lightningSuffixes = []struct{ lightning, myDomain string }{
	{".lightning.force.com", ".my.salesforce.com"},
	{".lightning.crmforce.mil", ".my.salesforce.mil"},
	{".lightning.sfcrmapps.cn", ".my.sfcrmproducts.cn"},
	{".my-lightning.com", ".my-salesforce.com"},
}

// ParseDomain normalises a custom domain as a user types or pastes it:
// it adds https:// when the scheme is missing, drops any path, query or
// fragment and lower-cases the host. It refuses Lightning hosts (naming the
// My Domain host to use instead) and plain http:// except on loopback.
func ParseDomain(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", &Diagnosis{Code: InvalidDomain, Title: "Custom domain missing",
			Advice: "Enter your org's My Domain URL, for example https://MyDomain.my.salesforce.com or https://MyDomain--SandboxName.sandbox.my.salesforce.com."}
	}
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return "", &Diagnosis{Code: InvalidDomain, Title: "Custom domain is not a URL",
			Advice: fmt.Sprintf("%q is not a domain: enter your org's My Domain URL, for example https://MyDomain.my.salesforce.com.", raw)}
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	for _, s := range lightningSuffixes {
		if strings.HasSuffix(host, s.lightning) {
			use := strings.TrimSuffix(host, s.lightning) + s.myDomain
			return "", &Diagnosis{Code: LightningDomain, Title: "Lightning domain given",
				Advice: fmt.Sprintf("%s is a Lightning domain, which OAuth cannot use: use https://%s instead (Setup → My Domain shows it).", host, use)}
		}
	}
	switch scheme {
	case "https":
	case "http":
		if !isLoopbackHost(host) {
			return "", &Diagnosis{Code: InvalidDomain, Title: "Login URL must use https",
				Advice: fmt.Sprintf("Salesforce redirects http:// to https:// and the login fails with \"grant type not supported\": use https://%s.", host)}
		}
	default:
		return "", &Diagnosis{Code: InvalidDomain, Title: "Custom domain is not a web address",
			Advice: fmt.Sprintf("%q is not an https URL: enter your org's My Domain URL, for example https://MyDomain.my.salesforce.com.", raw)}
	}
	out := scheme + "://" + host
	if strings.Contains(host, ":") {
		out = scheme + "://[" + host + "]"
	}
	if p := u.Port(); p != "" {
		out += ":" + p
	}
	return out, nil
}

// isLoopbackHost reports whether host is localhost or a loopback address
// (127.0.0.0/8, ::1).
func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// hostOf returns the host (with port) of a URL, or the URL itself.
func hostOf(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil && u.Host != "" {
		return u.Host
	}
	return rawURL
}

// salesforceSuffixes are the domains Salesforce login hosts and My Domains
// live in, in every cloud.
var salesforceSuffixes = []string{".salesforce.com", ".force.com", ".cloudforce.com", ".database.com",
	".my-salesforce.com", ".salesforce.mil", ".sfcrmproducts.cn", ".salesforce-setup.com"}

// hostname returns the host of a URL, without port or brackets.
func hostname(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil {
		return u.Hostname()
	}
	return rawURL
}

// isSalesforceHost reports whether hostname is in a Salesforce domain.
func isSalesforceHost(hostname string) bool {
	h := "." + hostname
	for _, s := range salesforceSuffixes {
		if strings.HasSuffix(h, s) {
			return true
		}
	}
	return false
}
