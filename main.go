// Command meshmesh connects Salesforce orgs from the menubar / system tray
// and keeps them connected; its command line connects, lists and removes
// orgs and serves tokens to scripts. See README.md.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/meshmesh/meshmesh/icons"
	"github.com/meshmesh/meshmesh/keychain"
	"github.com/meshmesh/meshmesh/oauth"
	"github.com/meshmesh/meshmesh/oauth/sfcli"
	"github.com/meshmesh/meshmesh/tray"
	"github.com/meshmesh/meshmesh/tray/autostart"
	"github.com/meshmesh/meshmesh/tray/demo"
	"github.com/meshmesh/meshmesh/tray/instance"
	"github.com/meshmesh/meshmesh/tray/notify"
	"golang.org/x/term"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	sigs := []os.Signal{os.Interrupt, syscall.SIGTERM}
	if !signal.Ignored(syscall.SIGHUP) { // nohup: the terminal's hang-up is not ours
		sigs = append(sigs, syscall.SIGHUP) // a closed terminal: stop sf, free the port
	}
	ctx, stop := signal.NotifyContext(context.Background(), sigs...)
	go func() {
		<-ctx.Done()
		stop() // the first Ctrl-C cancels cleanly; a second one kills
	}()
	c := &cli{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	status := c.run(ctx, os.Args[1:])
	stop()
	os.Exit(status)
}

// Exit statuses.
const (
	exitOK        = 0
	exitFailed    = 1
	exitUsage     = 2
	exitCancelled = 130 // interrupted, as a shell reports Ctrl-C
)

// Error codes of the command line itself (every other failure is a
// diagnosis of package oauth or keychain).
const (
	codeUsage     oauth.Code = "usage"     // bad arguments or environment: exit status 2
	codeCancelled oauth.Code = "cancelled" // Ctrl-C: exit status 130
	codeFailed    oauth.Code = "failed"    // an error nothing diagnosed

	codeSFNeedsHTTPS oauth.Code = "sf_needs_https" // export-sf of an org sf could not reach
)

// cli is one run of the command line: its streams and environment.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string

	json    bool // --json: stdout is exactly one JSON object
	log     *slog.Logger
	logOpen bool // log goes to a file
	engine  *oauth.Engine
	store   *keychain.Store
}

// command is one subcommand: its flags are defined on fs by setup, and
// do runs it with the positional arguments.
type command struct {
	name, args, summary string
	nargs               int   // positional arguments required
	needs               needs // what it uses of the configuration
	setup               func(c *cli, fs *flag.FlagSet) func(ctx context.Context, args []string) error
}

// needs is what a command uses of the configuration: it reads only that,
// so that configuration it does not use cannot make it fail.
type needs int

const (
	needsNothing  needs = iota // no configuration
	needsSettings              // the oauth settings: c.engine
	needsStore                 // the settings, the log and the store: c.engine, c.log, c.store
)

func commands() []command {
	return []command{
		{"connect", "--method custom|meshmesh|quick --env production|sandbox|custom [flags]", "connect an org through your browser", 0, needsStore, (*cli).connectCmd},
		{"list", "[--json]", "list connections (no network, no keychain)", 0, needsStore, (*cli).listCmd},
		{"token", "ORG [--refresh] [--json]", "print a valid access token of ORG", 1, needsStore, (*cli).tokenCmd},
		{"open", "ORG [--url-only]", "open ORG in the browser, signed in", 1, needsStore, (*cli).openCmd},
		{"reconnect", "ORG [--client-secret-stdin]", "log ORG in again (same method, environment and user)", 1, needsStore, (*cli).reconnectCmd},
		{"remove", "ORG", "forget ORG, revoking its token (unless sf holds it)", 1, needsStore, (*cli).removeCmd},
		{"import-sf", "[ORG...]", "import the orgs sf holds (all, or those named)", anyArgs, needsStore, (*cli).importSFCmd},
		{"export-sf", "ORG", "print ORG's sfdxAuthUrl for sf org login sfdx-url", 1, needsStore, (*cli).exportSFCmd},
		{"install-url", "--env production|sandbox|custom [--domain URL]", "print the MeshMesh package install URL", 0, needsSettings, (*cli).installURLCmd},
		{"version", "", "print the version", 0, needsNothing, (*cli).versionCmd},
		{"tray", "[--wait DURATION]", "show the tray (what meshmesh with no command does)", 0, needsStore, (*cli).trayCmd},
		{"demo", "", "the tray on a fake Salesforce with sample orgs", 0, needsSettings, (*cli).demoCmd},
	}
}

// run dispatches the command line and returns the exit status: 0 success,
// 1 failure, 2 usage error, 130 cancelled.
func (c *cli) run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		args = []string{"tray"}
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		c.json = hasFlag(args[1:], "json")
		c.help(c.usage)
		return exitOK
	case "--version", "-version":
		name = "version"
	}
	for _, cmd := range commands() {
		if cmd.name == name {
			return c.runCommand(ctx, cmd, args[1:])
		}
	}
	c.json = hasFlag(args, "json")
	return c.usageError(fmt.Sprintf("unknown command %q", name), "Run meshmesh help to see the commands.")
}

