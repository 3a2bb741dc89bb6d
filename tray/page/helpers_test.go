package page

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/meshmesh/meshmesh/oauth"
)

// secret is the client secret every test types: it must never come back.
const secret = "Sup3r-S3cret-7f0c2d9e4b1a"

// fakeConnector is the tray as the page sees it: it records requests, and
// its attempts wait in the "sign in" step until the test finishes them.
type fakeConnector struct {
	mu       sync.Mutex
	requests []Request
	attempts map[string]*fakeAttempt
	n        int

	// refuse, when set, is what Connect returns instead of starting.
	refuse *oauth.Diagnosis
	// outcome says how an attempt ends; nil means it connects Acme Corp.
	outcome func(Request) *oauth.Diagnosis

	started chan string // each attempt's id, as it starts
}

type fakeAttempt struct {
	req       Request
	progress  Progress
	cancelled bool
}

func newFakeConnector() *fakeConnector {
	return &fakeConnector{attempts: map[string]*fakeAttempt{}, started: make(chan string, 16)}
}

func (c *fakeConnector) Connect(req Request) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests = append(c.requests, req)
	if c.refuse != nil {
		return "", c.refuse
	}
	c.n++
	id := fmt.Sprintf("attempt/%d", c.n) // a slash, to check the page does not put ids in its URLs
	c.attempts[id] = &fakeAttempt{req: req, progress: Progress{
		Step:      "Waiting for you to sign in in your browser…",
		SignInURL: "https://login.example/services/oauth2/authorize?client_id=" + url.QueryEscape(req.ClientID),
	}}
	c.started <- id
	return id, nil
}

func (c *fakeConnector) Progress(id string) (Progress, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.attempts[id]
	if !ok {
		return Progress{}, false
	}
	return a.progress, true
}

func (c *fakeConnector) Cancel(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a, ok := c.attempts[id]; ok && !a.progress.Done {
		a.cancelled = true
		a.progress = Progress{Done: true, Step: "Connection cancelled"}
	}
}

// finish ends attempt id as outcome says.
func (c *fakeConnector) finish(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a := c.attempts[id]
	if c.outcome != nil {
		if d := c.outcome(a.req); d != nil {
			a.progress = Progress{Done: true, Step: "Failed", Diagnosis: d}
			return
		}
	}
	alias := a.req.Alias
	if alias == "" {
		alias = "acme-corp"
	}
	a.progress = Progress{Done: true, Step: "Connected",
		Connected: &Connected{OrgName: "Acme Corp", Username: "admin@acme.example", Alias: alias}}
}

func (c *fakeConnector) lastRequest(t *testing.T) Request {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.requests) == 0 {
		t.Fatal("the connector got no request")
	}
	return c.requests[len(c.requests)-1]
}

func (c *fakeConnector) requestCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.requests)
}

// grantTypeMismatch is the guide's "grant type not supported" on
// Production, with its fixes.
func grantTypeMismatch(req Request) *oauth.Diagnosis {
	if req.Target.Environment != oauth.Production {
		return nil
	}
	return &oauth.Diagnosis{
		Code:            oauth.GrantTypeMismatch,
		Title:           "Grant type not supported",
		Advice:          "The app is installed in another org than the one you signed in to: pick the environment where it is installed.",
		SalesforceError: "unsupported_grant_type", SalesforceDescription: "grant type not supported",
		Fixes: []oauth.Fix{
			{Kind: oauth.FixOpenURL, Label: "Open install page", URL: "https://login.salesforce.com/packaging/installPackage.apexp?p0=" + oauth.PackageID},
			{Kind: oauth.FixRetryEnvironment, Label: "Switch to Sandbox and retry", Environment: oauth.Sandbox},
		},
	}
}

// syncBuffer is a log destination the server's goroutines may share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// world is a served page with a fake connector, a browser-like client
// that has opened the page's URL, and everything the page said.
type world struct {
	t         *testing.T
	srv       *Server
	conn      *fakeConnector
	log       *syncBuffer
	url       string // as URL returned it, with the token
	origin    string // http://127.0.0.1:PORT
	client    *http.Client
	responses []string // every header and body the client received
}

func newWorld(t *testing.T, configure ...func(*Options)) *world {
	t.Helper()
	w := &world{t: t, conn: newFakeConnector(), log: &syncBuffer{}}
	opts := Options{
		Settings:  oauth.DefaultSettings(),
		Connector: w.conn,
		Log:       slog.New(slog.NewTextHandler(w.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, f := range configure {
		f(&opts)
	}
	w.srv = New(opts)
	t.Cleanup(func() { w.srv.Close() })
	u, err := w.srv.URL(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	w.url = u
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	w.origin = pu.Scheme + "://" + pu.Host
	jar, _ := cookiejar.New(nil)
	w.client = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return w
}

// open has the client follow the page's URL, as the browser the tray
// opens does.
func (w *world) open() {
	w.t.Helper()
	resp := w.do(w.request("GET", w.url, nil))
	if resp.status != http.StatusSeeOther {
		w.t.Fatalf("GET with the token: %d, want 303:\n%s", resp.status, resp.body)
	}
}

// request makes a request to the page; body, when not nil, is a posted
// form with the page's CSRF token added.
func (w *world) request(method, target string, form url.Values) *http.Request {
	w.t.Helper()
	if !strings.HasPrefix(target, "http") {
		target = w.origin + target
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		w.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return req
}

// response is what the client got.
type response struct {
	status int
	header http.Header
	body   string
}

func (w *world) do(req *http.Request) response {
	w.t.Helper()
	resp, err := w.client.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		w.t.Fatal(err)
	}
	var h strings.Builder
	resp.Header.Write(&h)
	w.responses = append(w.responses, h.String(), string(b))
	return response{resp.StatusCode, resp.Header, string(b)}
}

// get and post are do for the common cases; post adds the CSRF token.
func (w *world) get(path string) response {
	w.t.Helper()
	return w.do(w.request("GET", path, nil))
}

func (w *world) post(path string, form url.Values, asJSON bool) response {
	w.t.Helper()
	form.Set("csrf", w.csrf())
	req := w.request("POST", path, form)
	req.Header.Set("Origin", w.origin)
	if asJSON {
		req.Header.Set("Accept", "application/json")
	}
	return w.do(req)
}

// csrf is the CSRF token the page's form carries.
func (w *world) csrf() string {
	w.t.Helper()
	body := w.get("/").body
	const mark = `name="csrf" value="`
	i := strings.Index(body, mark)
	if i < 0 {
		w.t.Fatalf("the form has no CSRF token:\n%s", body)
	}
	rest := body[i+len(mark):]
	return rest[:strings.IndexByte(rest, '"')]
}

// customForm is a filled-in Custom Connected App form.
func customForm(env oauth.Environment) url.Values {
	return url.Values{
		"method":        {string(oauth.CustomApp)},
		"env":           {string(env)},
		"client_id":     {"3MVG9-client-id"},
		"client_secret": {secret},
		"scopes":        {"api refresh_token offline_access web"},
		"alias":         {"acme"},
	}
}
