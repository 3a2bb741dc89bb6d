package oauth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/oauth2"
)

// LoginRequest says how to log in.
type LoginRequest struct {
	Method    Method
	Target    Target
	App       App    // for MeshMeshApp, ClientID defaults to Settings.ECAClientID
	LoginHint string // pre-fills the username (reconnect)
	// Timeout bounds the wait for the browser; 0 means DefaultLoginTimeout.
	Timeout time.Duration
}

// Flow is one browser login in progress: its callback server is up and the
// authorize URL has passed the preflight. Open [Flow.URL] in a browser, then
// call [Flow.Wait]. A Flow holds the callback port until Wait returns or
// Close is called.
type Flow struct {
	engine   *Engine
	sit      Situation
	cfg      *oauth2.Config
	state    string
	verifier string
	url      string
	timeout  time.Duration
	ctx      context.Context // bounds the code exchange; cancelled by Close
	cancel   context.CancelFunc

	srv     *http.Server
	lns     []net.Listener
	claimed atomic.Bool // a callback with the right state arrived
	forged  atomic.Bool // a callback with a wrong state arrived
	done    chan struct{}
	grant   *Grant
	err     error
	closing sync.Once
}

// Begin prepares a browser login: it checks the request, opens the
// callback server on the callback port (127.0.0.1 and [::1]), and runs the
// preflight. The returned Flow's URL is what the browser must open.
func (e *Engine) Begin(ctx context.Context, req LoginRequest) (*Flow, error) {
	sit := Situation{Step: StepSetup, Method: req.Method, Target: req.Target, Port: e.Settings.port()}
	app := req.App
	switch req.Method {
	case QuickConnect:
		// The Salesforce CLI runs that browser login, not a Flow.
		return nil, errors.New("oauth: Quick Connect signs in through the Salesforce CLI: use Engine.QuickConnect (or Engine.Login)")
	case MeshMeshApp:
		if app.ClientID == "" {
			app.ClientID = e.Settings.ECAClientID
		}
		if app.ClientID == "" {
			return nil, newDiagnosis(NotConfigured, sit)
		}
	case CustomApp, "":
		if app.ClientID == "" {
			d := newDiagnosis(InvalidClientID, sit)
			d.Title = "Consumer key missing"
			d.Advice = "A Custom Connected App login needs the app's Consumer Key (Client ID): Setup → App Manager → your app → View → Manage Consumer Details."
			d.Fixes = nil
			return nil, d
		}
	default:
		return nil, fmt.Errorf("oauth: unknown method %q", req.Method)
	}
	loginURL, err := e.Settings.LoginURL(req.Target)
	if err != nil {
		return nil, err
	}
	sit.LoginURL = loginURL

	f := &Flow{
		engine:   e,
		sit:      sit,
		cfg:      e.config(loginURL, app),
		state:    rand.Text(),
		verifier: oauth2.GenerateVerifier(),
		timeout:  req.Timeout,
		done:     make(chan struct{}),
	}
	if f.timeout <= 0 {
		f.timeout = DefaultLoginTimeout
	}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(f.verifier), oauth2.SetAuthURLParam("prompt", "login")}
	if req.LoginHint != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", req.LoginHint))
	}
	f.url = f.cfg.AuthCodeURL(f.state, opts...)

	lns, err := listenCallback(sit)
	if err != nil {
		return nil, err
	}
	f.sit.Step = StepPreflight
	e.log().Info("login: begin", "method", req.Method, "environment", req.Target.Environment, "login_host", hostOf(loginURL), "callback", f.cfg.RedirectURL)
	if err := e.preflight(ctx, f.url, f.cfg.RedirectURL, f.sit); err != nil {
		for _, ln := range lns {
			ln.Close()
		}
		e.log().Warn("login: preflight failed", "code", Diagnose(err, f.sit).Code, "err", err)
		return nil, err
	}
	f.ctx, f.cancel = context.WithCancel(context.WithoutCancel(ctx))
	f.srv = &http.Server{
		Handler:           f,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(e.log().Handler(), slog.LevelDebug),
	}
	f.lns = lns
	for _, ln := range lns {
		go f.srv.Serve(ln)
	}
	return f, nil
}

