// Command meshmesh connects Salesforce orgs from the menubar / system tray
// and keeps them connected; its command line connects, lists and removes
// orgs and serves tokens to scripts. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	sigs := []os.Signal{os.Interrupt, syscall.SIGTERM}
	if !signal.Ignored(syscall.SIGHUP) { // nohup: the terminal's hang-up is not ours
		sigs = append(sigs, syscall.SIGHUP) // a closed terminal: stop sf, free the port
	}
	ctx, stop := signal.NotifyContext(context.Background(), sigs...)
	go func() {
		<-ctx.Done()
		stop() // the first Ctrl-C cancels cleanly; a second one kills
	}()
	c := &cli{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	status := c.run(ctx, os.Args[1:])
	stop()
	os.Exit(status)
}
