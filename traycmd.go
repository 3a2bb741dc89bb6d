// This file holds the tray, the demo and start at login.

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/meshmesh/meshmesh/icons"
	"github.com/meshmesh/meshmesh/keychain"
	"github.com/meshmesh/meshmesh/oauth"
	"github.com/meshmesh/meshmesh/tray"
	"github.com/meshmesh/meshmesh/tray/autostart"
	"github.com/meshmesh/meshmesh/tray/demo"
	"github.com/meshmesh/meshmesh/tray/instance"
	"github.com/meshmesh/meshmesh/tray/notify"
)

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
	orgs := fs.Int("orgs", 0, fmt.Sprintf("add N client orgs to the samples (at most %d), to see a tray of many orgs", demo.MaxOrgs))
	return func(ctx context.Context, _ []string) error {
		if *orgs < 0 || *orgs > demo.MaxOrgs {
			return badUsage(fmt.Sprintf("--orgs %d is not a number of orgs from 0 to %d", *orgs, demo.MaxOrgs), "For example: meshmesh demo --orgs 200.")
		}
		dir, err := demoDir()
		if err != nil {
			return err
		}
		c.log, c.logOpen = openLog(c.getenv)
		return c.showTray(ctx, dir, 3*time.Second, func(ctx context.Context) (tray.Options, func(), error) {
			fmt.Fprintln(c.stderr, "Starting the demo: a fake Salesforce on this computer, with sample orgs…")
			if *orgs > 0 {
				fmt.Fprintf(c.stderr, "Adding %d client orgs (they go to your keychain, under the service %s, and are removed at exit)…\n", *orgs, demo.Service)
			}
			w, err := demo.Start(ctx, demo.Options{Dir: dir, CallbackPort: c.engine.Settings.CallbackPort, Browser: c.engine.Settings.Browser, Log: c.log, Orgs: *orgs})
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
