package sftest

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// config holds the settings chosen with Options.
type config struct {
	tls        bool
	codeTTL    time.Duration
	apiVersion string
}

// An Option configures a Server in New or Start.
type Option func(*config)

// WithTLS makes every listener serve HTTPS. All listeners share one leaf
// certificate (SANs 127.0.0.1, ::1 and localhost) signed by a fresh CA;
// Server.CertPEM returns that CA and Server.Client trusts it.
func WithTLS() Option { return func(c *config) { c.tls = true } }

// WithCodeTTL sets how long an authorization code can be redeemed.
// The default is 15 minutes.
func WithCodeTTL(d time.Duration) Option { return func(c *config) { c.codeTTL = d } }

// WithAPIVersion sets the newest REST API version served, such as "64.0"
// (the default). GET /services/data lists every version from 31.0 to it.
func WithAPIVersion(v string) Option { return func(c *config) { c.apiVersion = v } }

// HostKind says what a Host stands for.
type HostKind int

const (
	// ProductionLogin stands for https://login.salesforce.com.
	ProductionLogin HostKind = iota
	// SandboxLogin stands for https://test.salesforce.com.
	SandboxLogin
	// MyDomain stands for an org's own domain, such as
	// https://acme.my.salesforce.com; it is also the org's instance_url.
	MyDomain
)

// String returns "ProductionLogin", "SandboxLogin" or "MyDomain".
func (k HostKind) String() string {
	switch k {
	case ProductionLogin:
		return "ProductionLogin"
	case SandboxLogin:
		return "SandboxLogin"
	case MyDomain:
		return "MyDomain"
	}
	return "HostKind(" + strconv.Itoa(int(k)) + ")"
}

// A Host is one listener of the fake, on its own 127.0.0.1 port: a login
// host or an org's My Domain. Every Host serves every endpoint; tokens say
// which org a request is about, and codes and sessions are bound to the Host
// that issued them.
type Host struct {
	URL  string   // base URL without a trailing slash, e.g. http://127.0.0.1:40123
	Kind HostKind // ProductionLogin, SandboxLogin or MyDomain
	Org  *Org     // the org, for MyDomain hosts; nil for login hosts

	srv    *httptest.Server
	cookie string // name of this host's session cookie
}

// Server is a fake Salesforce: two login hosts plus one My Domain host per
// org, sharing one state. Create it with New (in tests) or Start.
//
// The Org, User and App values returned by AddOrg, AddUser and AddApp are
// live: a test may change their fields (for example set App.Blocked) inside
// Change, or before the first request.
type Server struct {
	Production *Host // stands for https://login.salesforce.com
	Sandbox    *Host // stands for https://test.salesforce.com

	cfg    config
	newest int // major number of the newest API version
	caPEM  []byte
	leaf   tls.Certificate
	client *http.Client

	mu          sync.Mutex
	closed      bool
	hosts       []*Host
	orgs        []*Org
	users       []*User
	apps        []*App
	cliApp      *App
	latency     time.Duration
	errorPages  bool
	failNext    *authError
	failToken   *tokenFailure
	restricted  map[*Org]bool
	apiDisabled map[*Org]bool
	codes       map[string]*authCode
	access      map[string]*accessToken
	refresh     map[string]*refreshToken
	sessions    map[string]*session
	pending     map[string]*pendingAuth
	otps        map[string]*otp
	approved    map[approval]bool
	log         []Request
}

