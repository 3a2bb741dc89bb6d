package sftest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"
)

// ErrSignIn is returned by Browser.Open when the login page rejects the
// username and password.
var ErrSignIn = errors.New("sftest: sign-in failed")

// maxSteps bounds the number of requests one Browser.Open makes.
const maxSteps = 40

// Browser is a scripted browser: an http.Client with a cookie jar that
// follows redirects, signs in on the login page, approves (or denies) the
// app, and stops when it reaches a page that is neither of those, typically
// after following the app's loopback callback (the Salesforce CLI answers its
// callback with 303 → /OauthSuccess and waits for that GET). Cookies persist
// across calls to Open, so a second Open may find the user signed in.
//
// A Browser must not be copied after first use.
type Browser struct {
	Username string // default: the login_hint of the authorize URL
	Password string // default DefaultPassword
	Deny     bool   // press Deny instead of Allow on the "Allow Access?" page
	// Client is the HTTP client to use, for example Server.Client() with
	// WithTLS. Its redirect policy is not used; if it has no cookie jar the
	// Browser adds its own. Nil means a plain client.
	Client *http.Client

	mu  sync.Mutex
	jar http.CookieJar
}

// A Visit is the last page a Browser reached.
type Visit struct {
	URL    string
	Status int
	Body   string
}

