package oauth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"time"
)

// browserGrace is how long OpenURL waits for a browser command to fail
// before it takes it as started: a browser may run until it is closed.
const browserGrace = 3 * time.Second

// OpenURL opens rawURL in the user's browser: with the BROWSER-style
// command browser when it is set (a colon-separated list of commands tried
// in order; %s stands for the URL, else the URL is the last argument),
// otherwise with the operating system's default. The URL is passed as an
// argument, so it must carry no secret.
func OpenURL(ctx context.Context, browser, rawURL string) error {
	var cmds [][]string
	for _, c := range strings.Split(browser, string(listSeparator())) {
		f := strings.Fields(c)
		if len(f) == 0 {
			continue
		}
		subst := false
		for i := range f {
			if strings.Contains(f[i], "%s") {
				f[i] = strings.ReplaceAll(f[i], "%s", rawURL)
				subst = true
			}
		}
		if !subst {
			f = append(f, rawURL)
		}
		cmds = append(cmds, f)
	}
	if len(cmds) == 0 {
		cmds = [][]string{defaultOpener(rawURL)}
	}
	var errs []error
	for _, c := range cmds {
		err := start(ctx, c)
		if err == nil {
			return nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", c[0], err))
	}
	d := newDiagnosis(BrowserFailed, Situation{Step: StepSetup})
	d.Err = errors.Join(errs...)
	return d
}

// start runs argv and waits up to browserGrace for it to fail.
func start(ctx context.Context, argv []string) error {
	cmd := exec.Command(argv[0], argv[1:]...)
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(browserGrace):
		return nil // still running: a browser window
	case <-ctx.Done():
		return nil
	}
}

func listSeparator() rune {
	if runtime.GOOS == "windows" {
		return ';'
	}
	return ':'
}

func defaultOpener(rawURL string) []string {
	switch runtime.GOOS {
	case "darwin":
		return []string{"open", rawURL}
	case "windows":
		return []string{"rundll32", "url.dll,FileProtocolHandler", rawURL}
	}
	return []string{"xdg-open", rawURL}
}

// SecretURLTimeout is how long OpenSecretURL waits for the browser to
// fetch the URL: about the life of a frontdoor URL.
const SecretURLTimeout = time.Minute

// OpenSecretURL opens secretURL, a URL that carries a one-time secret
// (a frontdoor URL), without putting it in a process argument where other
// users of the machine could read it: the browser is given a one-shot
// loopback address with a random path that redirects to secretURL once,
// then stops. It returns once the browser has been sent the redirect, or
// fails after SecretURLTimeout.
func OpenSecretURL(ctx context.Context, browser, secretURL string) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("oauth: loopback redirect: %w", err)
	}
	path := "/" + rand.Text()
	fetched := make(chan struct{})
	var once sync.Once
	srv := &http.Server{
		ReadHeaderTimeout: 5 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			used := true
			if r.URL.Path == path {
				once.Do(func() { used = false })
			}
			if used {
				http.NotFound(w, r)
				return
			}
			// A redirect without a body, complete once flushed: on the
			// wire before OpenSecretURL returns and closes the server.
			h := w.Header()
			h.Set("Location", secretURL)
			h.Set("Cache-Control", "no-store")
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("Content-Length", "0")
			w.WriteHeader(http.StatusFound)
			_ = http.NewResponseController(w).Flush()
			close(fetched)
		}),
	}
	go srv.Serve(ln)
	// Close, not Shutdown: a browser's idle speculative connection would
	// hold Shutdown for its whole grace.
	defer srv.Close()

	if err := OpenURL(ctx, browser, "http://"+ln.Addr().String()+path); err != nil {
		return err
	}
	select {
	case <-fetched:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(SecretURLTimeout):
		d := newDiagnosis(BrowserFailed, Situation{Step: StepSetup})
		d.Title = "The browser did not open the page"
		d.Advice = fmt.Sprintf("The browser was started but did not open the page within %s. Check that a browser window opened on this computer, or set BROWSER to the command that opens a URL.", SecretURLTimeout)
		d.Err = fmt.Errorf("the browser did not open the page within %s", SecretURLTimeout)
		return d
	}
}
