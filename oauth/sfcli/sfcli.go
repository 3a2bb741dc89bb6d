// Package sfcli runs the Salesforce CLI (sf) installed on the user's
// machine, as a client of its JSON output: a browser login through sf's own
// connected app (Quick Connect), the orgs sf holds, and their refresh
// tokens in sf's supported way (sf org auth show-sfdx-auth-url).
//
// Every command runs with a time limit, in a folder of its own (so that an
// sfdx-project.json where the user happens to be cannot change it), with
// sf's self-update, update check and telemetry off, and in a process group
// that is killed as a whole when the time is up or ctx is done. Nothing sf
// prints on stdout is logged: some of it is a secret.
package sfcli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Time limits of sf commands.
const (
	// CommandTimeout bounds a command that does not wait for a person.
	// sf takes 0.5–2.5 s to start on a small machine; this leaves room
	// for a cold disk and a slow org.
	CommandTimeout = 90 * time.Second
	// DefaultLoginTimeout is how long LoginWeb waits for the browser when
	// the request says nothing.
	DefaultLoginTimeout = 5 * time.Minute
	// loginGrace is how much longer than sf's own browser timeout
	// LoginWeb lets sf run: sf still exchanges the code and reads the
	// org after the browser came back.
	loginGrace = 90 * time.Second
)

// DefaultPort is the callback port of sf's own connected app
// (http://localhost:1717/OauthRedirect).
const DefaultPort = 1717

// CLI runs sf commands. Its zero value runs "sf" from PATH with this
// process's environment.
type CLI struct {
	// Path is the sf executable; empty means "sf" looked up on PATH.
	Path string
	// Env is sf's environment; nil means this process's. sf reads its
	// orgs from HOME (~/.sfdx) and finds node on PATH.
	Env []string
	// Log receives the commands run, their time and outcome; never what
	// they print.
	Log *slog.Logger
	// SearchInstallDirs: when sf is not on PATH, also look in the folders
	// its installers and npm put it in (a program started at login may
	// have a shorter PATH than a terminal).
	SearchInstallDirs bool
}

// Org is an org as sf holds it: no token, no secret.
type Org struct {
	Username    string `json:"username"`
	Alias       string `json:"alias,omitempty"`
	OrgID       string `json:"orgId"`
	InstanceURL string `json:"instanceUrl"`
	LoginURL    string `json:"loginUrl"`
	ClientID    string `json:"clientId"`
	Name        string `json:"name,omitempty"`
	IsSandbox   bool   `json:"isSandbox,omitempty"`
	IsScratch   bool   `json:"isScratch,omitempty"`
	IsDevHub    bool   `json:"isDevHub,omitempty"`
}

// String is how sf names the org: its alias and username, or its
// username.
func (o Org) String() string {
	if o.Alias == "" {
		return o.Username
	}
	return o.Alias + " (" + o.Username + ")"
}

// Error is a failed sf command. Name and Message are sf's own (from its
// --json error), for example "access_denied" and "end-user denied
// authorization", or "AuthTimeoutError"; when sf printed no JSON (it could
// not start), Output is what it wrote on stderr.
type Error struct {
	Command  string   // the sf command, e.g. "org login web"
	Name     string   // sf's error name
	Message  string   // sf's error message
	Actions  []string // what sf suggests
	ExitCode int      // -1 when sf did not exit by itself
	Output   string   // stderr when sf printed no JSON error, trimmed
	TimedOut bool     // the command ran out of time and was stopped
	Err      error    // the underlying error (exec's), if any
}