// listenCallback opens the callback port of sit (see listenLoopback); a
// port another program holds is the port_in_use diagnosis.
func listenCallback(sit Situation) ([]net.Listener, error) {
	lns, err := listenLoopback(sit.Port)
	switch {
	case err == nil:
		return lns, nil
	case isAddrInUse(err):
		d := newDiagnosis(PortInUse, sit)
		d.Err = err
		return nil, d
	}
	return nil, fmt.Errorf("oauth: opening the callback port %d: %w", sit.Port, err)
}

// listenLoopback listens on port at 127.0.0.1 and, where the machine has
// IPv6, at [::1]: browsers resolve localhost to either.
func listenLoopback(port int) ([]net.Listener, error) {
	p := strconv.Itoa(port)
	v4, err := net.Listen("tcp4", "127.0.0.1:"+p)
	if err != nil {
		return nil, err
	}
	v6, err := net.Listen("tcp6", "[::1]:"+p)
	if err != nil {
		if isAddrInUse(err) {
			v4.Close()
			return nil, err
		}
		return []net.Listener{v4}, nil // no IPv6 loopback here
	}
	return []net.Listener{v4, v6}, nil
}

// isAddrInUse reports whether err is "address already in use"
// (WSAEADDRINUSE on Windows).
func isAddrInUse(err error) bool {
	var errno syscall.Errno
	return errors.Is(err, syscall.EADDRINUSE) || (errors.As(err, &errno) && errno == 10048)
}

// URL returns the authorize URL to open in the browser. It carries no
// secret: the state and PKCE challenge are useless without this process.
func (f *Flow) URL() string { return f.url }

// RedirectURL returns the callback URL the flow listens on.
func (f *Flow) RedirectURL() string { return f.cfg.RedirectURL }

// Timeout returns how long Wait waits for the browser.
func (f *Flow) Timeout() time.Duration { return f.timeout }