func (c *cli) runCommand(ctx context.Context, cmd command, args []string) int {
	fs := flag.NewFlagSet("meshmesh "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.BoolVar(&c.json, "json", false, "print one JSON object on stdout")
	do := cmd.setup(c, fs)
	c.json = hasFlag(args, "json") // known even when parsing fails
	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		c.help(func(w io.Writer) { c.commandUsage(w, cmd, fs) })
		return exitOK
	}
	if err != nil {
		return c.usageError(err.Error(), fmt.Sprintf("Usage: meshmesh %s %s", cmd.name, cmd.args))
	}
	if cmd.nargs != anyArgs && len(pos) != cmd.nargs {
		what := "no arguments"
		if cmd.nargs == 1 {
			what = "one ORG (an alias, a username or an org id)"
		}
		return c.usageError(fmt.Sprintf("meshmesh %s takes %s", cmd.name, what), fmt.Sprintf("Usage: meshmesh %s %s", cmd.name, cmd.args))
	}
	if err := c.setupEnv(cmd.needs); err != nil {
		return c.usageError(err.Error(), "Fix the environment variable; the README lists them.")
	}
	c.log.Info("command", "name", cmd.name, "version", version)
	err = do(ctx, pos)
	var ue usageErr
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		return c.fail(ue.d, exitUsage)
	case errors.Is(err, errReported): // the command printed its partial failure
		return exitFailed
	case errors.Is(err, context.Canceled): // interrupted before anything was done
		c.log.Info("cancelled", "name", cmd.name)
		advice := "Interrupted before it finished: run it again."
		if cmd.name == "connect" || cmd.name == "reconnect" {
			advice = "Nothing was saved, and the callback port is free again."
		}
		return c.fail(&oauth.Diagnosis{Code: codeCancelled, Title: "Cancelled", Advice: advice}, exitCancelled)
	}
	c.log.Warn("command failed", "name", cmd.name, "err", err)
	return c.fail(err, exitFailed)
}

// anyArgs is the nargs of a command that takes any number of arguments.
const anyArgs = -1

// errReported is a failure the command has already reported in its own
// output (some orgs of an import): exit status 1, nothing more to print.
var errReported = errors.New("reported")

// setupEnv reads what a command needs of the configuration: the oauth
// settings for c.engine; for the store, also the store's options, and it
// opens the log. Without a log, c.log discards.
func (c *cli) setupEnv(n needs) error {
	c.log = slog.New(slog.DiscardHandler)
	if n < needsSettings {
		return nil
	}
	settings, err := oauth.SettingsFromEnv(c.getenv)
	if err != nil {
		return err
	}
	if n < needsStore {
		c.engine = &oauth.Engine{Settings: settings, Log: c.log}
		return nil
	}
	opts, err := keychain.OptionsFromEnv(c.getenv)
	if err != nil {
		return err
	}
	c.log, c.logOpen = openLog(c.getenv)
	c.engine = &oauth.Engine{Settings: settings, Log: c.log}
	opts.Engine, opts.Log = c.engine, c.log
	c.store, err = keychain.Open(opts)
	return err
}

// usageErr is a complaint about a command's arguments: exit status 2. Its
// diagnosis has the code "usage", or a more exact one (an invalid alias
// or domain).
type usageErr struct{ d *oauth.Diagnosis }

func (e usageErr) Error() string { return e.d.Error() }
func (e usageErr) Unwrap() error { return e.d }

// badUsage returns a usage error with the code "usage".
func badUsage(problem, fix string) error {
	return usageErr{&oauth.Diagnosis{Code: codeUsage, Title: problem, Advice: fix}}
}

// usageOf makes err, the diagnosis of a bad argument, a usage error that
// keeps the diagnosis's code, title and advice.
func usageOf(err error) error {
	var d *oauth.Diagnosis
	if !errors.As(err, &d) {
		return err
	}
	return usageErr{d}
}

// usageError reports a usage error with the code "usage" and returns exit
// status 2.
func (c *cli) usageError(problem, fix string) int {
	return c.fail(badUsage(problem, fix), exitUsage)
}

// errorObject is the error a --json run prints.
type errorObject struct {
	Code                  string      `json:"code"`
	Title                 string      `json:"title"`
	Advice                string      `json:"advice"`
	SalesforceError       string      `json:"salesforce_error"`
	SalesforceDescription string      `json:"salesforce_description"`
	Fixes                 []oauth.Fix `json:"fixes,omitempty"`
}

// fail reports err: as the error object with --json, else as its title
// then its advice on stderr.
func (c *cli) fail(err error, status int) int {
	var d *oauth.Diagnosis
	if !errors.As(err, &d) {
		d = &oauth.Diagnosis{Code: codeFailed, Title: err.Error(), Advice: "Nothing explains this error yet: please report it."}
		if c.logOpen {
			d.Advice = "See the log for details: " + logPath(c.getenv) + "."
		}
	}
	if c.json {
		c.printJSON(map[string]any{"error": errorObject{
			Code: string(d.Code), Title: d.Title, Advice: d.Advice,
			SalesforceError: d.SalesforceError, SalesforceDescription: d.SalesforceDescription, Fixes: d.Fixes,
		}})
		return status
	}
	fmt.Fprintf(c.stderr, "meshmesh: %s\n%s\n", d.Title, d.Advice)
	if d.SalesforceError != "" {
		fmt.Fprintf(c.stderr, "Salesforce said: %s", d.SalesforceError)
		if d.SalesforceDescription != "" {
			fmt.Fprintf(c.stderr, ": %s", d.SalesforceDescription)
		}
		fmt.Fprintln(c.stderr)
	}
	for _, f := range d.Fixes {
		if f.URL != "" {
			fmt.Fprintf(c.stderr, "%s: %s\n", f.Label, f.URL)
		}
	}
	return status
}

// help prints a usage text on stdout: with --json, as {"usage": text}.
func (c *cli) help(write func(io.Writer)) {
	if !c.json {
		write(c.stdout)
		return
	}
	var b strings.Builder
	write(&b)
	c.printJSON(map[string]string{"usage": b.String()})
}

