package oauth_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/meshmesh/meshmesh/oauth"
)

// A command-line login: begin, show the URL (for a browser that did not
// open), open the browser, wait; explain a failure.
func ExampleEngine_Begin() {
	settings, err := oauth.SettingsFromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	e := &oauth.Engine{Settings: settings}
	ctx := context.Background()
	f, err := e.Begin(ctx, oauth.LoginRequest{
		Method: oauth.CustomApp,
		Target: oauth.Target{Environment: oauth.Sandbox},
		App:    oauth.App{ClientID: "3MVG9…", ClientSecret: os.Getenv("MESHMESH_CLIENT_SECRET")},
	})
	if err == nil {
		fmt.Fprintf(os.Stderr, "Waiting %s for the browser; if it did not open, open:\n%s\n", f.Timeout(), f.URL())
		if err = oauth.OpenURL(ctx, settings.Browser, f.URL()); err == nil {
			var g *oauth.Grant
			if g, err = f.Wait(ctx); err == nil {
				fmt.Println("Connected to", g.Org.OrgName, "as", g.Org.Username)
				return
			}
		}
		f.Close()
	}
	var d *oauth.Diagnosis
	if errors.As(err, &d) {
		fmt.Fprintf(os.Stderr, "%s\n%s\n", d.Title, d.Advice)
	}
}
