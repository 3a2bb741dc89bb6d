// Command sftest runs the fake Salesforce of package sftest on loopback
// with a ready-made world, so a person can try MeshMesh without a
// Salesforce org: it prints the environment variables that point MeshMesh
// at it, and the users and apps to sign in with, then serves until
// interrupted.
//
//	sftest [-callback-port 1717] [-env-file FILE]
//	sftest browse [-user USERNAME] [-deny] [-detach] URL
//
// The apps' callback port is -callback-port, by default
// MESHMESH_CALLBACK_PORT when that is set (the port MeshMesh would use),
// else 1717.
//
// "sftest browse" is a scripted browser for machines without one: set
// BROWSER="sftest browse" and it signs in to the fake (as admin@acme.example
// unless -user says otherwise) and allows access. Quick Connect's browser is
// opened by the Salesforce CLI, which listens only once the browser command
// has exited: there, use "sftest browse -detach", which returns at once and
// signs in in the background. See the README's "Try it".
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/meshmesh/meshmesh/oauth/sftest"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "browse" {
		os.Exit(browse(os.Args[2:]))
	}
	defaultPort, err := callbackPort(os.Getenv("MESHMESH_CALLBACK_PORT"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "sftest:", err)
		os.Exit(2)
	}
	port := flag.Int("callback-port", defaultPort, "the MeshMesh callback port the apps are registered with (MESHMESH_CALLBACK_PORT sets the default)")
	envFile := flag.String("env-file", "", "also write the variables to this file (mode 0600), for `. FILE` in another shell")
	flag.Parse()

	sf, err := sftest.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sftest:", err)
		os.Exit(1)
	}
	defer sf.Close()
	prod := sf.AddOrg(sftest.Org{Name: "Acme Corp"})
	uat := sf.AddOrg(sftest.Org{Name: "Acme UAT", Sandbox: true})
	admin := sf.AddUser(sftest.User{Org: prod, Username: "admin@acme.example", Name: "Ada Admin", Admin: true})
	tester := sf.AddUser(sftest.User{Org: uat, Username: "admin@acme.example.uat", Name: "Ada Admin", Admin: true})
	callback := "http://localhost:" + strconv.Itoa(*port) + "/OauthRedirect"
	scopes := []string{"api", "refresh_token", "offline_access", "web"}
	app := sf.AddApp(sftest.App{
		Name: "Acme Integration", Kind: sftest.ConnectedApp, OwnerOrg: prod, CallbackURLs: []string{callback},
		Scopes: scopes, RequireSecret: true, InstalledIn: []*sftest.Org{prod, uat},
	})
	eca := sf.AddApp(sftest.App{
		Name: "MeshMesh Studio", Kind: sftest.PackagedECA, CallbackURLs: []string{callback}, Scopes: scopes,
		InstalledIn: []*sftest.Org{prod}, EnabledIn: []*sftest.Org{prod},
	})
	// Quick Connect: the Salesforce CLI's own app takes 1717 only, as
	// Salesforce's does, unless MeshMesh is told another port for it.
	if p, err := callbackPort(os.Getenv("MESHMESH_SF_CALLBACK_PORT")); err == nil && p != 1717 {
		sf.Change(func() {
			cli := sf.CLIApp()
			cli.CallbackURLs = append(cli.CallbackURLs, "http://localhost:"+strconv.Itoa(p)+"/OauthRedirect")
		})
	}

	vars := [][2]string{
		{"MESHMESH_PRODUCTION_URL", sf.Production.URL},
		{"MESHMESH_SANDBOX_URL", sf.Sandbox.URL},
		{"MESHMESH_CALLBACK_PORT", strconv.Itoa(*port)},
		{"MESHMESH_ECA_CLIENT_ID", eca.ClientID},
		{"SFTEST_CLIENT_ID", app.ClientID},
		{"SFTEST_CLIENT_SECRET", app.ClientSecret},
	}
	var env strings.Builder
	for _, v := range vars {
		fmt.Fprintf(&env, "export %s=%s\n", v[0], v[1])
	}
	if *envFile != "" {
		// Written whole then renamed, so a shell waiting for it never reads half.
		tmp := *envFile + ".tmp"
		err := os.WriteFile(tmp, []byte(env.String()), 0o600)
		if err == nil {
			err = os.Rename(tmp, *envFile)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "sftest:", err)
			os.Exit(1)
		}
		defer os.Remove(*envFile)
	}
	describe(os.Stdout, env.String(), []*sftest.User{admin, tester}, prod, uat)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
}

// callbackPort is the default of -callback-port: raw (the value of
// MESHMESH_CALLBACK_PORT) when it is set, else 1717.
func callbackPort(raw string) (int, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return 1717, nil
	}
	port, err := strconv.Atoi(raw)
	if err != nil || port < 1 || port > 65535 {
		return 0, fmt.Errorf("MESHMESH_CALLBACK_PORT=%q is not a port number from 1 to 65535", raw)
	}
	return port, nil
}

func describe(w io.Writer, env string, users []*sftest.User, orgs ...*sftest.Org) {
	fmt.Fprintf(w, "Fake Salesforce running. Point MeshMesh at it with:\n\n%s\n", env)
	for _, o := range orgs {
		fmt.Fprintf(w, "Org %q (%s): My Domain %s\n", o.Name, map[bool]string{true: "sandbox", false: "production"}[o.Sandbox], o.Host.URL)
	}
	for _, u := range users {
		fmt.Fprintf(w, "User %s, password %s\n", u.Username, sftest.DefaultPassword)
	}
	fmt.Fprintln(w, "\nPress Ctrl-C to stop.")
}

// browse opens a URL with the scripted browser: sign in, allow access,
// follow the redirects back to the program that asked.
func browse(args []string) int {
	fs := flag.NewFlagSet("sftest browse", flag.ContinueOnError)
	user := fs.String("user", "admin@acme.example", "the username to sign in with")
	deny := fs.Bool("deny", false, "press Deny on the Allow Access page")
	detach := fs.Bool("detach", false, "return at once and sign in in the background (for the Salesforce CLI)")
	delay := fs.Duration("delay", 0, "wait this long before opening the URL")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: sftest browse [-user USERNAME] [-deny] [-detach] URL")
		return 2
	}
	if *detach {
		// sf attaches its callback handler only after this command exits:
		// a request before that is dropped unanswered.
		exe, err := os.Executable()
		if err == nil {
			child := exec.Command(exe, "browse", "-user", *user, "-deny="+strconv.FormatBool(*deny), "-delay", "250ms", fs.Arg(0))
			child.Stderr = os.Stderr // what it says still reaches a terminal
			if err = child.Start(); err == nil {
				err = child.Process.Release()
			}
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "sftest browse:", err)
			return 1
		}
		return 0
	}
	time.Sleep(*delay)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	v, err := (&sftest.Browser{Username: *user, Deny: *deny}).Open(ctx, fs.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "sftest browse:", err)
		return 1
	}
	page, _, _ := strings.Cut(v.URL, "?") // the query may hold a code
	fmt.Fprintf(os.Stderr, "sftest browse: %d %s\n", v.Status, page)
	return 0
}