func (c *cli) printJSON(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // our own types always marshal
	}
	c.stdout.Write(append(b, '\n'))
}

// say writes a line for the person at the terminal, on stderr.
func (c *cli) say(format string, args ...any) {
	fmt.Fprintf(c.stderr, format+"\n", args...)
}

// ---- connect and reconnect ----

func (c *cli) connectCmd(fs *flag.FlagSet) func(context.Context, []string) error {
	method := fs.String("method", "", "custom, meshmesh or quick (default: custom with --client-id, else quick)")
	env := fs.String("env", "", "production, sandbox or custom (default: production; custom with --domain)")
	domain := fs.String("domain", "", "the org's My Domain URL (implies --env custom)")
	clientID := fs.String("client-id", "", "the connected app's consumer key (--method custom)")
	secretStdin := fs.Bool("client-secret-stdin", false, "read the consumer secret from stdin (else MESHMESH_CLIENT_SECRET)")
	scopes := fs.String("scopes", strings.Join(oauth.DefaultScopes, " "), "OAuth scopes to ask for (not with Quick Connect)")
	alias := fs.String("alias", "", "a name for the connection (default: from the org name)")
	login := loginFlags(fs)
	return func(ctx context.Context, _ []string) error {
		if *method == "" {
			*method = string(oauth.QuickConnect)
			if *clientID != "" {
				*method = string(oauth.CustomApp)
			}
		}
		m, err := oauth.ParseMethod(*method)
		if err != nil {
			return badUsage(err.Error(), "Use --method custom, meshmesh or quick.")
		}
		target, err := parseTarget(*env, *domain)
		if err != nil {
			return err
		}
		req := oauth.LoginRequest{Method: m, Target: target, App: oauth.App{ClientID: *clientID, Scopes: strings.Fields(strings.ReplaceAll(*scopes, ",", " "))}}
		if m == oauth.QuickConnect {
			if err := quickFlags(fs); err != nil {
				return err
			}
			req.App = oauth.App{} // sf's own app, with its own scopes
		}
		if missing := oauth.MissingScopes(req.App.Scopes); m != oauth.QuickConnect && len(missing) > 0 {
			return badUsage(fmt.Sprintf("--scopes %q lacks %s", *scopes, strings.Join(missing, " and ")),
				"MeshMesh needs at least api, refresh_token (or offline_access) and web: use --scopes \""+strings.Join(oauth.DefaultScopes, " ")+"\".")
		}
		if m == oauth.CustomApp && *clientID == "" {
			return badUsage("--method custom needs --client-id", "Give the consumer key of your org's connected app (Setup → App Manager → your app → View → Manage Consumer Details).")
		}
		if *alias != "" {
			if err := keychain.ValidateAlias(*alias); err != nil {
				return usageOf(err)
			}
		}
		if req.App.ClientSecret, err = c.secretFor(m, *secretStdin); err != nil {
			return err
		}
		// The index must be usable before anyone signs in for nothing.
		if _, err := c.store.List(ctx); err != nil {
			return err
		}
		if *alias != "" {
			if err := c.store.CheckAlias(ctx, *alias); err != nil {
				return err
			}
		}
		if err := login.check(); err != nil {
			return err
		}
		conn, err := c.login(ctx, req, login, keychain.AddOptions{Alias: *alias, ClientSecret: req.App.ClientSecret, Scopes: req.App.Scopes})
		if err != nil {
			return err
		}
		return c.connected(conn)
	}
}

func (c *cli) reconnectCmd(fs *flag.FlagSet) func(context.Context, []string) error {
	secretStdin := fs.Bool("client-secret-stdin", false, "read a new consumer secret from stdin (else MESHMESH_CLIENT_SECRET, else the stored one)")
	login := loginFlags(fs)
	return func(ctx context.Context, args []string) error {
		if err := login.check(); err != nil {
			return err
		}
		conn, req, err := c.store.Reconnect(ctx, args[0])
		if err != nil {
			return err
		}
		// A secret given overrides the stored one: the app's secret may
		// have changed, or the keychain item be gone.
		secret, err := c.secretFor(req.Method, *secretStdin)
		if err != nil {
			return err
		}
		if secret != "" {
			req.App.ClientSecret = secret
		}
		conn, err = c.login(ctx, req, login, keychain.AddOptions{Alias: conn.Alias, ClientSecret: req.App.ClientSecret, Scopes: conn.Scopes, Expect: conn.Username})
		if err != nil {
			return err
		}
		return c.connected(conn)
	}
}

// quickFlags refuses the flags that Quick Connect cannot honour: it signs
// in with the Salesforce CLI's own app and scopes.
func quickFlags(fs *flag.FlagSet) error {
	var err error
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "client-id", "scopes":
			if err == nil {
				err = badUsage("--"+f.Name+" does not apply to Quick Connect", "Quick Connect signs in with the Salesforce CLI's own app and scopes: drop --"+f.Name+", or use --method custom with your org's connected app.")
			}
		}
	})
	return err
}

// loginOptions are the flags every browser login takes.
type loginOptions struct {
	noBrowser *bool
	timeout   *time.Duration
}

func loginFlags(fs *flag.FlagSet) loginOptions {
	return loginOptions{
		noBrowser: fs.Bool("no-browser", false, "print the URL to open instead of opening the browser (not with Quick Connect)"),
		timeout:   fs.Duration("timeout", oauth.DefaultLoginTimeout, "how long to wait for the browser login"),
	}
}

