// This file holds the commands shared with the Salesforce CLI: import-sf
// and export-sf.

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"

	"github.com/meshmesh/meshmesh/keychain"
	"github.com/meshmesh/meshmesh/oauth"
	"github.com/meshmesh/meshmesh/oauth/sfcli"
	"golang.org/x/term"
)

// importReport is what import-sf did, for --json.
type importReport struct {
	Imported []keychain.Connection `json:"imported"` // new connections
	Updated  []keychain.Connection `json:"updated"`  // connections that were there, with sf's token now
	Kept     []keychain.Connection `json:"kept"`     // MeshMesh's own connections of the same users, with another app: left as they were
	Failed   []importFailure       `json:"failed"`
}

type importFailure struct {
	Username string      `json:"username"`
	Alias    string      `json:"alias,omitempty"` // sf's
	Error    errorObject `json:"error"`
}

func (c *cli) importSFCmd(fs *flag.FlagSet) func(context.Context, []string) error {
	return func(ctx context.Context, refs []string) error {
		// The index must be usable before sf is asked for anything.
		if _, err := c.store.List(ctx); err != nil {
			return err
		}
		if !c.json {
			c.say("Reading the orgs of the Salesforce CLI (sf)…")
		}
		res, err := c.engine.ImportSF(ctx, refs...)
		if err != nil {
			return err
		}
		rep := importReport{Imported: []keychain.Connection{}, Updated: []keychain.Connection{}, Kept: []keychain.Connection{}, Failed: []importFailure{}}
		for _, im := range res {
			conn, outcome, err := c.store.AddFromSF(ctx, im)
			switch {
			case errors.Is(err, context.Canceled):
				return err
			case err != nil:
				d := oauth.Diagnose(err, oauth.Situation{Method: oauth.QuickConnect})
				rep.Failed = append(rep.Failed, importFailure{Username: im.Org.Username, Alias: im.Org.Alias, Error: errorObject{
					Code: string(d.Code), Title: d.Title, Advice: d.Advice,
					SalesforceError: d.SalesforceError, SalesforceDescription: d.SalesforceDescription, Fixes: d.Fixes,
				}})
				if !c.json {
					c.say("Not imported: %s: %s. %s", im.Org, d.Title, d.Advice)
				}
			case outcome == keychain.SFKept:
				rep.Kept = append(rep.Kept, conn)
				if !c.json {
					c.say("Kept %s (%s): MeshMesh connects it with its own %s; to take sf's instead, meshmesh remove %s, then import it again.", conn.Name(), conn.Username, conn.Method, conn.Name())
				}
			case outcome == keychain.SFUpdated:
				rep.Updated = append(rep.Updated, conn)
				if !c.json {
					fmt.Fprintf(c.stdout, "Updated %s (%s, %s) with the Salesforce CLI's token.\n", conn.Name(), conn.Username, conn.OrgName)
				}
			default:
				rep.Imported = append(rep.Imported, conn)
				if !c.json {
					fmt.Fprintf(c.stdout, "Imported %s (%s, %s).\n", conn.Name(), conn.Username, conn.OrgName)
				}
			}
		}
		if c.json {
			c.printJSON(rep)
		} else if len(res) == 0 {
			c.say("The Salesforce CLI holds no org. Sign one in with: meshmesh connect --method quick (or sf org login web).")
		}
		if len(rep.Failed) > 0 {
			return errReported
		}
		return nil
	}
}

func (c *cli) exportSFCmd(fs *flag.FlagSet) func(context.Context, []string) error {
	return func(ctx context.Context, args []string) error {
		// Marked shared with sf (never revoked by MeshMesh) once printed.
		_, err := c.store.ShareWithSF(ctx, args[0], func(conn keychain.Connection, cred keychain.Credentials) error {
			u, err := url.Parse(conn.InstanceURL)
			switch {
			case err != nil || u.Host == "":
				return fmt.Errorf("the instance URL of %s, %q, is not a URL: reconnect it (meshmesh reconnect %s)", conn.Name(), conn.InstanceURL, conn.Name())
			case conn.Status == keychain.NeedsReconnect:
				return &oauth.Diagnosis{Code: oauth.RefreshTokenExpired, Title: conn.Name() + " needs reconnect",
					Advice: fmt.Sprintf("Salesforce no longer accepts %s's token, so sf could not use it either. Run meshmesh reconnect %s, then export it.", conn.Name(), conn.Name()),
					Fixes:  []oauth.Fix{{Kind: oauth.FixReconnect, Label: "Reconnect"}}}
			case u.Scheme != "https":
				return &oauth.Diagnosis{Code: codeSFNeedsHTTPS, Title: "The Salesforce CLI reaches orgs only over https",
					Advice: fmt.Sprintf("%s is at %s: sf org login sfdx-url would call https://%s and fail, so nothing was printed. Real Salesforce orgs are https; a fake Salesforce must be served over TLS.", conn.Name(), conn.InstanceURL, u.Host)}
			}
			authURL, err := sfcli.AuthURL{ClientID: conn.ClientID, ClientSecret: cred.ClientSecret, RefreshToken: cred.RefreshToken, Host: u.Host}.Encode()
			if err != nil {
				return err
			}
			c.log.Info("export-sf", "alias", conn.Alias, "username", conn.Username)
			if c.stdoutIsTerminal() {
				c.say("Warning: this line carries %s's refresh token: whoever has it can use the org as %s. Do not paste it anywhere; pipe it instead:", conn.Name(), conn.Username)
				c.say("  meshmesh export-sf %s | sf org login sfdx-url --alias %s --sfdx-url-stdin", conn.Name(), conn.Name())
			}
			if c.json {
				c.printJSON(map[string]string{"sfdxAuthUrl": authURL})
			} else {
				fmt.Fprintln(c.stdout, authURL)
			}
			return nil
		})
		return err
	}
}

// stdoutIsTerminal reports whether stdout is a terminal, where a secret
// printed stays on screen and in the scrollback.
func (c *cli) stdoutIsTerminal() bool {
	f, ok := c.stdout.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
