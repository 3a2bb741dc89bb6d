// This file holds the command line's frame: the commands, running one,
// errors and exit statuses, help and flags.

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/meshmesh/meshmesh/keychain"
	"github.com/meshmesh/meshmesh/oauth"
)

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
		{"list", "[--group NAME] [--env production|sandbox|developer] [--status STATUS] [--json]", "list connections (no network, no keychain)", 0, needsStore, (*cli).listCmd},
		{"token", "ORG [--refresh] [--json]", "print a valid access token of ORG", 1, needsStore, (*cli).tokenCmd},
		{"open", "ORG [--path PATH | --setup] [--url-only]", "open ORG in the browser, signed in", 1, needsStore, (*cli).openCmd},
		{"reconnect", "ORG [--client-secret-stdin]", "log ORG in again (same method, environment and user)", 1, needsStore, (*cli).reconnectCmd},
		{"remove", "ORG", "forget ORG, revoking its token (unless sf holds it)", 1, needsStore, (*cli).removeCmd},
		{"group", "ORG (NAME | --none)", "put ORG in group NAME, or in none (--none)", anyArgs, needsStore, (*cli).groupCmd},
		{"pin", "ORG [--at N]", "make ORG a favourite, after the others (or at place N)", 1, needsStore, (*cli).pinCmd},
		{"unpin", "ORG", "make ORG a favourite no more", 1, needsStore, (*cli).unpinCmd},
		{"alias", "ORG NEW", "rename ORG: NEW is its alias from now on", 2, needsStore, (*cli).aliasCmd},
		{"import-sf", "[ORG...]", "import the orgs sf holds (all, or those named)", anyArgs, needsStore, (*cli).importSFCmd},
		{"export-sf", "ORG", "print ORG's sfdxAuthUrl for sf org login sfdx-url", 1, needsStore, (*cli).exportSFCmd},
		{"install-url", "--env production|sandbox|custom [--domain URL]", "print the MeshMesh package install URL", 0, needsSettings, (*cli).installURLCmd},
		{"version", "", "print the version", 0, needsNothing, (*cli).versionCmd},
		{"tray", "[--wait DURATION]", "show the tray (what meshmesh with no command does)", 0, needsStore, (*cli).trayCmd},
		{"demo", "[--orgs N]", "the tray on a fake Salesforce with sample orgs", 0, needsSettings, (*cli).demoCmd},
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
		// meshmesh help COMMAND is meshmesh COMMAND --help.
		for _, a := range args[1:] {
			if strings.HasPrefix(a, "-") {
				continue
			}
			for _, cmd := range commands() {
				if cmd.name == a {
					return c.runCommand(ctx, cmd, []string{"--help", "--json=" + strconv.FormatBool(c.json)})
				}
			}
			return c.usageError(fmt.Sprintf("unknown command %q", a), "Run meshmesh help to see the commands.")
		}
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
		switch words := positional(cmd); cmd.nargs {
		case 1:
			what = "one ORG (an alias, a username or an org id)"
		case 2:
			what = fmt.Sprintf("two arguments, %s and %s", words[0], words[1])
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

func (c *cli) usage(w io.Writer) {
	fmt.Fprint(w, "MeshMesh connects your Salesforce orgs and keeps them connected.\n\nUsage:\n")
	// One short line a command, to fit a terminal; --help gives the flags.
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  meshmesh\tstart the tray\n")
	for _, cmd := range commands() {
		line := strings.Join(append([]string{"meshmesh", cmd.name}, positional(cmd)...), " ")
		fmt.Fprintf(tw, "  %s\t%s\n", line, cmd.summary)
	}
	tw.Flush()
	fmt.Fprint(w, "\nORG is an alias, a username or an org id. With --json, stdout is one JSON\nobject. meshmesh COMMAND --help describes a command's flags.\n")
}

// positional returns the positional arguments that cmd's usage begins
// with: ORG, or ORG NEW (those in capitals, before any flag).
func positional(cmd command) []string {
	var words []string
	for _, w := range strings.Fields(cmd.args) {
		if strings.Trim(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			break
		}
		words = append(words, w)
	}
	return words
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
	"list": `Prints a table, ★ marking a favourite; with --json, {"orgs":[…]}, each
with its group, favourite and last_used. The filters keep the connections
that match all of those given: --group NAME (any case); --env the kind of
org, production, sandbox or developer (Developer Edition, scratch and
trial orgs), whatever environment it logs in at; --status connected,
needs_reconnect or unknown (what the last refresh found).`,
	"open": `--path opens that page of the org instead of its home page: the path
after the domain in the address bar, e.g. /lightning/setup/ApexJobs/home.
--setup opens Setup (--path /lightning/setup/SetupOneHome/home). The
single-use sign-in URL goes to the browser through a local redirect, never
on a command line. Opening ORG (also with --url-only) records when it
was last used (last_used in list --json).`,
	"group": `Puts ORG in your group NAME (quote a name of several words), or takes
it out of its group with --none. A group is compared without regard to
case and keeps the spelling of the connections already in it; a name is 1
to 40 characters. list --group NAME shows a group. Only the index
changes: no network, no keychain.`,
	"pin": `Favourites keep the order you pinned them in (favourite in list --json:
1 first), the order of the tray's Favourites; pinning a favourite again
leaves it where it is, unless --at N moves it to place N (the others
make room). Only the index changes: no network, no keychain.`,
	"unpin": `The other favourites keep their order. Only the index changes.`,
	"alias": `NEW is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter
or digit; an alias that names another connection is refused. The
keychain item and the token are unchanged: scripts that name ORG by its
old alias must use NEW.`,
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