// Wait waits for the browser to come back, then returns the grant: the
// tokens and who and where the user is. It gives up after the flow's
// timeout, or when ctx is done; either way the callback port is released.
func (f *Flow) Wait(ctx context.Context) (*Grant, error) {
	defer f.Close()
	timer := time.NewTimer(f.timeout)
	defer timer.Stop()
	log := f.engine.log()
	select {
	case <-f.done:
		if f.err != nil {
			log.Warn("login: failed", "code", Diagnose(f.err, f.sit).Code, "err", f.err)
		} else {
			log.Info("login: connected", "username", f.grant.Org.Username, "org_id", f.grant.Org.OrgID, "instance", hostOf(f.grant.Org.InstanceURL))
		}
		return f.grant, f.err
	case <-timer.C:
		if f.claimed.Load() {
			// The browser came back just in time: let the exchange finish
			// (it has its own time limit).
			<-f.done
			return f.grant, f.err
		}
		log.Warn("login: timed out", "after", f.timeout, "forged_callbacks", f.forged.Load())
		sit := f.sit
		sit.Step = StepAuthorize
		if f.forged.Load() {
			return nil, newDiagnosis(StateMismatch, sit)
		}
		d := newDiagnosis(LoginTimeout, sit)
		d.Advice = fmt.Sprintf("Waited %s. ", f.timeout.Round(time.Second)) + d.Advice
		return nil, d
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Close stops the callback server and releases the port. It is safe to
// call more than once, and after Wait.
func (f *Flow) Close() error {
	f.closing.Do(func() {
		if f.cancel != nil {
			f.cancel()
		}
		if f.srv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if err := f.srv.Shutdown(ctx); err != nil {
				f.srv.Close()
			}
		}
		// Serve may not have taken a listener yet: close them here so the
		// port is free when Close returns.
		for _, ln := range f.lns {
			ln.Close()
		}
	})
	return nil
}

// Login runs a whole browser login: Begin, open the browser, Wait; or,
// for Quick Connect, QuickConnect.
func (e *Engine) Login(ctx context.Context, req LoginRequest) (*Grant, error) {
	if req.Method == QuickConnect {
		return e.QuickConnect(ctx, req)
	}
	f, err := e.Begin(ctx, req)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := OpenURL(ctx, e.Settings.Browser, f.URL()); err != nil {
		return nil, err
	}
	return f.Wait(ctx)
}

// finish redeems code at the login host, checks the grant and identifies
// the user and org.
func (f *Flow) finish(code string) (*Grant, error) {
	ctx, cancel := context.WithTimeout(f.ctx, 2*RequestTimeout)
	defer cancel()
	sit := f.sit
	sit.Step = StepExchange
	tok, err := f.cfg.Exchange(f.engine.oauthContext(ctx), code, oauth2.VerifierOption(f.verifier))
	if err != nil {
		return nil, Diagnose(redactURLError(err), sit)
	}
	ti := readTokenInfo(tok)
	if missing := missingScopes(tok, ti.scopes); len(missing) > 0 {
		return nil, scopeDiagnosis(sit, missing, ti.scopes)
	}
	sit.Step = StepIdentity
	org, err := f.engine.Identify(ctx, ti.instanceURL, tok.AccessToken)
	if err != nil {
		return nil, Diagnose(err, sit)
	}
	if oid, uid := idParts(ti.idURL); org.OrgID == "" {
		org.OrgID, org.UserID = oid, uid
	}
	org.LoginURL = f.sit.LoginURL
	org.Environment = f.sit.Target.Environment
	org.Method = f.sit.Method
	org.ClientID = f.cfg.ClientID
	org.Scopes = ti.scopes
	tok.Expiry = time.Time{} // Salesforce sends no expires_in: never trust an expiry
	return &Grant{Org: org, Token: tok, IssuedAt: ti.issuedAt}, nil
}

// complete records the flow's outcome once.
func (f *Flow) complete(g *Grant, err error) {
	f.grant, f.err = g, err
	close(f.done)
}

// ServeHTTP is the loopback redirect server.
func (f *Flow) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !f.allowedHost(r.Host) {
		// A page of another origin reaching us through DNS rebinding.
		http.Error(w, "MeshMesh: wrong Host", http.StatusForbidden)
		return
	}
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Private-Network") == "true" {
		// Chrome's Private Network Access preflight before the redirect
		// to localhost (forcedotcom/cli#2785).
		w.Header().Set("Access-Control-Allow-Private-Network", "true")
		w.Header().Set("Access-Control-Allow-Methods", "GET")
		if o := r.Header.Get("Origin"); o != "" {
			w.Header().Set("Access-Control-Allow-Origin", o)
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if r.URL.Path != "/OauthRedirect" {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET, OPTIONS")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	q := r.URL.Query()
	sit := f.sit
	sit.Step = StepAuthorize
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.state)) != 1 {
		f.engine.log().Warn("login: callback with a wrong state refused", "remote", r.RemoteAddr)
		f.forged.Store(true)
		renderPage(w, http.StatusBadRequest, nil, newDiagnosis(StateMismatch, sit))
		return
	}
	sfErr, code := q.Get("error"), q.Get("code")
	if sfErr == "" && len(code) < 5 {
		d := newDiagnosis(RequestRejected, sit)
		d.Title, d.Advice = "No login code", "Salesforce came back without a login code. Keep this tab, go back to MeshMesh and connect again."
		renderPage(w, http.StatusBadRequest, nil, d)
		return
	}
	if !f.claimed.CompareAndSwap(false, true) {
		d := newDiagnosis(RequestRejected, sit)
		d.Title, d.Advice = "Login already handled", "This login has already come back to MeshMesh. You can close this tab."
		renderPage(w, http.StatusConflict, nil, d)
		return
	}
	var (
		g   *Grant
		err error
	)
	if sfErr != "" {
		desc := q.Get("error_description")
		err = diagnoseSalesforce(sfErr, desc, 0, sit, &SalesforceError{Code: sfErr, Description: desc})
	} else {
		g, err = f.finish(code)
	}
	if err != nil {
		renderPage(w, http.StatusOK, nil, Diagnose(err, sit))
	} else {
		renderPage(w, http.StatusOK, g, nil)
	}
	f.complete(g, err)
}

func (f *Flow) allowedHost(host string) bool {
	p := strconv.Itoa(f.sit.Port)
	switch host {
	case "localhost:" + p, "127.0.0.1:" + p, "[::1]:" + p:
		return true
	}
	return false
}