// New starts a fake Salesforce and registers t.Cleanup(s.Close).
// It calls t.Fatal if the server cannot start.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := Start(opts...)
	if err != nil {
		t.Fatalf("sftest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Start is New without a testing.TB, for a demo mode or a small command.
// The caller must call Close.
func Start(opts ...Option) (*Server, error) {
	cfg := config{codeTTL: 15 * time.Minute, apiVersion: "64.0"}
	for _, o := range opts {
		o(&cfg)
	}
	newest, err := parseVersion(cfg.apiVersion)
	if err != nil || newest < firstAPIVersion {
		return nil, fmt.Errorf("bad API version %q", cfg.apiVersion)
	}
	s := &Server{
		cfg:         cfg,
		newest:      newest,
		restricted:  map[*Org]bool{},
		apiDisabled: map[*Org]bool{},
		codes:       map[string]*authCode{},
		access:      map[string]*accessToken{},
		refresh:     map[string]*refreshToken{},
		sessions:    map[string]*session{},
		pending:     map[string]*pendingAuth{},
		otps:        map[string]*otp{},
		approved:    map[approval]bool{},
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if cfg.tls {
		caPEM, leaf, err := newCertificates()
		if err != nil {
			return nil, err
		}
		s.caPEM, s.leaf = caPEM, leaf
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(caPEM)
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	s.client = &http.Client{Transport: tr}
	if s.Production, err = s.startHost(ProductionLogin, nil); err != nil {
		return nil, err
	}
	if s.Sandbox, err = s.startHost(SandboxLogin, nil); err != nil {
		s.Close()
		return nil, err
	}
	s.cliApp = s.AddApp(App{
		Name:         "Salesforce CLI",
		Kind:         ConnectedApp,
		ClientID:     "PlatformCLI",
		CallbackURLs: []string{"http://localhost:1717/OauthRedirect"},
		Scopes:       []string{"refresh_token", "api", "web", "full"},
		RequirePKCE:  true,
	})
	return s, nil
}

// startHost starts one listener.
func (s *Server) startHost(kind HostKind, org *Org) (*Host, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	h := &Host{Kind: kind, Org: org}
	h.cookie = "sid_" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	h.srv = &httptest.Server{
		Listener: l,
		Config: &http.Server{
			Handler:  &hostHandler{s: s, h: h},
			ErrorLog: log.New(io.Discard, "", 0),
		},
	}
	if s.cfg.tls {
		h.srv.TLS = &tls.Config{Certificates: []tls.Certificate{s.leaf}}
		h.srv.StartTLS()
	} else {
		h.srv.Start()
	}
	h.URL = h.srv.URL
	s.mu.Lock()
	s.hosts = append(s.hosts, h)
	s.mu.Unlock()
	return h, nil
}

// Close shuts down every listener, blocking until outstanding requests on
// them have completed. Close may be called more than once.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	hosts := append([]*Host(nil), s.hosts...)
	s.mu.Unlock()
	for _, h := range hosts {
		h.srv.Close()
	}
	s.client.CloseIdleConnections()
}

// Client returns an HTTP client that trusts the server's certificate when
// WithTLS was given. It has no cookie jar and follows redirects like
// http.DefaultClient.
func (s *Server) Client() *http.Client { return s.client }

// CertPEM returns the PEM encoding of the CA certificate to trust (for
// example through NODE_EXTRA_CA_CERTS), or nil without WithTLS.
func (s *Server) CertPEM() []byte {
	if s.caPEM == nil {
		return nil
	}
	return append([]byte(nil), s.caPEM...)
}

// Hosts returns every listener: the two login hosts first, then the My
// Domain hosts in the order their orgs were added.
func (s *Server) Hosts() []*Host {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Host(nil), s.hosts...)
}

// SetLatency delays every response by d.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// ExpireAccessTokens makes every access token issued so far invalid: the
// REST API answers 401 INVALID_SESSION_ID and singleaccess answers 403.
// Refresh tokens keep working.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.access {
		a.revoked = true
	}
}

// RevokeRefreshTokens revokes all of u's refresh tokens and the access tokens
// obtained with them. Using one then fails with invalid_grant / expired
// access/refresh token.
func (s *Server) RevokeRefreshTokens(u *User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rt := range s.refresh {
		if rt.user == u {
			s.revokeRefresh(rt)
		}
	}
}

// DisableAPI makes the REST API of o answer 403 API_DISABLED_FOR_ORG.
func (s *Server) DisableAPI(o *Org) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apiDisabled[o] = true
}

// RestrictIP makes the token endpoint refuse users of o with invalid_grant /
// ip restricted or invalid login hours, as a profile's Login IP Ranges do.
func (s *Server) RestrictIP(o *Org) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.restricted[o] = true
}

// FailNextAuthorize makes the next authorize request that gets past sign-in
// answer with error err and description desc instead of running the app
// policy checks. With page false the browser is redirected to the redirect_uri
// with error, error_description and state; with page true it is sent to
// /setup/secur/RemoteAccessErrorPage.apexp on the same host, which shows the
// OAUTH_APPROVAL_ERROR_GENERIC text, and the app's callback gets nothing.
func (s *Server) FailNextAuthorize(err, desc string, page bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = &authError{code: err, desc: desc, page: page}
}

