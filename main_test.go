package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/meshmesh/meshmesh/keychain"
	"github.com/meshmesh/meshmesh/oauth"
)

func TestRunUsage(t *testing.T) {
	for _, tt := range []struct {
		args   []string
		status int
		out    string
	}{
		{[]string{"help"}, 0, "Usage:"}, // no command at all starts the tray: tray_test.go
		{[]string{"version"}, 0, "meshmesh dev"},
		{[]string{"--version"}, 0, "meshmesh dev"},
		{[]string{"version", "--json"}, 0, `{"version":"dev"}`},
		{[]string{"help"}, 0, "meshmesh connect        connect an org through your browser"},
		{[]string{"token", "--help"}, 0, "-refresh"},
		{[]string{"reconnect", "--help"}, 0, "-client-secret-stdin"},
		{[]string{"token", "--json=false", "--help"}, 0, "\n\nFlags:\n"},
		// --json: one JSON object, even for help.
		{[]string{"token", "--json", "--help"}, 0, `{"usage":"Usage: meshmesh token ORG [--refresh] [--json]\n\nprint a valid access token of ORG.\n\nFlags:\n`},
		{[]string{"token", "--help", "--json=1"}, 0, `{"usage":"Usage: meshmesh token ORG`},
		{[]string{"help", "--json=t"}, 0, `{"usage":"MeshMesh connects your Salesforce orgs`},
		{[]string{"version", "--json=TRUE"}, 0, `{"version":"dev"}`},
		// After "--" everything is positional.
		{[]string{"version", "--", "--json"}, 2, "meshmesh: meshmesh version takes no arguments\n"},
		{[]string{"token", "--", "a", "--refresh"}, 2, "meshmesh: meshmesh token takes one ORG"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"frobnicate", "--json"}, 2, `{"error":{"code":"usage","title":"unknown command \"frobnicate\""`},
		{[]string{"token"}, 2, "meshmesh token takes one ORG"},
		{[]string{"token", "a", "b"}, 2, "meshmesh token takes one ORG"},
		{[]string{"list", "--bogus"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"connect", "--method", "carrier-pigeon"}, 2, "Use --method custom, meshmesh or quick."},
		{[]string{"connect", "--method", "custom"}, 2, "--method custom needs --client-id"},
		{[]string{"connect", "--env", "custom", "--client-id", "X"}, 2, "--env custom needs --domain"},
		{[]string{"connect", "--env", "moon"}, 2, "Use --env production, sandbox or custom."},
		{[]string{"connect", "--client-id", "X", "--timeout", "-1s"}, 2, "--timeout -1s is not a positive duration"},
		// A bad --alias or --domain is a usage error that keeps its diagnosis.
		{[]string{"connect", "--client-id", "X", "--alias", "has space"}, 2, `Invalid alias "has space"`},
		{[]string{"connect", "--client-id", "X", "--alias", "00D000000000001"}, 2, `Invalid alias "00D000000000001"`},
		{[]string{"connect", "--client-id", "X", "--alias", "has space", "--json"}, 2, `{"error":{"code":"alias_invalid","title":"Invalid alias \"has space\"","advice":"An alias is 1 to 64`},
		{[]string{"connect", "--client-id", "X", "--domain", "https://acme.lightning.force.com", "--json"}, 2, `{"error":{"code":"lightning_domain","title":"Lightning domain given","advice":"acme.lightning.force.com is a Lightning domain`},
		{[]string{"install-url", "--domain", "ftp://acme.example.com", "--json"}, 2, `{"error":{"code":"invalid_domain","title":"Custom domain is not a web address"`},
		{[]string{"connect", "--client-id", "X", "--client-secret-stdin"}, 2, "--client-secret-stdin read an empty secret"},
		{[]string{"connect", "--method", "meshmesh", "--client-secret-stdin"}, 2, "--client-secret-stdin is for --method custom"},
		{[]string{"connect", "--client-id", "X", "--domain", "https://acme.lightning.force.com"}, 2, "acme.my.salesforce.com"},
		{[]string{"connect", "--client-id", "X", "--scopes", "api web"}, 2, `--scopes "api web" lacks refresh_token`},
		{[]string{"connect", "--client-id", "X", "--scopes", "refresh_token"}, 2, `--scopes "refresh_token" lacks api and web`},
		{[]string{"install-url", "--env", "sandbox"}, 0, "https://test.salesforce.com/packaging/installPackage.apexp?p0=04tfj000000GGiLAAW"},
		{[]string{"install-url", "--domain", "acme.my.salesforce.com", "--json"}, 0, `{"install_url":"https://acme.my.salesforce.com/packaging/installPackage.apexp?p0=04tfj000000GGiLAAW"}`},
		{[]string{"install-url", "--env", "custom"}, 2, "--env custom needs --domain"},
		{[]string{"help"}, 0, "meshmesh alias ORG NEW  rename ORG: NEW is its alias from now on"},
		{[]string{"group", "--help"}, 0, "Usage: meshmesh group ORG (NAME | --none)"},
		{[]string{"help", "group"}, 0, "Usage: meshmesh group ORG (NAME | --none)\n\nput ORG in group NAME, or in none (--none).\n\nPuts ORG in your group NAME"},
		{[]string{"help", "--json", "alias"}, 0, `{"usage":"Usage: meshmesh alias ORG NEW\n`},
		{[]string{"help", "frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"alias", "x"}, 2, "meshmesh: meshmesh alias takes two arguments, ORG and NEW\nUsage: meshmesh alias ORG NEW\n"},
		{[]string{"pin"}, 2, "meshmesh pin takes one ORG"},
		{[]string{"list", "--env", "moon", "--json"}, 2, `{"error":{"code":"usage","title":"--env \"moon\" is not a kind of org","advice":"Use --env production, sandbox or developer`},
		{[]string{"open", "x", "--path", "x", "--json"}, 2, `{"error":{"code":"path_invalid","title":"Not a page of the org: \"x\""`},
		{[]string{"open", "x", "--setup", "--path", "/x"}, 2, "--path and --setup do not go together"},
	} {
		var stdout, stderr bytes.Buffer
		env := map[string]string{"MESHMESH_HOME": t.TempDir(), "MESHMESH_LOG": t.TempDir() + "/log"}
		c := &cli{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return env[k] }}
		got := c.run(context.Background(), tt.args)
		if out := stdout.String() + stderr.String(); got != tt.status || !strings.Contains(out, tt.out) {
			t.Errorf("run(%q) = %d, %q; want %d and %q", tt.args, got, out, tt.status, tt.out)
		}
		if strings.HasPrefix(tt.out, "{") && !json.Valid(stdout.Bytes()) {
			t.Errorf("run(%q): stdout is not one JSON value: %q", tt.args, stdout.String())
		}
	}
}

