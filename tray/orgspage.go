package tray

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/meshmesh/meshmesh/keychain"
	"github.com/meshmesh/meshmesh/oauth"
	"github.com/meshmesh/meshmesh/tray/page"
)

// The Orgs view of the Connections page reads the tray's state and runs
// its actions through the event loop, as the menu does (package page's
// Orgs, implemented by the connector).

// orgsTimeout bounds what the page waits for: the loop, a change of the
// index.
const orgsTimeout = 30 * time.Second

// OrgsView returns the Orgs view of the state as the loop has it.
func (c *connector) OrgsView(ctx context.Context) (page.OrgsView, error) {
	a := (*app)(c)
	reply := make(chan page.OrgsView, 1)
	if err := a.ask(ctx, orgsAsked{reply}); err != nil {
		return page.OrgsView{}, err
	}
	select {
	case v := <-reply:
		return v, nil
	case <-ctx.Done():
		return page.OrgsView{}, ctx.Err()
	case <-a.ctx.Done():
		return page.OrgsView{}, errQuitting
	}
}

// OrgAction runs act: a change of the index here (the store is safe to use
// from any goroutine), then the loop reads it again; the rest in the loop.
func (c *connector) OrgAction(ctx context.Context, act page.OrgAction) error {
	a := (*app)(c)
	ctx, cancel := context.WithTimeout(ctx, orgsTimeout)
	defer cancel()
	st := a.opts.Store
	var err error
	switch act.Kind {
	case page.OrgOpen:
		if act.Path != "" {
			if _, err := oauth.CheckPath(act.Path); err != nil {
				return err
			}
			return a.ask(ctx, orgDo{action{kind: actLink, ref: act.Username, path: act.Path}})
		}
		return a.ask(ctx, orgDo{action{kind: actOpen, ref: act.Username}})
	case page.OrgReconnect:
		return a.ask(ctx, orgDo{action{kind: actReconnect, ref: act.Username}})
	case page.OrgRemove:
		return a.ask(ctx, orgDo{action{kind: actRemove, ref: act.Username}})
	case page.OrgReconnectAll:
		return a.ask(ctx, orgDo{action{kind: actReconnectAll}})
	case page.OrgPin, page.OrgUnpin:
		_, err = st.SetFavourite(ctx, act.Username, act.Kind == page.OrgPin)
	case page.OrgAlias:
		_, err = st.Rename(ctx, act.Username, act.Value)
	case page.OrgGroup:
		_, err = st.SetGroup(ctx, act.Username, act.Value)
	case page.OrgAddLink:
		_, err = st.AddLink(ctx, oauth.Link{Name: act.Value, Path: act.Path})
	case page.OrgRemoveLink:
		err = st.RemoveLink(ctx, act.Path)
	default:
		return fmt.Errorf("tray: unknown action %q of the Orgs page", act.Kind)
	}
	if err != nil {
		return err
	}
	// Shown in the menu, and in the view the page asks for next.
	done := make(chan struct{})
	if err := a.ask(ctx, reloaded{done}); err != nil {
		return err
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-a.ctx.Done():
		return errQuitting
	}
}

var errQuitting = errors.New("MeshMesh is quitting")

// ask hands ev to the loop, waiting at most as long as ctx.
func (a *app) ask(ctx context.Context, ev event) error {
	select {
	case a.events <- ev:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-a.ctx.Done():
		return errQuitting
	}
}

// orgDo runs an action of the Orgs page as the menu's.
type orgDo struct{ act action }

func (e orgDo) apply(a *app) { a.do(e.act) }

// reloaded reads the index again, then closes done.
type reloaded struct{ done chan struct{} }

func (e reloaded) apply(a *app) {
	a.reload()
	close(e.done)
}

// orgsAsked asks the loop for the Orgs view.
type orgsAsked struct{ reply chan<- page.OrgsView }

func (e orgsAsked) apply(a *app) { e.reply <- a.st.orgsView(a.viewVersion()) }

// viewVersion changes whenever what the Orgs view shows does: a counter,
// moved on when what the view depends on is not as it was when last asked.
func (a *app) viewVersion() uint64 {
	now := viewKey{conns: a.version, checking: len(a.st.checking), queued: len(a.st.queue)}
	if a.st.signIn != nil {
		now.signIn = a.st.signIn.id
	}
	if now != a.lastView {
		a.lastView = now
		a.viewSeq++
	}
	return a.viewSeq
}

// viewKey is what the Orgs view depends on, beyond a.version.
type viewKey struct {
	conns            uint64 // a.version: the connections, their statuses
	checking, queued int
	signIn           string
}

// orgsView is the state as the Orgs view shows it.
func (s *state) orgsView(version uint64) page.OrgsView {
	v := page.OrgsView{Version: version, Links: s.links, Groups: keychain.Groups(s.conns), Queued: len(s.queue)}
	if s.signIn != nil {
		v.SignIn = s.signIn.what
	}
	for _, c := range s.conns {
		o := page.Org{
			Username: c.Username, Alias: c.Alias, OrgName: c.OrgName, OrgID: c.OrgID, InstanceURL: c.InstanceURL,
			Category: string(c.Category()), Environment: string(c.Environment), Group: c.Group, Favourite: c.Favourite,
			LastUsed: c.LastUsed, State: string(c.Status),
		}
		switch {
		case s.checking[c.Username]:
			o.State, o.StateText = "checking", "Checking…"
		case c.Status == keychain.NeedsReconnect:
			o.StateText = "Needs reconnect"
			if d := s.diagnoses[c.Username]; d != nil {
				o.StateText += ": " + d.Title
			}
		case s.unchecked[c.Username] != nil:
			o.State, o.StateText = string(keychain.Unknown), "Not checked: "+s.unchecked[c.Username].Title
		case c.Status == keychain.Unknown:
			o.StateText = "Not checked: Salesforce unreachable"
		default:
			o.StateText = "Connected"
		}
		v.Orgs = append(v.Orgs, o)
	}
	return v
}
