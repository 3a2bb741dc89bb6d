package sftest_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meshmesh/meshmesh/oauth/sftest"
)

// TestRunBrowserFromEnv re-executes the test binary as the BROWSER.
func TestRunBrowserFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tls    bool
		detach bool
		deny   bool
	}{
		{name: "plain"},
		{name: "detached TLS", tls: true, detach: true},
		{name: "deny", deny: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var opts []sftest.Option
			if tc.tls {
				opts = append(opts, sftest.WithTLS())
			}
			f := newFixture(t, opts...)
			dir := t.TempDir()
			logPath := filepath.Join(dir, "browser.log")
			// GORACE: a race-built child otherwise sleeps 1 s at exit.
			env := append(os.Environ(), "GORACE=atexit_sleep_ms=0", "SFTEST_BROWSER=1", "SFTEST_USER="+f.admin.Username, "SFTEST_BROWSER_LOG="+logPath)
			if tc.tls {
				ca := filepath.Join(dir, "ca.pem")
				os.WriteFile(ca, f.sf.CertPEM(), 0o600)
				env = append(env, "SFTEST_CA="+ca)
			}
			if tc.detach {
				env = append(env, "SFTEST_BROWSER_DETACH=1")
			}
			if tc.deny {
				env = append(env, "SFTEST_DENY=1")
			}
			_, challenge := pkce()
			cmd := exec.Command(os.Args[0], authorizeURL(f.sf.Production, f.app, f.lb.URL, map[string][]string{"code_challenge": {challenge}}))
			cmd.Env = env
			start := time.Now()
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("browser: %v\n%s", err, out)
			}
			var cb map[string][]string
			select {
			case cb = <-f.lb.got:
			case <-time.After(10 * time.Second):
				t.Fatal("no callback")
			}
			if tc.deny {
				if strings.Join(cb["error"], "") != "access_denied" {
					t.Errorf("callback %v", cb)
				}
			} else if len(cb["code"]) != 1 {
				t.Errorf("callback %v", cb)
			}
			// The log line comes after the callback's 303 is followed.
			var line map[string]any
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				if b, err := os.ReadFile(logPath); err == nil && strings.HasSuffix(string(b), "\n") {
					if err := json.Unmarshal(b, &line); err != nil {
						t.Fatalf("log %q: %v", b, err)
					}
					break
				}
			}
			wantEnd := "/OauthSuccess"
			if tc.deny {
				wantEnd = "/OauthError"
			}
			if u, _ := line["url"].(string); !strings.HasSuffix(u, wantEnd) || line["status"] != float64(200) || line["error"] != nil {
				t.Errorf("log line %v", line)
			}
			t.Logf("browser process took %v", time.Since(start))
		})
	}
}