// TestCommandsReadOnlyWhatTheyNeed: a command fails on no configuration
// it does not use. Without a home folder there is no default index
// folder (and no default log).
func TestCommandsReadOnlyWhatTheyNeed(t *testing.T) {
	for _, k := range []string{"HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "AppData", "LocalAppData"} {
		t.Setenv(k, "")
	}
	for _, tt := range []struct {
		name   string
		env    map[string]string
		args   []string
		status int
		out    string
	}{
		{"version without a home", nil, []string{"version"}, 0, "meshmesh dev"},
		{"version, MESHMESH_TOKEN_MAX_AGE broken", map[string]string{"MESHMESH_TOKEN_MAX_AGE": "soon"}, []string{"version", "--json"}, 0, `{"version":"dev"}`},
		{"version, MESHMESH_PRODUCTION_URL broken", map[string]string{"MESHMESH_PRODUCTION_URL": "ftp://login.example.com"}, []string{"version"}, 0, "meshmesh dev"},
		{"install-url without a home, MESHMESH_TOKEN_MAX_AGE broken", map[string]string{"MESHMESH_TOKEN_MAX_AGE": "soon", "MESHMESH_PRODUCTION_URL": "https://login.example.com"},
			[]string{"install-url"}, 0, "https://login.example.com/packaging/installPackage.apexp?p0=" + oauth.PackageID},
		{"install-url, MESHMESH_PRODUCTION_URL broken", map[string]string{"MESHMESH_PRODUCTION_URL": "ftp://login.example.com"}, []string{"install-url"}, 2, "MESHMESH_PRODUCTION_URL"},
		{"list without a home", nil, []string{"list"}, 2, "set MESHMESH_HOME"},
		{"list, MESHMESH_TOKEN_MAX_AGE broken", map[string]string{"MESHMESH_HOME": t.TempDir(), "MESHMESH_TOKEN_MAX_AGE": "soon"}, []string{"list"}, 2, "MESHMESH_TOKEN_MAX_AGE"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			c := &cli{stdin: strings.NewReader(""), stdout: &out, stderr: &out, getenv: func(k string) string { return tt.env[k] }}
			if got := c.run(context.Background(), tt.args); got != tt.status || !strings.Contains(out.String(), tt.out) {
				t.Errorf("run(%q) = %d, %q; want %d and %q", tt.args, got, out.String(), tt.status, tt.out)
			}
		})
	}
}