func (o loginOptions) check() error {
	if *o.timeout <= 0 {
		return badUsage(fmt.Sprintf("--timeout %s is not a positive duration", *o.timeout), "Use for example --timeout 5m.")
	}
	return nil
}

// login runs a browser login and stores its grant.
func (c *cli) login(ctx context.Context, req oauth.LoginRequest, o loginOptions, add keychain.AddOptions) (keychain.Connection, error) {
	req.Timeout = *o.timeout
	if req.Method == oauth.QuickConnect && *o.noBrowser {
		return keychain.Connection{}, badUsage("--no-browser does not work with Quick Connect", "The Salesforce CLI always opens the browser itself. To get a sign-in URL to open by hand, use --method custom with your org's connected app.")
	}
	for _, w := range req.Target.Warnings() {
		c.say("Warning: %s", w)
	}
	var (
		grant *oauth.Grant
		err   error
	)
	if req.Method == oauth.QuickConnect {
		grant, err = c.quickConnect(ctx, req)
	} else {
		grant, err = c.browserLogin(ctx, req, o)
	}
	if err != nil {
		return keychain.Connection{}, err
	}
	// Add finishes even after Ctrl-C, and revokes a grant it cannot keep.
	return c.store.Add(ctx, grant, add)
}

// quickConnect signs in through the Salesforce CLI, which opens the
// browser itself (and prints no URL to open by hand).
func (c *cli) quickConnect(ctx context.Context, req oauth.LoginRequest) (*oauth.Grant, error) {
	q, err := c.engine.BeginQuickConnect(ctx, req)
	if err != nil {
		return nil, err
	}
	c.say("Signing in through the Salesforce CLI (sf): it opens your browser on %s (%s).", q.LoginURL(), req.Target.Environment)
	c.say("Waiting up to %s for the login to finish (press Ctrl-C to cancel)…", shortDuration(q.Timeout()))
	return q.Wait(ctx)
}

// browserLogin runs a login whose callback MeshMesh serves, and prints
// its URL for when no browser opens.
func (c *cli) browserLogin(ctx context.Context, req oauth.LoginRequest, o loginOptions) (*oauth.Grant, error) {
	flow, err := c.engine.Begin(ctx, req)
	if err != nil {
		return nil, err
	}
	defer flow.Close()
	loginURL, _ := c.engine.Settings.LoginURL(req.Target)
	c.say("Sign in to Salesforce (%s, %s) in your browser.", req.Target.Environment, loginURL)
	if *o.noBrowser {
		c.say("Open this URL in a browser on this computer:")
	} else {
		c.say("If no browser opens, open this URL on this computer:")
	}
	c.say("  %s", flow.URL())
	c.say("Waiting up to %s for the login to finish (press Ctrl-C to cancel)…", shortDuration(flow.Timeout()))
	if !*o.noBrowser {
		if err := oauth.OpenURL(ctx, c.engine.Settings.Browser, flow.URL()); err != nil {
			c.say("The browser did not open (%v): open the URL above by hand.", err)
		}
	}
	return flow.Wait(ctx)
}

func (c *cli) connected(conn keychain.Connection) error {
	if c.json {
		c.printJSON(map[string]any{"org": conn})
		return nil
	}
	fmt.Fprintf(c.stdout, "Connected to %s as %s (alias %s).\n", conn.OrgName, conn.Username, conn.Alias)
	return nil
}

// secretFor returns the consumer secret a login with method m takes: for
// a custom app, clientSecret's; the other methods take none, and
// --client-secret-stdin is a usage error.
func (c *cli) secretFor(m oauth.Method, fromStdin bool) (string, error) {
	if m == oauth.CustomApp {
		return c.clientSecret(fromStdin)
	}
	if fromStdin {
		return "", badUsage("--client-secret-stdin is for --method custom", "Drop it: the "+m.String()+" method has no secret of yours.")
	}
	return "", nil
}

// maxSecretLen is the longest consumer secret clientSecret takes.
const maxSecretLen = 4096

// clientSecret reads the consumer secret from stdin (without echo on a
// terminal) or MESHMESH_CLIENT_SECRET: never from an argument, where other
// users of the machine could read it.
func (c *cli) clientSecret(fromStdin bool) (string, error) {
	if !fromStdin {
		return c.getenv("MESHMESH_CLIENT_SECRET"), nil
	}
	var line string
	if f, ok := c.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(c.stderr, "Consumer secret: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.stderr)
		if err != nil {
			return "", fmt.Errorf("reading the consumer secret: %w", err)
		}
		line = string(b)
	} else {
		// One byte more than a secret may have, to tell a long one.
		var err error
		line, err = bufio.NewReader(io.LimitReader(c.stdin, maxSecretLen+1)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("reading the consumer secret from stdin: %w", err)
		}
	}
	secret := strings.TrimSpace(line)
	switch {
	case secret == "":
		return "", badUsage("--client-secret-stdin read an empty secret", "Pipe the consumer secret in, e.g. meshmesh connect … --client-secret-stdin < secret.txt, or set MESHMESH_CLIENT_SECRET.")
	case len(secret) > maxSecretLen:
		return "", badUsage("--client-secret-stdin read more than a consumer secret", fmt.Sprintf("A consumer secret is at most %d bytes, on one line: pipe in only the secret.", maxSecretLen))
	}
	return secret, nil
}

