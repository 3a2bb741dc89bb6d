//go:build windows || darwin

package notify

import (
	"context"

	"github.com/gen2brain/beeep"
)

// platform is the beeep side of a Notifier.
type platform struct {
	icon any           // the PNG as beeep takes it: []byte, or "" for none
	busy chan struct{} // holds a token while beeep shows a notification
}

func (n *Notifier) initPlatform(opts Options) {
	if opts.AppName != "" {
		beeep.AppName = opts.AppName
	}
	n.sys.icon = ""
	if len(opts.Icon) > 0 {
		n.sys.icon = opts.Icon
	}
	n.sys.busy = make(chan struct{}, 1)
}

// send shows msg through beeep, without its actions, one at a time. beeep
// takes no context: when ctx ends first, send returns and the call goes on
// in the background, holding back the next ones until it returns.
func (n *Notifier) send(ctx context.Context, msg Notification) error {
	select {
	case n.sys.busy <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	done := make(chan error, 1)
	go func() {
		defer func() { <-n.sys.busy }()
		done <- beeep.Notify(msg.Title, msg.Body, n.sys.icon)
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (n *Notifier) closePlatform() error { return nil }