// TestHasFlag: hasFlag reads --json as package flag does.
func TestHasFlag(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want bool
	}{
		{nil, false},
		{[]string{"--json"}, true},
		{[]string{"-json"}, true},
		{[]string{"acme", "--json"}, true},
		{[]string{"--json=1"}, true},
		{[]string{"--json=t"}, true},
		{[]string{"-json=TRUE"}, true},
		{[]string{"--json=true"}, true},
		{[]string{"--json=0"}, false},
		{[]string{"--json=false"}, false},
		{[]string{"--json=maybe"}, false},
		{[]string{"--json", "--json=F"}, false}, // the last one counts
		{[]string{"--json=f", "-json"}, true},
		{[]string{"--", "--json"}, false},
		{[]string{"acme", "--", "--json"}, false},
		{[]string{"--jsonx"}, false},
		{[]string{"---json"}, false},
		{[]string{"json"}, false},
	} {
		if got := hasFlag(tt.args, "json"); got != tt.want {
			t.Errorf("hasFlag(%q) = %v, want %v", tt.args, got, tt.want)
		}
		// Where package flag takes the arguments, it agrees.
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		j := fs.Bool("json", false, "")
		if _, err := parseInterspersed(fs, tt.args); err == nil && *j != tt.want {
			t.Errorf("package flag parses %q as --json=%v, want %v", tt.args, *j, tt.want)
		}
	}
}

func TestParseInterspersed(t *testing.T) {
	for _, tt := range []struct {
		args []string
		pos  []string
		json bool
	}{
		{nil, nil, false},
		{[]string{"acme", "--json"}, []string{"acme"}, true},
		{[]string{"--json", "acme", "b"}, []string{"acme", "b"}, true},
		{[]string{"a", "--json", "b"}, []string{"a", "b"}, true},
		{[]string{"--"}, nil, false},
		{[]string{"--", "--json"}, []string{"--json"}, false},
		{[]string{"--json", "--", "acme"}, []string{"acme"}, true},
		{[]string{"acme", "--", "-x", "--json"}, []string{"acme", "-x", "--json"}, false},
		{[]string{"a", "--", "b", "--", "c"}, []string{"a", "b", "--", "c"}, false},
	} {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		j := fs.Bool("json", false, "")
		pos, err := parseInterspersed(fs, tt.args)
		if err != nil || !slices.Equal(pos, tt.pos) || *j != tt.json {
			t.Errorf("parseInterspersed(%q) = %q, %v, --json=%v; want %q, --json=%v", tt.args, pos, err, *j, tt.pos, tt.json)
		}
	}
}