// parseTarget reads --env and --domain: a domain implies custom unless an
// environment is named.
func parseTarget(env, domain string) (oauth.Target, error) {
	if env == "" {
		env = string(oauth.Production)
		if domain != "" {
			env = string(oauth.CustomDomain)
		}
	}
	e, err := oauth.ParseEnvironment(env)
	if err != nil {
		return oauth.Target{}, badUsage(err.Error(), "Use --env production, sandbox or custom.")
	}
	if e == oauth.CustomDomain && domain == "" {
		return oauth.Target{}, badUsage("--env custom needs --domain", "Give the org's My Domain, e.g. --domain https://acme.my.salesforce.com.")
	}
	if domain != "" {
		if _, err := oauth.ParseDomain(domain); err != nil {
			return oauth.Target{}, usageOf(err) // invalid_domain or lightning_domain
		}
	}
	return oauth.Target{Environment: e, Domain: domain}, nil
}

// ---- list, token, open, remove, install-url, version ----

func (c *cli) listCmd(fs *flag.FlagSet) func(context.Context, []string) error {
	return func(ctx context.Context, _ []string) error {
		conns, err := c.store.List(ctx)
		if err != nil {
			return err
		}
		if c.json {
			if conns == nil {
				conns = []keychain.Connection{}
			}
			c.printJSON(map[string]any{"orgs": conns})
			return nil
		}
		if len(conns) == 0 {
			fmt.Fprintln(c.stdout, "No connections yet. Add one with: meshmesh connect (Quick Connect, through the Salesforce CLI), meshmesh import-sf (the orgs sf holds), or meshmesh connect --method custom --client-id KEY")
			return nil
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ALIAS\tUSERNAME\tORG\tENVIRONMENT\tMETHOD\tSTATUS")
		for _, k := range conns {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.Alias, k.Username, k.OrgName, k.Environment, k.Method, k.Status)
		}
		return tw.Flush()
	}
}

func (c *cli) tokenCmd(fs *flag.FlagSet) func(context.Context, []string) error {
	refresh := fs.Bool("refresh", false, "refresh the token even if the cached one is young")
	return func(ctx context.Context, args []string) error {
		tok, err := c.store.Token(ctx, args[0], *refresh)
		if err != nil {
			return err
		}
		if c.json {
			c.printJSON(tok)
		} else {
			fmt.Fprintln(c.stdout, tok.AccessToken)
		}
		return nil
	}
}

func (c *cli) openCmd(fs *flag.FlagSet) func(context.Context, []string) error {
	urlOnly := fs.Bool("url-only", false, "print the single-use URL instead of opening it")
	return func(ctx context.Context, args []string) error {
		var u string
		err := c.store.Use(ctx, args[0], func(ctx context.Context, tok *keychain.Token) (err error) {
			u, err = c.engine.FrontdoorURL(ctx, tok.InstanceURL, tok.AccessToken, "")
			return err
		})
		if err != nil {
			return err
		}
		if *urlOnly {
			if c.json {
				c.printJSON(map[string]string{"url": u})
			} else {
				fmt.Fprintln(c.stdout, u)
			}
			return nil
		}
		if err := oauth.OpenSecretURL(ctx, c.engine.Settings.Browser, u); err != nil {
			return err
		}
		if c.json {
			c.printJSON(map[string]bool{"opened": true})
		}
		return nil
	}
}

func (c *cli) removeCmd(fs *flag.FlagSet) func(context.Context, []string) error {
	return func(ctx context.Context, args []string) error {
		r, err := c.store.Remove(ctx, args[0])
		if err != nil {
			return err
		}
		k := r.Connection
		if c.json {
			out := map[string]any{"removed": k, "revoked": r.Revoked, "shared_with_sf": r.SharedWithSF}
			if r.RevokeErr != nil {
				out["revoke_error"] = r.RevokeErr.Error()
			}
			c.printJSON(out)
		} else {
			fmt.Fprintf(c.stdout, "Removed %s (%s).\n", k.Name(), k.Username)
		}
		switch {
		case r.Revoked:
			c.say("Its token was revoked at Salesforce.")
		case r.SharedWithSF:
			c.say("Its token was left valid: the Salesforce CLI shares it and keeps the org. To end the token, revoke it in Salesforce (Setup → Connected Apps OAuth Usage, or your personal settings → OAuth Connected Apps); sf org logout only forgets it on sf's side.")
		default:
			c.say("Its token could not be revoked at Salesforce (%v): it stays valid until it expires or you revoke it in Salesforce (Setup → Connected Apps OAuth Usage, or your personal settings → OAuth Connected Apps).", r.RevokeErr)
		}
		c.say("To add it back: %s", k.ConnectCommand())
		if k.Method == oauth.CustomApp {
			c.say("(with the app's consumer secret on stdin and --client-secret-stdin, or in MESHMESH_CLIENT_SECRET)")
		}
		return nil
	}
}

// ---- the Salesforce CLI ----

// importReport is what import-sf did, for --json.
type importReport struct {
	Imported []keychain.Connection `json:"imported"` // new connections
	Updated  []keychain.Connection `json:"updated"`  // connections that were there, with sf's token now
	Kept     []keychain.Connection `json:"kept"`     // MeshMesh's own connections of the same users, with another app: left as they were
	Failed   []importFailure       `json:"failed"`
}

type importFailure struct {
	Username string      `json:"username"`
	Alias    string      `json:"alias,omitempty"` // sf's
	Error    errorObject `json:"error"`
}