// client returns the client Open uses: b.Client's transport and jar (or
// the Browser's own jar) without automatic redirects.
func (b *Browser) client() *http.Client {
	b.mu.Lock()
	defer b.mu.Unlock()
	var c http.Client
	if b.Client != nil {
		c = *b.Client
	}
	if c.Jar == nil {
		if b.jar == nil {
			b.jar, _ = cookiejar.New(nil)
		}
		c.Jar = b.jar
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// Open loads rawURL and acts on what it finds until it reaches a page that
// is not the fake's login or approval page. It returns that page. An HTTP
// error status is not an error; a failed request, a rejected sign-in
// (ErrSignIn) or a redirect loop is, and the Visit then is the last page
// reached, or nil.
func (b *Browser) Open(ctx context.Context, rawURL string) (*Visit, error) {
	c := b.client()
	method, target := http.MethodGet, rawURL
	var body url.Values
	var last *Visit
	hint := ""
	if u, err := url.Parse(rawURL); err == nil {
		hint = u.Query().Get("login_hint")
	}
	logins := 0
	for range maxSteps {
		var rd io.Reader
		if body != nil {
			rd = strings.NewReader(body.Encode())
		}
		req, err := http.NewRequestWithContext(ctx, method, target, rd)
		if err != nil {
			return last, err
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
		req.Header.Set("User-Agent", "sftest-browser/1.0")
		resp, err := c.Do(req)
		if err != nil {
			return last, err
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
		resp.Body.Close()
		if err != nil {
			return last, err
		}
		last = &Visit{URL: req.URL.String(), Status: resp.StatusCode, Body: string(data)}
		if loc := resp.Header.Get("Location"); loc != "" && resp.StatusCode >= 300 && resp.StatusCode < 400 {
			next, err := req.URL.Parse(loc)
			if err != nil {
				return last, err
			}
			target = next.String()
			if resp.StatusCode != http.StatusTemporaryRedirect && resp.StatusCode != http.StatusPermanentRedirect {
				method, body = http.MethodGet, nil
			}
			continue
		}
		page := last.Body
		if f := findForm(page, "login_form"); f != nil {
			if strings.Contains(page, `id="error"`) {
				return last, ErrSignIn
			}
			if logins++; logins > 3 {
				return last, fmt.Errorf("sftest: the login page keeps coming back at %s", last.URL)
			}
			user := b.Username
			if user == "" {
				user = f.values.Get("username")
			}
			if user == "" {
				user = hint
			}
			if user == "" {
				return last, errors.New("sftest: Browser has no Username and the authorize URL no login_hint")
			}
			pw := b.Password
			if pw == "" {
				pw = DefaultPassword
			}
			f.values.Set("username", user)
			f.values.Set("pw", pw)
			method, target, body = http.MethodPost, f.action(req.URL), f.values
			continue
		}
		if f := findForm(page, "frm"); f != nil && strings.Contains(f.rawAction, "RemoteAccessAuthorizationPage") {
			if b.Deny {
				f.values.Set("oadeny", "Deny")
			} else {
				f.values.Set("oaapprove", "Allow")
			}
			method, target, body = http.MethodPost, f.action(req.URL), f.values
			continue
		}
		return last, nil
	}
	return last, fmt.Errorf("sftest: stopped after %d requests", maxSteps)
}

// form is an HTML form found on a page.
type form struct {
	rawAction string
	values    url.Values // the named non-submit inputs
}

// action resolves the form's action against the page URL.
func (f *form) action(page *url.URL) string {
	u, err := page.Parse(f.rawAction)
	if err != nil {
		return page.String()
	}
	return u.String()
}

var (
	formRE  = regexp.MustCompile(`(?is)<form\b([^>]*)>(.*?)</form>`)
	inputRE = regexp.MustCompile(`(?is)<input\b([^>]*)>`)
	attrRE  = regexp.MustCompile(`([\w-]+)\s*=\s*"([^"]*)"`)
)

// attrs parses the double-quoted attributes of a tag.
func attrs(s string) map[string]string {
	m := map[string]string{}
	for _, a := range attrRE.FindAllStringSubmatch(s, -1) {
		m[strings.ToLower(a[1])] = html.UnescapeString(a[2])
	}
	return m
}

// findForm returns the form with the given id on page, or nil.
func findForm(page, id string) *form {
	for _, m := range formRE.FindAllStringSubmatch(page, -1) {
		fa := attrs(m[1])
		if fa["id"] != id {
			continue
		}
		f := &form{rawAction: fa["action"], values: url.Values{}}
		for _, in := range inputRE.FindAllStringSubmatch(m[2], -1) {
			ia := attrs(in[1])
			if ia["name"] == "" || strings.EqualFold(ia["type"], "submit") {
				continue
			}
			f.values.Set(ia["name"], ia["value"])
		}
		return f
	}
	return nil
}

// browserLogLine is what RunBrowserFromEnv appends to SFTEST_BROWSER_LOG.
type browserLogLine struct {
	Opened string `json:"opened"`
	URL    string `json:"url,omitempty"`
	Status int    `json:"status,omitempty"`
	Error  string `json:"error,omitempty"`
}

// RunBrowserFromEnv makes the process act as the browser that the code
// under test launches through the BROWSER variable. It returns at once,
// doing nothing, unless SFTEST_BROWSER=1 is set; otherwise it never returns.
//
// It opens the last command-line argument with a Browser configured from
// SFTEST_USER, SFTEST_PASSWORD, SFTEST_DENY=1 and SFTEST_CA (a PEM file of
// certificates to trust), appends one JSON line {"opened","url","status",
// "error"} describing the outcome to the file SFTEST_BROWSER_LOG if set, and
// exits with status 0, or 1 after printing the error to stderr.
//
// With SFTEST_BROWSER_DETACH=1 it first starts itself again in the
// background (without that variable, in a new session, with standard input
// and output on the null device) and exits 0 at once: the Salesforce CLI
// waits for the BROWSER command to exit before it listens for the callback.
// The background browser then waits SFTEST_BROWSER_DELAY (a Go duration,
// default 250ms when detached, none otherwise) before it opens the URL, so
// that the CLI's handler is attached.
//
// SFTEST_DENY=1 clicks Deny on the "Allow Access?" page; like Salesforce,
// the fake shows that page only to a user who has not approved the app
// yet, so a deny test needs a fresh Server or user.
//
// A test binary uses it from TestMain, before flags are parsed:
//
//	func TestMain(m *testing.M) {
//		sftest.RunBrowserFromEnv()
//		os.Exit(m.Run())
//	}
//
// and sets BROWSER to os.Args[0] and SFTEST_BROWSER=1 for the process it
// tests.
func RunBrowserFromEnv() {
	if os.Getenv("SFTEST_BROWSER") != "1" {
		return
	}
	os.Exit(runBrowser())
}

// detachedDelay is how long a detached browser waits before it opens the
// URL, unless SFTEST_BROWSER_DELAY says otherwise.
const detachedDelay = 250 * time.Millisecond

// runBrowser does the work of RunBrowserFromEnv and returns the exit status.
func runBrowser() int {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "sftest browser: no URL to open")
		return 1
	}
	rawURL := os.Args[len(os.Args)-1]
	if os.Getenv("SFTEST_BROWSER_DETACH") == "1" {
		if err := detach(); err != nil {
			fmt.Fprintln(os.Stderr, "sftest browser:", err)
			return 1
		}
		return 0
	}
	if d := os.Getenv("SFTEST_BROWSER_DELAY"); d != "" {
		wait, err := time.ParseDuration(d)
		if err != nil {
			fmt.Fprintf(os.Stderr, "sftest browser: SFTEST_BROWSER_DELAY=%q: %v\n", d, err)
			return 1
		}
		time.Sleep(wait)
	}
	b := &Browser{
		Username: os.Getenv("SFTEST_USER"),
		Password: os.Getenv("SFTEST_PASSWORD"),
		Deny:     os.Getenv("SFTEST_DENY") == "1",
	}
	var v *Visit
	err := func() error {
		if ca := os.Getenv("SFTEST_CA"); ca != "" {
			pem, err := os.ReadFile(ca)
			if err != nil {
				return err
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return fmt.Errorf("no certificates in %s", ca)
			}
			tr := http.DefaultTransport.(*http.Transport).Clone()
			tr.TLSClientConfig = &tls.Config{RootCAs: pool}
			b.Client = &http.Client{Transport: tr}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		var err error
		v, err = b.Open(ctx, rawURL)
		return err
	}()
	line := browserLogLine{Opened: rawURL}
	if v != nil {
		line.URL, line.Status = v.URL, v.Status
	}
	if err != nil {
		line.Error = err.Error()
	}
	if path := os.Getenv("SFTEST_BROWSER_LOG"); path != "" {
		if lerr := appendJSONLine(path, line); lerr != nil && err == nil {
			err = lerr
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sftest browser:", err)
		return 1
	}
	return 0
}

// appendJSONLine appends v as one JSON line to the file at path.
func appendJSONLine(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(append(b, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// detach starts this program again with the same arguments, without
// SFTEST_BROWSER_DETACH, in the background.
func detach() error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(exe, os.Args[1:]...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SFTEST_BROWSER_DETACH=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if os.Getenv("SFTEST_BROWSER_DELAY") == "" {
		// sf attaches its callback handler only after the BROWSER command
		// exits; a request before that is dropped unanswered.
		cmd.Env = append(cmd.Env, "SFTEST_BROWSER_DELAY="+detachedDelay.String())
	}
	setDetached(cmd) // stdin, stdout and stderr stay nil: the null device
	if err := cmd.Start(); err != nil {
		return err
	}
	return cmd.Process.Release()
}