func TestClientSecret(t *testing.T) {
	longest := strings.Repeat("s", maxSecretLen)
	for _, tt := range []struct {
		name, stdin, want string
		usage             string // the usage error, if any
	}{
		{"one line", "s3cret\n", "s3cret", ""},
		{"no newline", "s3cret", "s3cret", ""},
		{"CRLF and blanks", "  s3cret \r\n", "s3cret", ""},
		{"only the first line", "s3cret\nmore\n", "s3cret", ""},
		{"the longest", longest + "\r\n", longest, ""},
		{"one byte too long", longest + "s\n", "", "A consumer secret is at most 4096 bytes"},
		{"far too long", strings.Repeat(longest, 3), "", "A consumer secret is at most 4096 bytes"},
		{"empty", "\n", "", "--client-secret-stdin read an empty secret"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := &cli{stdin: strings.NewReader(tt.stdin), stderr: io.Discard, getenv: func(string) string { return "from-env" }}
			got, err := c.clientSecret(true)
			var ue usageErr
			switch {
			case tt.usage == "" && (err != nil || got != tt.want):
				t.Errorf("clientSecret = %q, %v; want %q", got, err, tt.want)
			case tt.usage != "" && (!errors.As(err, &ue) || !strings.Contains(ue.d.Title+" "+ue.d.Advice, tt.usage) || got != ""):
				t.Errorf("clientSecret = %q, %v; want the usage error %q", got, err, tt.usage)
			}
		})
	}
	c := &cli{stdin: strings.NewReader("from-stdin\n"), getenv: func(k string) string { return map[string]string{"MESHMESH_CLIENT_SECRET": "from-env"}[k] }}
	if got, err := c.clientSecret(false); err != nil || got != "from-env" {
		t.Errorf("clientSecret without --client-secret-stdin = %q, %v; want MESHMESH_CLIENT_SECRET", got, err)
	}
}

// TestConnectCommand: the command remove suggests connects the same way.
func TestConnectCommand(t *testing.T) {
	for _, tt := range []struct {
		k    keychain.Connection
		want string
	}{
		{keychain.Connection{Method: oauth.CustomApp, Environment: oauth.Production, ClientID: "3MVG9key", Scopes: oauth.DefaultScopes, Alias: "acme"},
			"meshmesh connect --method custom --env production --client-id 3MVG9key --alias acme"},
		{keychain.Connection{Method: oauth.CustomApp, Environment: oauth.Sandbox, ClientID: "3MVG9key", Scopes: []string{"api", "refresh_token", "web"}},
			`meshmesh connect --method custom --env sandbox --client-id 3MVG9key --scopes 'api refresh_token web'`},
		{keychain.Connection{Method: oauth.MeshMeshApp, Environment: oauth.CustomDomain, LoginURL: "https://acme.my.salesforce.com", ClientID: "3MVG9eca"},
			"meshmesh connect --method meshmesh --env custom --domain https://acme.my.salesforce.com"},
	} {
		if got := tt.k.ConnectCommand(); got != tt.want {
			t.Errorf("ConnectCommand(%+v) =\n%s\nwant\n%s", tt.k, got, tt.want)
		}
	}
}

func TestShortDuration(t *testing.T) {
	for in, want := range map[string]string{"5m0s": "5m", "1h0m0s": "1h", "90s": "1m30s", "2s": "2s"} {
		d, _ := time.ParseDuration(in)
		if got := shortDuration(d); got != want {
			t.Errorf("shortDuration(%s) = %q, want %q", in, got, want)
		}
	}
}

// need skips t when a program it needs is missing (err says why), except
// under MESHMESH_TEST_STRICT=1 (set by .ci/run), where it fails: CI must
// run everything.
func need(t *testing.T, what string, err error) {
	t.Helper()
	if os.Getenv("MESHMESH_TEST_STRICT") == "1" {
		t.Fatalf("this test needs %s: %v (MESHMESH_TEST_STRICT=1: .ci/run must provide it)", what, err)
	}
	t.Skipf("skipped: this test needs %s: %v", what, err)
}

// The help fits an 80-column terminal.
func TestHelpFitsATerminal(t *testing.T) {
	var out bytes.Buffer
	c := &cli{stdout: &out, stderr: &out, getenv: func(string) string { return "" }}
	c.run(context.Background(), []string{"help"})
	for _, line := range strings.Split(out.String(), "\n") {
		if n := utf8.RuneCountInString(line); n > 80 {
			t.Errorf("%d columns: %s", n, line)
		}
	}
}