// FailNextToken makes the next token request (of any grant type) answer
// with HTTP status (0 means 400) and the OAuth error err and description
// desc, for what Salesforce says but the fake does not model: an inactive
// user (inactive_user / user is inactive) or org (inactive_org /
// organization is locked, closed, or suspended), the login rate limit
// (rate_limit_exceeded / number of logins exceeded), an outage
// (unknown_error / retry your request), a password change (invalid_grant /
// authentication failure). Use the exact strings of Salesforce.
func (s *Server) FailNextToken(status int, err, desc string) {
	if status == 0 {
		status = http.StatusBadRequest
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failToken = &tokenFailure{status: status, err: oauthError{err, desc}}
}

// tokenFailure is the answer FailNextToken set up.
type tokenFailure struct {
	status int
	err    oauthError
}

// ErrorPages sets how app-policy errors at the authorize step are shown
// (blocked app, app not installed, cross-org, not admin approved). With on
// false (the default) the browser is redirected to the redirect_uri with
// error, error_description and state; with on true it is sent to
// /setup/secur/RemoteAccessErrorPage.apexp, as real Salesforce often does.
func (s *Server) ErrorPages(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errorPages = on
}

// Change runs f with the server's lock held, so that f may change the
// fields of live Org, User and App values while requests may be served:
// from another process (a program under test, its browser) the race
// detector sees no order between a test's writes and the server's reads
// unless they share this lock.
func (s *Server) Change(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

// A Request is one entry of the request log.
type Request struct {
	Host   *Host
	Method string
	Path   string // with repeated slashes collapsed
	Query  url.Values
	Form   url.Values // parsed body of a form POST; nil otherwise
	Header http.Header
	Status int
	Time   time.Time // when the request arrived
}

// Requests returns the request log, in the order the responses were made.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// ResetRequests empties the request log.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
}

// hostHandler serves one Host.
type hostHandler struct {
	s *Server
	h *Host
}

// statusWriter records the status code of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (hh *hostHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := hh.s
	start := time.Now()
	s.mu.Lock()
	lat := s.latency
	s.mu.Unlock()
	if lat > 0 {
		t := time.NewTimer(lat)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if p := collapseSlashes(r.URL.Path); p != r.URL.Path {
		r.URL.Path, r.URL.RawPath = p, ""
	}
	var form url.Values
	if r.Method == http.MethodPost && isForm(r) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		form, _ = url.ParseQuery(string(body))
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	sw := &statusWriter{ResponseWriter: w}
	s.route(sw, r, hh.h)
	if sw.status == 0 {
		sw.status = http.StatusOK
	}
	s.mu.Lock()
	s.log = append(s.log, Request{
		Host:   hh.h,
		Method: r.Method,
		Path:   r.URL.Path,
		Query:  r.URL.Query(),
		Form:   form,
		Header: r.Header.Clone(),
		Status: sw.status,
		Time:   start,
	})
	s.mu.Unlock()
}

// route dispatches on the path; every host serves every endpoint.
func (s *Server) route(w http.ResponseWriter, r *http.Request, h *Host) {
	p := r.URL.Path
	switch {
	case p == "/services/oauth2/authorize":
		s.serveAuthorize(w, r, h)
	case p == "/", p == "/login":
		s.serveLogin(w, r, h)
	case p == "/setup/secur/RemoteAccessAuthorizationPage.apexp":
		s.serveConsent(w, r, h)
	case p == "/setup/secur/RemoteAccessErrorPage.apexp":
		s.serveErrorPage(w, r, h)
	case p == "/services/oauth2/token":
		s.serveToken(w, r, h)
	case p == "/services/oauth2/revoke":
		s.serveRevoke(w, r, h)
	case p == "/services/oauth2/userinfo":
		s.serveUserinfo(w, r, h)
	case p == "/services/oauth2/introspect":
		s.serveIntrospect(w, r, h)
	case p == "/services/oauth2/singleaccess":
		s.serveSingleAccess(w, r, h)
	case strings.HasPrefix(p, "/id/"):
		s.serveIdentity(w, r, h)
	case p == "/services/data" || strings.HasPrefix(p, "/services/data/"):
		s.serveData(w, r, h)
	case p == "/secur/frontdoor.jsp":
		s.serveFrontdoor(w, r, h)
	case p == "/lightning" || strings.HasPrefix(p, "/lightning/"):
		s.serveHome(w, r, h)
	default:
		http.NotFound(w, r)
	}
}

// allow answers 405 and returns false unless r's method is one of methods.
func allow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
	return false
}

// collapseSlashes replaces every run of slashes in p by one slash.
func collapseSlashes(p string) string {
	if !strings.Contains(p, "//") {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '/' && i > 0 && p[i-1] == '/' {
			continue
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

// isForm reports whether r's body is application/x-www-form-urlencoded.
func isForm(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/x-www-form-urlencoded"
}