func (c *cli) importSFCmd(fs *flag.FlagSet) func(context.Context, []string) error {
	return func(ctx context.Context, refs []string) error {
		// The index must be usable before sf is asked for anything.
		if _, err := c.store.List(ctx); err != nil {
			return err
		}
		if !c.json {
			c.say("Reading the orgs of the Salesforce CLI (sf)…")
		}
		res, err := c.engine.ImportSF(ctx, refs...)
		if err != nil {
			return err
		}
		rep := importReport{Imported: []keychain.Connection{}, Updated: []keychain.Connection{}, Kept: []keychain.Connection{}, Failed: []importFailure{}}
		for _, im := range res {
			conn, outcome, err := c.store.AddFromSF(ctx, im)
			switch {
			case errors.Is(err, context.Canceled):
				return err
			case err != nil:
				d := oauth.Diagnose(err, oauth.Situation{Method: oauth.QuickConnect})
				rep.Failed = append(rep.Failed, importFailure{Username: im.Org.Username, Alias: im.Org.Alias, Error: errorObject{
					Code: string(d.Code), Title: d.Title, Advice: d.Advice,
					SalesforceError: d.SalesforceError, SalesforceDescription: d.SalesforceDescription, Fixes: d.Fixes,
				}})
				if !c.json {
					c.say("Not imported: %s: %s. %s", im.Org, d.Title, d.Advice)
				}
			case outcome == keychain.SFKept:
				rep.Kept = append(rep.Kept, conn)
				if !c.json {
					c.say("Kept %s (%s): MeshMesh connects it with its own %s; to take sf's instead, meshmesh remove %s, then import it again.", conn.Name(), conn.Username, conn.Method, conn.Name())
				}
			case outcome == keychain.SFUpdated:
				rep.Updated = append(rep.Updated, conn)
				if !c.json {
					fmt.Fprintf(c.stdout, "Updated %s (%s, %s) with the Salesforce CLI's token.\n", conn.Name(), conn.Username, conn.OrgName)
				}
			default:
				rep.Imported = append(rep.Imported, conn)
				if !c.json {
					fmt.Fprintf(c.stdout, "Imported %s (%s, %s).\n", conn.Name(), conn.Username, conn.OrgName)
				}
			}
		}
		if c.json {
			c.printJSON(rep)
		} else if len(res) == 0 {
			c.say("The Salesforce CLI holds no org. Sign one in with: meshmesh connect --method quick (or sf org login web).")
		}
		if len(rep.Failed) > 0 {
			return errReported
		}
		return nil
	}
}

func (c *cli) exportSFCmd(fs *flag.FlagSet) func(context.Context, []string) error {
	return func(ctx context.Context, args []string) error {
		// Marked shared with sf (never revoked by MeshMesh) once printed.
		_, err := c.store.ShareWithSF(ctx, args[0], func(conn keychain.Connection, cred keychain.Credentials) error {
			u, err := url.Parse(conn.InstanceURL)
			switch {
			case err != nil || u.Host == "":
				return fmt.Errorf("the instance URL of %s, %q, is not a URL: reconnect it (meshmesh reconnect %s)", conn.Name(), conn.InstanceURL, conn.Name())
			case conn.Status == keychain.NeedsReconnect:
				return &oauth.Diagnosis{Code: oauth.RefreshTokenExpired, Title: conn.Name() + " needs reconnect",
					Advice: fmt.Sprintf("Salesforce no longer accepts %s's token, so sf could not use it either. Run meshmesh reconnect %s, then export it.", conn.Name(), conn.Name()),
					Fixes:  []oauth.Fix{{Kind: oauth.FixReconnect, Label: "Reconnect"}}}
			case u.Scheme != "https":
				return &oauth.Diagnosis{Code: codeSFNeedsHTTPS, Title: "The Salesforce CLI reaches orgs only over https",
					Advice: fmt.Sprintf("%s is at %s: sf org login sfdx-url would call https://%s and fail, so nothing was printed. Real Salesforce orgs are https; a fake Salesforce must be served over TLS.", conn.Name(), conn.InstanceURL, u.Host)}
			}
			authURL, err := sfcli.AuthURL{ClientID: conn.ClientID, ClientSecret: cred.ClientSecret, RefreshToken: cred.RefreshToken, Host: u.Host}.Encode()
			if err != nil {
				return err
			}
			c.log.Info("export-sf", "alias", conn.Alias, "username", conn.Username)
			if c.stdoutIsTerminal() {
				c.say("Warning: this line carries %s's refresh token: whoever has it can use the org as %s. Do not paste it anywhere; pipe it instead:", conn.Name(), conn.Username)
				c.say("  meshmesh export-sf %s | sf org login sfdx-url --alias %s --sfdx-url-stdin", conn.Name(), conn.Name())
			}
			if c.json {
				c.printJSON(map[string]string{"sfdxAuthUrl": authURL})
			} else {
				fmt.Fprintln(c.stdout, authURL)
			}
			return nil
		})
		return err
	}
}