func (e *Error) Error() string {
	s := "sf " + e.Command
	switch {
	case e.TimedOut:
		s += ": did not finish in time"
	case e.Name != "" || e.Message != "":
		s += ": " + e.Name
		if e.Message != "" {
			s += ": " + e.Message
		}
	case e.Output != "":
		s += ": " + e.Output
	case e.Err != nil:
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// ErrNotInstalled is returned (wrapped) when sf is not on PATH.
var ErrNotInstalled = errors.New("the Salesforce CLI (sf) is not on PATH")

func (c *CLI) log() *slog.Logger {
	if c.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Log
}

// Executable returns the sf executable to run, or an error wrapping
// ErrNotInstalled.
func (c *CLI) Executable() (string, error) {
	if c.Path != "" {
		return c.Path, nil
	}
	p, err := lookPath(getenv(c.env(), "PATH"), "sf")
	if err != nil && c.SearchInstallDirs {
		var dirs []string
		for _, d := range installDirs {
			if strings.HasPrefix(d, "~") {
				home := getenv(c.env(), homeVar)
				if home == "" {
					continue
				}
				d = filepath.Join(home, d[1:])
			}
			dirs = append(dirs, os.Expand(d, func(k string) string { return getenv(c.env(), k) }))
		}
		if q, qerr := lookPath(strings.Join(dirs, string(filepath.ListSeparator)), "sf"); qerr == nil {
			return q, nil
		}
	}
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNotInstalled, err)
	}
	return p, nil
}

func (c *CLI) env() []string {
	if c.Env == nil {
		return os.Environ()
	}
	return c.Env
}

// lookPath finds file in the folders of path, a PATH (exec.LookPath reads
// this process's).
func lookPath(path, file string) (string, error) {
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			continue
		}
		for _, name := range executableNames(file) {
			p := filepath.Join(dir, name)
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() && isExecutable(fi) {
				return p, nil
			}
		}
	}
	return "", &exec.Error{Name: file, Err: exec.ErrNotFound}
}

func getenv(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		k, v, ok := strings.Cut(env[i], "=")
		if ok && (k == key || caseFoldEnv && strings.EqualFold(k, key)) {
			return v
		}
	}
	return ""
}

// quietEnv keeps sf from updating itself in the background (it spawns a
// detached "sf update" that can outlive us), from checking for a new
// version and from sending telemetry: MeshMesh runs sf, the user did not.
var quietEnv = []string{
	"SF_AUTOUPDATE_DISABLE=true",
	"SF_DISABLE_AUTOUPDATE=true",
	"SFDX_AUTOUPDATE_DISABLE=true",
	"SF_SKIP_NEW_VERSION_CHECK=true",
	"SF_DISABLE_TELEMETRY=true",
	"SF_JSON_TO_STDOUT=true",
}

// command is one sf invocation.
type command struct {
	name    string   // e.g. "org login web", for errors and the log
	args    []string // after the name's words
	env     []string // added to the CLI's environment
	dir     func(dir string) error
	timeout time.Duration
	plain   bool // no --json: the result is stdout's text (a *string)
}

// envelope is sf's --json output: a result, or an error.
type envelope struct {
	Status   int             `json:"status"`
	Result   json.RawMessage `json:"result"`
	Name     string          `json:"name"`
	Message  string          `json:"message"`
	Actions  []string        `json:"actions"`
	ExitCode *int            `json:"exitCode"`
	Warnings []any           `json:"warnings"`
}

// maxOutput caps what is read of sf's stdout and stderr.
const maxOutput = 8 << 20

