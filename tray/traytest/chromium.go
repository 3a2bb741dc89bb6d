package traytest

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/meshmesh/meshmesh/keychain/keychaintest"
)

// Chromium starts a headless Chromium with a fresh profile for t, the
// browser a person of the session uses, and returns a chromedp context
// of its first tab (bounded to a minute), made with opts (a listener of
// the tab's events, say). Without Chromium it skips t, or fails it under
// MESHMESH_TEST_STRICT=1.
func Chromium(t testing.TB, opts ...chromedp.ContextOption) context.Context {
	t.Helper()
	var path string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		missing(t, errors.New("this test needs Chromium (apt-get install chromium): none on PATH"))
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox, // tests may run as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.WindowSize(1000, 900),
	)
	t.Cleanup(cancel)
	ctx, cancelTab := chromedp.NewContext(actx, opts...)
	t.Cleanup(cancelTab)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		missing(t, errors.Join(errors.New("this test needs a Chromium that starts headless"), err))
	}
	ctx, cancelRun := context.WithTimeout(ctx, time.Minute)
	t.Cleanup(cancelRun)
	return ctx
}

// missing skips t for err, or fails it under MESHMESH_TEST_STRICT=1.
func missing(t testing.TB, err error) {
	t.Helper()
	if os.Getenv(keychaintest.StrictEnv) == "1" {
		t.Fatalf("%v (%s=1: the machine must provide it)", err, keychaintest.StrictEnv)
	}
	t.Skip(err)
}