// stdoutIsTerminal reports whether stdout is a terminal, where a secret
// printed stays on screen and in the scrollback.
func (c *cli) stdoutIsTerminal() bool {
	f, ok := c.stdout.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func (c *cli) installURLCmd(fs *flag.FlagSet) func(context.Context, []string) error {
	env := fs.String("env", "", "production, sandbox or custom")
	domain := fs.String("domain", "", "the org's My Domain URL (implies --env custom)")
	return func(ctx context.Context, _ []string) error {
		target, err := parseTarget(*env, *domain)
		if err != nil {
			return err
		}
		u, err := c.engine.Settings.InstallURL(target)
		if err != nil {
			return err
		}
		if c.json {
			c.printJSON(map[string]string{"install_url": u})
		} else {
			fmt.Fprintln(c.stdout, u)
		}
		return nil
	}
}

func (c *cli) versionCmd(fs *flag.FlagSet) func(context.Context, []string) error {
	return func(context.Context, []string) error {
		if c.json {
			c.printJSON(map[string]string{"version": version})
		} else {
			fmt.Fprintln(c.stdout, "meshmesh", version)
		}
		return nil
	}
}

// ---- the tray ----

// autostartWait is how long a tray started at login waits for the panel.
const autostartWait = "2m"

func (c *cli) trayCmd(fs *flag.FlagSet) func(context.Context, []string) error {
	wait := fs.Duration("wait", 3*time.Second, "how long to wait for the desktop's tray host to appear")
	return func(ctx context.Context, _ []string) error {
		return c.showTray(ctx, c.store.Dir(), *wait, func(context.Context) (tray.Options, func(), error) {
			return tray.Options{Title: "MeshMesh", Store: c.store, Engine: c.engine, Autostart: c.autostart()}, func() {}, nil
		})
	}
}

// autostart is the start-at-login entry of this program: the tray, with
// the MeshMesh settings of this environment (a session started at login
// has not read the shell's profile).
func (c *cli) autostart() tray.Autostart {
	exe, err := os.Executable()
	if err != nil {
		return noAutostart{fmt.Errorf("this program's path is unknown (%w)", err)}
	}
	if strings.Contains(exe, string(filepath.Separator)+"go-build") && filepath.Base(filepath.Dir(exe)) == "exe" {
		return noAutostart{errors.New("go run builds a temporary program: install meshmesh (go install or a release) to start it at login")}
	}
	cmd := []string{exe, "tray", "--wait", autostartWait}
	if runtime.GOOS != "windows" {
		var env []string
		for _, k := range []string{"MESHMESH_HOME", "MESHMESH_KEYCHAIN_SERVICE", "MESHMESH_PRODUCTION_URL", "MESHMESH_SANDBOX_URL",
			"MESHMESH_CALLBACK_PORT", "MESHMESH_ECA_CLIENT_ID", "MESHMESH_TOKEN_MAX_AGE", "MESHMESH_LOG"} {
			if v := c.getenv(k); v != "" {
				env = append(env, k+"="+v) // settings only: never MESHMESH_CLIENT_SECRET
			}
		}
		if len(env) > 0 {
			cmd = append(append([]string{"/usr/bin/env"}, env...), cmd...)
		}
	}
	return autostart.Entry{Name: "meshmesh", DisplayName: "MeshMesh", Comment: "Keeps your Salesforce orgs connected", Command: cmd}
}

// noAutostart is Start at login where it cannot work: the menu shows the
// item disabled, with the reason.
type noAutostart struct{ err error }

func (n noAutostart) Enabled() (bool, error) { return false, n.err }
func (n noAutostart) Enable() error          { return n.err }
func (n noAutostart) Disable() error         { return n.err }

// showTray runs the tray of the state folder dir, or asks the tray already
// running for it to open its Connections page. setup, called once this
// process is the tray and the desktop can show it, returns the tray's
// options and what to undo at the end.
func (c *cli) showTray(ctx context.Context, dir string, wait time.Duration, setup func(context.Context) (tray.Options, func(), error)) error {
	primary, err := c.claimTray(ctx, dir)
	if err != nil {
		return err
	}
	if primary == nil {
		fmt.Fprintln(c.stdout, "MeshMesh is already running: its Connections page opens in your browser.")
		return nil
	}
	defer primary.Close()
	if err := tray.CheckDesktop(ctx, wait); err != nil {
		return err
	}
	opts, undo, err := setup(ctx)
	if err != nil {
		return err
	}
	defer undo()
	show := make(chan struct{}, 1)
	go func() {
		for range primary.Requests() {
			select {
			case show <- struct{}{}:
			default:
			}
		}
	}()
	n := notify.New(notify.Options{AppName: opts.Title, Icon: icons.App(), Log: c.log})
	defer n.Close()
	opts.Notifier, opts.Show, opts.Log = n, show, c.log
	c.log.Info("tray: start", "title", opts.Title, "dir", dir)
	return tray.Run(ctx, opts)
}

// claimTray makes this process the tray of the state folder dir, or hands
// over to the tray already running (then primary is nil).
func (c *cli) claimTray(ctx context.Context, dir string) (primary *instance.Primary, err error) {
	for range 3 {
		primary, err = instance.Claim(ctx, dir, c.log)
		if !errors.Is(err, instance.ErrRunning) {
			return primary, err
		}
		err = instance.Ask(ctx, dir, instance.Show)
		if !errors.Is(err, instance.ErrNotRunning) {
			if err != nil {
				return nil, &oauth.Diagnosis{Code: codeFailed, Title: "MeshMesh is running but does not answer", Err: err,
					Advice: "Another MeshMesh tray holds " + dir + " but did not answer: quit it from its menu (or end the process), then start MeshMesh again."}
			}
			return nil, nil
		}
		// The running tray quit meanwhile: claim again.
	}
	return nil, err
}

func (c *cli) demoCmd(fs *flag.FlagSet) func(context.Context, []string) error {
	return func(ctx context.Context, _ []string) error {
		dir, err := demoDir()
		if err != nil {
			return err
		}
		c.log, c.logOpen = openLog(c.getenv)
		return c.showTray(ctx, dir, 3*time.Second, func(ctx context.Context) (tray.Options, func(), error) {
			fmt.Fprintln(c.stderr, "Starting the demo: a fake Salesforce on this computer, with sample orgs…")
			w, err := demo.Start(ctx, demo.Options{Dir: dir, CallbackPort: c.engine.Settings.CallbackPort, Browser: c.engine.Settings.Browser, Log: c.log})
			if err != nil {
				return tray.Options{}, nil, err
			}
			fmt.Fprintf(c.stderr, "Demo ready. Sign in on the fake's pages as %s with the password %s.\n", strings.Join(w.Users, ", "), w.Password)
			undo := func() { w.Close(context.WithoutCancel(ctx)) }
			return tray.Options{Title: "MeshMesh Demo", Store: w.Store, Engine: w.Engine, Demo: true,
				Autostart: noAutostart{errors.New("the demo does not start at login: the tray itself (meshmesh) does")}}, undo, nil
		})
	}
}

// demoDir is the demo's own state folder, apart from the real one.
func demoDir() (string, error) {
	dir, err := keychain.DefaultDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(dir), "meshmesh-demo"), nil
}