// run runs cmd with --json and decodes its result into v.
func (c *CLI) run(ctx context.Context, cmd command, v any) error {
	exe, err := c.Executable()
	if err != nil {
		return &Error{Command: cmd.name, ExitCode: -1, Err: err}
	}
	dir, err := os.MkdirTemp("", "meshmesh-sf-")
	if err != nil {
		return &Error{Command: cmd.name, ExitCode: -1, Err: err}
	}
	defer os.RemoveAll(dir)
	if cmd.dir != nil {
		if err := cmd.dir(dir); err != nil {
			return &Error{Command: cmd.name, ExitCode: -1, Err: err}
		}
	}
	if cmd.timeout <= 0 {
		cmd.timeout = CommandTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, cmd.timeout)
	defer cancel()

	args := append(strings.Fields(cmd.name), cmd.args...)
	if !cmd.plain {
		args = append(args, "--json")
	}
	x := exec.CommandContext(ctx, exe, args...)
	x.Dir = dir
	x.Env = append(append(append([]string(nil), c.env()...), quietEnv...), cmd.env...)
	if path := getenv(c.env(), "PATH"); !slices.Contains(filepath.SplitList(path), filepath.Dir(exe)) {
		// sf found outside PATH (an installer's folder): its node lives
		// beside it, not on PATH (sf starts with "#!/usr/bin/env node").
		x.Env = append(x.Env, "PATH="+filepath.Dir(exe)+string(filepath.ListSeparator)+path)
	}
	var stdout, stderr limitedBuffer
	x.Stdout, x.Stderr = &stdout, &stderr
	prepare(x) // its own process group, killed whole
	x.WaitDelay = 2 * time.Second

	start := time.Now()
	runErr := x.Run()
	took := time.Since(start).Round(time.Millisecond)

	var env envelope
	jsonErr := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &env)
	if cmd.plain && runErr == nil {
		env, jsonErr = envelope{}, nil
		env.Result, _ = json.Marshal(stdout.String())
	}
	if jsonErr != nil {
		// Older sf printed --json errors on stderr.
		if e2 := json.Unmarshal(bytes.TrimSpace(stderr.Bytes()), &env); e2 == nil {
			jsonErr = nil
		}
	}
	exit := -1
	if x.ProcessState != nil {
		exit = x.ProcessState.ExitCode()
	}
	fail := func(e *Error) error {
		c.log().Warn("sf: failed", "command", cmd.name, "took", took, "exit", exit, "name", e.Name, "timed_out", e.TimedOut)
		return e
	}
	if ctx.Err() != nil && runErr != nil {
		e := &Error{Command: cmd.name, ExitCode: exit, Err: ctx.Err()}
		e.TimedOut = errors.Is(ctx.Err(), context.DeadlineExceeded)
		if !e.TimedOut {
			return ctx.Err()
		}
		return fail(e)
	}
	if runErr == nil && jsonErr == nil && env.Status == 0 && env.Name == "" {
		c.log().Info("sf: done", "command", cmd.name, "took", took)
		if v == nil {
			return nil
		}
		if err := json.Unmarshal(env.Result, v); err != nil {
			return fail(&Error{Command: cmd.name, ExitCode: exit, Err: fmt.Errorf("reading sf's result: %w", err)})
		}
		return nil
	}
	e := &Error{Command: cmd.name, ExitCode: exit, Err: runErr}
	if jsonErr == nil && (env.Name != "" || env.Message != "") {
		e.Name, e.Message, e.Actions = env.Name, strings.TrimSpace(env.Message), env.Actions
	} else {
		e.Output = tail(strings.TrimSpace(stderr.String()), 2000)
		if e.Output == "" && jsonErr != nil && runErr == nil {
			e.Err = fmt.Errorf("sf printed no JSON: %w", jsonErr)
		}
	}
	return fail(e)
}

// tail returns the last n bytes of s.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// limitedBuffer keeps the first maxOutput bytes written to it.
type limitedBuffer struct{ bytes.Buffer }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxOutput - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

var _ io.Writer = (*limitedBuffer)(nil)

// Version is what sf --version says.
type Version struct {
	CLI  string // e.g. "2.150.6"
	Node string // e.g. "22.23.5"
}

// Version runs sf --version.
func (c *CLI) Version(ctx context.Context) (Version, error) {
	var out string
	if err := c.run(ctx, command{name: "--version", plain: true}, &out); err != nil {
		return Version{}, err
	}
	return parseVersion(out), nil
}

// parseVersion reads "@salesforce/cli/2.150.6 linux-x64 node-v22.23.5".
func parseVersion(out string) Version {
	var v Version
	for _, f := range strings.Fields(out) {
		if s, ok := strings.CutPrefix(f, "@salesforce/cli/"); ok {
			v.CLI = s
		}
		if s, ok := strings.CutPrefix(f, "node-v"); ok {
			v.Node = s
		}
	}
	return v
}

// CLIBelow reports whether sf is older than min ("2.136.8"); an unknown
// version is.
func (v Version) CLIBelow(min string) bool { return versionLess(v.CLI, min) }

// NodeBelow reports whether sf's Node.js is older than min ("22.19.0");
// an unknown version is.
func (v Version) NodeBelow(min string) bool { return versionLess(v.Node, min) }

// versionLess reports whether version a is older than b ("2.9.1" <
// "2.10.0"). A leading v is ignored; parts that are not numbers count
// as 0.
func versionLess(a, b string) bool {
	pa, pb := strings.Split(strings.TrimPrefix(a, "v"), "."), strings.Split(strings.TrimPrefix(b, "v"), ".")
	for i := range max(len(pa), len(pb)) {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			return x < y
		}
	}
	return false
}

