package oauth_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/meshmesh/meshmesh/oauth"
	"github.com/meshmesh/meshmesh/oauth/sfcli/sfclitest"
)

// sfTimes is a slog handler that adds up the time of each sf command, as
// package sfcli logs it ("sf: done", command, took).
type sfTimes struct {
	mu   sync.Mutex
	took map[string]time.Duration
}

func (h *sfTimes) Enabled(context.Context, slog.Level) bool { return true }
func (h *sfTimes) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *sfTimes) WithGroup(string) slog.Handler            { return h }
func (h *sfTimes) Handle(_ context.Context, r slog.Record) error {
	var cmd string
	var took time.Duration
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "command":
			cmd = a.Value.String()
		case "took":
			took = a.Value.Duration()
		}
		return true
	})
	if cmd != "" {
		h.mu.Lock()
		h.took[cmd] += took
		h.mu.Unlock()
	}
	return nil
}

// BenchmarkQuickConnect measures a whole Quick Connect with the real sf
// against the fake (the scripted browser waits 250 ms before it signs in,
// as sf needs), and reports how much of it each sf command takes: sf
// --version (the check before the sign-in, which is sf starting and
// nothing else), org login web (the browser sign-in) and org auth
// show-sfdx-auth-url (reading the token back).
func BenchmarkQuickConnect(b *testing.B) {
	w := newWorld(b)
	w.withSF(w.admin)
	times := &sfTimes{took: map[string]time.Duration{}}
	w.engine.SF.Log = slog.New(times)
	req := oauth.LoginRequest{Method: oauth.QuickConnect, Target: oauth.Target{Environment: oauth.Production}, Timeout: time.Minute}
	for b.Loop() {
		if _, err := w.engine.QuickConnect(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
	n := float64(b.N)
	for cmd, metric := range map[string]string{
		"--version":                   "sf-version-s/op",
		"org login web":               "sf-login-web-s/op",
		"org auth show-sfdx-auth-url": "sf-auth-url-s/op",
	} {
		b.ReportMetric(times.took[cmd].Seconds()/n, metric)
	}
}

// BenchmarkSFStartup measures what starting sf costs before it does
// anything: --version (no plugin loaded), and org list on a home with no
// org (a command of a plugin, reading sf's files, no network).
func BenchmarkSFStartup(b *testing.B) {
	cli := sfclitest.New(b).CLI()
	ctx := context.Background()
	b.Run("version", func(b *testing.B) {
		for b.Loop() {
			if _, err := cli.Version(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("org-list", func(b *testing.B) {
		for b.Loop() {
			if _, err := cli.List(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
