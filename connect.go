// This file holds connect and reconnect, and the browser login they run.

package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/meshmesh/meshmesh/keychain"
	"github.com/meshmesh/meshmesh/oauth"
	"golang.org/x/term"
)

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