// ---- help, flags, log ----

func (c *cli) usage(w io.Writer) {
	fmt.Fprint(w, "MeshMesh connects your Salesforce orgs and keeps them connected.\n\nUsage:\n")
	// One short line a command, to fit a terminal; --help gives the flags.
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  meshmesh\tstart the tray\n")
	for _, cmd := range commands() {
		line := "meshmesh " + cmd.name
		if cmd.nargs == 1 {
			line += " ORG"
		}
		fmt.Fprintf(tw, "  %s\t%s\n", line, cmd.summary)
	}
	tw.Flush()
	fmt.Fprint(w, "\nORG is an alias, a username or an org id. With --json, stdout is one JSON\nobject. meshmesh COMMAND --help describes a command's flags.\n")
}

// details are the longer explanations of commandUsage, by command.
var details = map[string]string{
	"connect": `--method quick (the default without --client-id) signs in through the
Salesforce CLI: sf 2.136.8 or later on PATH (or MESHMESH_SF), on Node.js
22.19.0 or later. sf opens the browser itself and waits on
http://localhost:1717/OauthRedirect with its own app, so --no-browser,
--client-id and --scopes do not apply; sf also keeps the org, under the
alias meshmesh-<environment>. The token is then shared with sf: MeshMesh
does not revoke it while sf holds it.`,
	"import-sf": `Imports the orgs the Salesforce CLI holds (sf org list), all or those
named by alias, username or org id, without a browser. An org already in
MeshMesh is updated, its alias kept; MeshMesh's own connection of the same
user with another app is kept as it is. The token stays shared with sf:
MeshMesh does not revoke it while sf holds it. Exit status 1 if any org
could not be imported.`,
	"export-sf": `Prints ORG's sfdxAuthUrl (force://…) on stdout, for:
  meshmesh export-sf ORG | sf org login sfdx-url --alias NAME --sfdx-url-stdin
It carries ORG's refresh token (and a custom app's consumer secret): keep
it off screens and files. The token is then shared with sf: MeshMesh does
not revoke it while this computer's sf holds it (it asks that sf, not an
sf on another machine or under another home).`,
	"remove": `A token the Salesforce CLI shares (Quick Connect, import-sf, export-sf)
is not revoked while sf holds it: revoking it would sign sf out too.`,
}

// commandUsage prints cmd's usage, its details and its flags.
func (c *cli) commandUsage(w io.Writer, cmd command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: meshmesh %s %s\n\n%s.\n\n", cmd.name, cmd.args, cmd.summary)
	if d := details[cmd.name]; d != "" {
		fmt.Fprintf(w, "%s\n\n", d)
	}
	fmt.Fprintf(w, "Flags:\n")
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// parseInterspersed parses flags wherever they are among the positional
// arguments (meshmesh token acme --json), up to a "--": every argument
// after it is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil // Parse stopped at "--"
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// hasFlag reports whether args set the boolean flag name as package flag
// would parse them: -name or --name, or -name=value or --name=value with
// a value strconv.ParseBool takes; the last one counts, and a "--" ends
// the flags.
func hasFlag(args []string, name string) bool {
	set := false
	for _, a := range args {
		if a == "--" {
			break
		}
		f, ok := strings.CutPrefix(a, "-")
		if !ok {
			continue
		}
		f = strings.TrimPrefix(f, "-")
		k, v, hasValue := strings.Cut(f, "=")
		if k != name {
			continue
		}
		set = true
		if hasValue {
			b, err := strconv.ParseBool(v)
			set = err == nil && b
		}
	}
	return set
}

func shortDuration(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// logPath is where MeshMesh logs: MESHMESH_LOG, else meshmesh.log in the
// user's state folder (XDG_STATE_HOME on Linux, the cache folder
// elsewhere).
func logPath(getenv func(string) string) string {
	if p := getenv("MESHMESH_LOG"); p != "" {
		return p
	}
	if runtime.GOOS == "linux" {
		if dir := getenv("XDG_STATE_HOME"); filepath.IsAbs(dir) {
			return filepath.Join(dir, "meshmesh", "meshmesh.log")
		}
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, ".local", "state", "meshmesh", "meshmesh.log")
		}
	}
	if dir, err := os.UserCacheDir(); err == nil {
		return filepath.Join(dir, "meshmesh", "meshmesh.log")
	}
	return ""
}

// maxLogSize is when the log is moved to meshmesh.log.1 and begun anew.
const maxLogSize = 4 << 20

// openLog opens the log for appending; a log that cannot be opened is
// no reason to fail a command.
func openLog(getenv func(string) string) (log *slog.Logger, ok bool) {
	discard := slog.New(slog.DiscardHandler)
	p := logPath(getenv)
	if p == "" {
		return discard, false
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return discard, false
	}
	if st, err := os.Stat(p); err == nil && st.Size() > maxLogSize {
		_ = os.Rename(p, p+".1")
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return discard, false
	}
	// The file stays open for the life of the process.
	return slog.New(slog.NewTextHandler(f, nil)).With("pid", os.Getpid()), true
}
