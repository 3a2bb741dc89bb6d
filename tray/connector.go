package tray

import (
	"crypto/rand"
	"sync"

	"github.com/meshmesh/meshmesh/keychain"
	"github.com/meshmesh/meshmesh/oauth"
	"github.com/meshmesh/meshmesh/tray/page"
)

// connector runs the Connections page's sign-ins through the tray's event
// loop, so that the page and the menu share the one callback port.
type connector app

// attempts are the sign-ins started from the page, by id.
type attempts struct {
	mu sync.Mutex
	m  map[string]*attempt
}

// attempt is one sign-in of the page: where it stands.
type attempt struct {
	progress page.Progress
}

func (x *attempts) set(id string, p page.Progress) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if at := x.m[id]; at != nil && !at.progress.Done {
		at.progress = p
	}
}

// maxAttempts bounds what the page remembers.
const maxAttempts = 32

// Connect starts req in the event loop and returns its attempt id, or a
// diagnosis when another sign-in holds the callback port.
func (c *connector) Connect(req page.Request) (string, error) {
	a := (*app)(c)
	id := rand.Text()
	a.attempts.mu.Lock()
	if len(a.attempts.m) >= maxAttempts {
		for k, at := range a.attempts.m {
			if at.progress.Done {
				delete(a.attempts.m, k)
			}
		}
	}
	a.attempts.m[id] = &attempt{progress: page.Progress{Step: "Starting…"}}
	a.attempts.mu.Unlock()

	ev := pageConnect{id: id, req: signInRequest{
		login: oauth.LoginRequest{
			Method: req.Method,
			Target: req.Target,
			App:    oauth.App{ClientID: req.ClientID, ClientSecret: req.ClientSecret, Scopes: req.Scopes},
		},
		add:      keychain.AddOptions{Alias: req.Alias, ClientSecret: req.ClientSecret, Scopes: req.Scopes},
		fromPage: true,
	}, started: make(chan error, 1)}
	select {
	case a.events <- ev:
	case <-a.ctx.Done():
		return "", a.ctx.Err()
	}
	select {
	case err := <-ev.started:
		if err != nil {
			a.attempts.mu.Lock()
			delete(a.attempts.m, id)
			a.attempts.mu.Unlock()
			return "", err
		}
		return id, nil
	case <-a.ctx.Done():
		return "", a.ctx.Err()
	}
}

// Progress reports attempt id.
func (c *connector) Progress(id string) (page.Progress, bool) {
	a := (*app)(c)
	a.attempts.mu.Lock()
	defer a.attempts.mu.Unlock()
	at, ok := a.attempts.m[id]
	if !ok {
		return page.Progress{}, false
	}
	return at.progress, true
}

// Cancel cancels attempt id, if it is the sign-in in progress.
func (c *connector) Cancel(id string) {
	a := (*app)(c)
	select {
	case a.events <- pageCancel{id: id}:
	case <-a.ctx.Done():
	}
}

// pageConnect is a sign-in asked for on the page.
type pageConnect struct {
	id      string
	req     signInRequest
	started chan error
}

func (e pageConnect) apply(a *app) {
	if a.st.signIn != nil {
		e.started <- signInBusy(a.st.signIn.what)
		return
	}
	a.startSignIn(e.req, func(p page.Progress) { a.attempts.set(e.id, p) })
	a.st.signIn.attempt = e.id
	e.started <- nil
}

// pageCancel cancels a page's sign-in.
type pageCancel struct{ id string }

func (e pageCancel) apply(a *app) {
	if a.st.signIn != nil && a.st.signIn.attempt == e.id {
		a.st.signIn.cancel()
	}
}
