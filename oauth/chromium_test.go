package oauth_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/meshmesh/meshmesh/oauth"
	"github.com/meshmesh/meshmesh/oauth/sftest"
)

// chromium starts a headless Chromium for t and returns a browser context.
// MESHMESH_SCREENSHOTS names a folder to keep screenshots in.
func chromium(t *testing.T) context.Context {
	t.Helper()
	var path string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		need(t, "Chromium (apt-get install chromium)", errors.New("no chromium on PATH"))
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		// This machine has no network: no background calls home.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.WindowSize(900, 700),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	// The first action starts the browser, which lives as long as its
	// context: no time limit on that one.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		need(t, "a Chromium that starts headless", err)
	}
	ctx, cancel3 := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancel3)
	return ctx
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("MESHMESH_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100: PNG
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Log(err)
	}
}

// A person's login in a real browser: Salesforce's login and Allow Access
// pages, the redirect to http://localhost:<port>/OauthRedirect (which the
// browser resolves itself), and our success or error page.
func TestLoginInChromium(t *testing.T) {
	for _, tt := range []struct {
		name, button, heading string
		wantErr               oauth.Code
	}{
		{"allow", "oaapprove", "Connected to Acme Corp", ""},
		{"deny", "oadeny", "Access denied", oauth.AccessDenied},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			ctx := chromium(t)
			f, err := w.engine.Begin(context.Background(), w.custom(oauth.Production))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			err = chromedp.Do(ctx,
				chromedp.Navigate(f.URL()),
				chromedp.WaitVisible(chromedp.ID("username")),
				chromedp.SendKeys(chromedp.ID("username"), w.admin.Username),
				chromedp.SendKeys(chromedp.ID("password"), sftest.DefaultPassword),
				chromedp.Click(chromedp.ID("Login")),
				chromedp.WaitVisible(chromedp.ID(tt.button)),
				chromedp.Click(chromedp.ID(tt.button)),
				chromedp.WaitVisible(chromedp.CSS("main h1")),
			)
			if err != nil {
				t.Fatal(err)
			}
			heading, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main h1")))
			if err != nil {
				t.Fatal(err)
			}
			body, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
			if err != nil {
				t.Fatal(err)
			}
			screenshot(t, ctx, "callback-"+tt.name+".png")
			if heading != tt.heading {
				t.Errorf("page heading %q, want %q (page: %s)", heading, tt.heading, body)
			}
			g, err := f.Wait(context.Background())
			if tt.wantErr != "" {
				d := wantDiagnosis(t, err, tt.wantErr)
				if !strings.Contains(body, d.Advice) {
					t.Errorf("the page does not show the advice %q: %s", d.Advice, body)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if g.Org.Username != w.admin.Username || !strings.Contains(body, w.admin.Username) {
				t.Errorf("grant for %s; page: %s", g.Org.Username, body)
			}
		})
	}
}
