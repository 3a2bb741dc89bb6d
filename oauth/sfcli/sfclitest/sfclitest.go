// Package sfclitest runs the real Salesforce CLI (sf) in tests, against a
// fake Salesforce (package sftest), in a private home folder.
//
// sf is found on PATH, with the node it runs on (sf needs Node.js 22 or
// later). Without them a test skips with a message saying how to install
// them — or fails, when MESHMESH_TEST_STRICT is set (as it is in CI): the
// repository's .ci/install-sf installs both from the npm registry and
// prints the folder to put first on PATH.
package sfclitest

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/meshmesh/meshmesh/oauth/sfcli"
)

// MinNode is the oldest Node.js the sf of these tests runs on (as
// oauth.MinNodeVersion).
const MinNode = "22.19.0"

// Env is a private environment for sf: its own HOME (so ~/.sfdx is the
// test's), node and sf from PATH, sf's updates, telemetry and OS keychain
// off (its key in a file under HOME, not in the Secret Service).
type Env struct {
	Path string   // the sf executable
	Home string   // sf's HOME
	Env  []string // the environment to run sf (or a program that runs sf) with
}

// New returns a private sf environment, or skips the test (fails it under
// MESHMESH_TEST_STRICT=1) when sf or a recent enough node is not on PATH.
// extra variables (KEY=VALUE) are added to the environment.
func New(t testing.TB, extra ...string) *Env {
	t.Helper()
	path, err := exec.LookPath("sf")
	if err != nil {
		unavailable(t, "the Salesforce CLI (sf) is not on PATH")
	}
	home := t.TempDir()
	e := &Env{Path: path, Home: home}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", "BROWSER", "DISPLAY", "WAYLAND_DISPLAY":
			continue // sf's files go under the test's HOME; no desktop browser
		}
		if strings.HasPrefix(k, "SF_") || strings.HasPrefix(k, "SFDX_") {
			continue
		}
		e.Env = append(e.Env, kv)
	}
	e.Env = append(e.Env,
		"HOME="+home,
		"SF_USE_GENERIC_UNIX_KEYCHAIN=true",
		"SF_DISABLE_TELEMETRY=true",
		"SF_AUTOUPDATE_DISABLE=true",
		"SF_DISABLE_AUTOUPDATE=true",
		"SF_SKIP_NEW_VERSION_CHECK=true",
		// sf listens only once its BROWSER command has exited: a browser
		// built with -race must not sleep its second at exit.
		"GORACE=atexit_sleep_ms=0",
	)
	e.Env = append(e.Env, extra...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	v, err := e.CLI().Version(ctx)
	if err != nil {
		unavailable(t, "sf does not run: "+err.Error())
	}
	if v.NodeBelow(MinNode) {
		unavailable(t, "sf runs on Node.js "+v.Node+"; it needs "+MinNode+" or later first on PATH")
	}
	return e
}

// Browser is a BROWSER command for sf that signs user in to the fake:
// this test binary (whose TestMain must call sftest.RunBrowserFromEnv),
// returning at once and signing in in the background, as sf needs (it
// listens only once its browser command has exited). vars are more
// settings of the browser or the binary (SFTEST_DENY=1, say).
func Browser(user string, vars ...string) string {
	return strings.Join(append(append([]string{"env", "SFTEST_BROWSER=1", "SFTEST_BROWSER_DETACH=1", "SFTEST_USER=" + user}, vars...), os.Args[0]), " ")
}

// Login signs an org in to sf itself (sf org login web), as a user does
// before importing it, or fails the test.
func (e *Env) Login(t testing.TB, req sfcli.LoginRequest) sfcli.Org {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	org, err := e.CLI().LoginWeb(ctx, req)
	if err != nil {
		t.Fatalf("sf org login web %s: %v", req.InstanceURL, err)
	}
	return org
}

// CLI returns an sfcli.CLI that runs sf in e.
func (e *Env) CLI() *sfcli.CLI {
	return &sfcli.CLI{Path: e.Path, Env: e.Env}
}

// Run runs sf with args in e, with stdin, and returns what it printed on
// stdout. It fails the test if sf fails.
func (e *Env) Run(t testing.TB, stdin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.Path, args...)
	cmd.Env = e.Env
	cmd.Dir = e.Home
	// stdin from a file, not a pipe: sf gives its standard input 10 ms to
	// be readable (--sfdx-url-stdin), which a pipe fed by a goroutine of a
	// loaded machine can miss.
	in, err := os.CreateTemp(t.TempDir(), "stdin")
	if err == nil {
		_, err = in.WriteString(stdin)
	}
	if err == nil {
		_, err = in.Seek(0, 0)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	cmd.Stdin = in
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sf %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

// unavailable skips the test, or fails it under MESHMESH_TEST_STRICT=1,
// as keychaintest.Require does.
func unavailable(t testing.TB, why string) {
	t.Helper()
	msg := "sfclitest: " + why + ". Install sf and Node.js 22 from the npm registry with: export PATH=\"$(bash .ci/install-sf):$PATH\""
	if os.Getenv("MESHMESH_TEST_STRICT") == "1" {
		t.Fatalf("%s (MESHMESH_TEST_STRICT=1: the machine must provide it)", msg)
	}
	t.Skip(msg)
}