// LoginRequest is a browser login through sf's own connected app.
type LoginRequest struct {
	// InstanceURL is the login URL: https://login.salesforce.com,
	// https://test.salesforce.com or a My Domain.
	InstanceURL string
	// Alias is the name sf gives the org (sf org login web --alias).
	Alias string
	// Port is the callback port; 0 is sf's own, 1717. Another port is
	// given to sf through an sfdx-project.json (oauthLocalPort): only an
	// app with that callback URL accepts it.
	Port int
	// Timeout is how long sf waits for the browser; 0 means
	// DefaultLoginTimeout.
	Timeout time.Duration
	// Browser, when set, is the BROWSER command sf opens the login page
	// with; else sf opens the system's browser.
	Browser string
}

// LoginWeb runs sf org login web: sf opens the browser on its authorize
// URL, waits for the callback on the port, exchanges the code and stores
// the org in its own files. It returns the org as sf saw it.
func (c *CLI) LoginWeb(ctx context.Context, req LoginRequest) (Org, error) {
	timeout := req.Timeout
	if timeout <= 0 {
		timeout = DefaultLoginTimeout
	}
	args := []string{"--instance-url", req.InstanceURL}
	if req.Alias != "" {
		args = append(args, "--alias", req.Alias)
	}
	env := []string{"SF_WEB_OAUTH_SERVER_TIMEOUT=" + strconv.FormatInt(timeout.Milliseconds(), 10)}
	if req.Browser != "" {
		env = append(env, "BROWSER="+req.Browser)
	}
	cmd := command{name: "org login web", args: args, env: env, timeout: timeout + loginGrace}
	if req.Port != 0 && req.Port != DefaultPort {
		cmd.dir = func(dir string) error {
			project := fmt.Sprintf(`{"packageDirectories":[{"path":"force-app","default":true}],"oauthLocalPort":%d}`, req.Port)
			return os.WriteFile(filepath.Join(dir, "sfdx-project.json"), []byte(project), 0o600)
		}
	}
	var org Org
	err := c.run(ctx, cmd, &org)
	return org.tidy(), err
}

// tidy drops the trailing slash sf keeps on some URLs
// (http://host:port/).
func (o Org) tidy() Org {
	o.InstanceURL = strings.TrimRight(o.InstanceURL, "/")
	o.LoginURL = strings.TrimRight(o.LoginURL, "/")
	return o
}

// List returns the orgs sf holds (sf org list), without their live
// connection status (that would call every org).
func (c *CLI) List(ctx context.Context) ([]Org, error) {
	var res struct {
		NonScratchOrgs []Org `json:"nonScratchOrgs"`
		ScratchOrgs    []Org `json:"scratchOrgs"`
	}
	if err := c.run(ctx, command{name: "org list", args: []string{"--skip-connection-status"}}, &res); err != nil {
		return nil, err
	}
	orgs := append(res.NonScratchOrgs, res.ScratchOrgs...)
	for i := range orgs {
		orgs[i] = orgs[i].tidy()
	}
	return orgs, nil
}

// Aliases returns sf's aliases (sf alias list): alias → username. sf org
// list shows only one alias an org.
func (c *CLI) Aliases(ctx context.Context) (map[string]string, error) {
	var res []struct {
		Alias string `json:"alias"`
		Value string `json:"value"`
	}
	if err := c.run(ctx, command{name: "alias list"}, &res); err != nil {
		return nil, err
	}
	m := make(map[string]string, len(res))
	for _, a := range res {
		m[a.Alias] = a.Value
	}
	return m, nil
}

// AuthURL returns the sfdxAuthUrl of org (a username or an alias): the
// client and refresh token sf holds for it. It calls no org.
func (c *CLI) AuthURL(ctx context.Context, org string) (AuthURL, error) {
	var res struct {
		SfdxAuthURL string `json:"sfdxAuthUrl"`
	}
	if err := c.run(ctx, command{name: "org auth show-sfdx-auth-url", args: []string{"--target-org", org}}, &res); err != nil {
		return AuthURL{}, err
	}
	u, err := ParseAuthURL(res.SfdxAuthURL)
	if err != nil {
		return AuthURL{}, &Error{Command: "org auth show-sfdx-auth-url", Err: err}
	}
	return u, nil
}
