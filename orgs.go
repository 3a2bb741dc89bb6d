// This file holds the commands on connections made: list, token, open,
// remove; and install-url and version.

package main

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/meshmesh/meshmesh/keychain"
	"github.com/meshmesh/meshmesh/oauth"
)

func (c *cli) listCmd(fs *flag.FlagSet) func(context.Context, []string) error {
	return func(ctx context.Context, _ []string) error {
		conns, err := c.store.List(ctx)
		if err != nil {
			return err
		}
		if c.json {
			if conns == nil {
				conns = []keychain.Connection{}
			}
			c.printJSON(map[string]any{"orgs": conns})
			return nil
		}
		if len(conns) == 0 {
			fmt.Fprintln(c.stdout, "No connections yet. Add one with: meshmesh connect (Quick Connect, through the Salesforce CLI), meshmesh import-sf (the orgs sf holds), or meshmesh connect --method custom --client-id KEY")
			return nil
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ALIAS\tUSERNAME\tORG\tENVIRONMENT\tMETHOD\tSTATUS")
		for _, k := range conns {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.Alias, k.Username, k.OrgName, k.Environment, k.Method, k.Status)
		}
		return tw.Flush()
	}
}

func (c *cli) tokenCmd(fs *flag.FlagSet) func(context.Context, []string) error {
	refresh := fs.Bool("refresh", false, "refresh the token even if the cached one is young")
	return func(ctx context.Context, args []string) error {
		tok, err := c.store.Token(ctx, args[0], *refresh)
		if err != nil {
			return err
		}
		if c.json {
			c.printJSON(tok)
		} else {
			fmt.Fprintln(c.stdout, tok.AccessToken)
		}
		return nil
	}
}

func (c *cli) openCmd(fs *flag.FlagSet) func(context.Context, []string) error {
	urlOnly := fs.Bool("url-only", false, "print the single-use URL instead of opening it")
	return func(ctx context.Context, args []string) error {
		var u string
		err := c.store.Use(ctx, args[0], func(ctx context.Context, tok *keychain.Token) (err error) {
			u, err = c.engine.FrontdoorURL(ctx, tok.InstanceURL, tok.AccessToken, "")
			return err
		})
		if err != nil {
			return err
		}
		if *urlOnly {
			if c.json {
				c.printJSON(map[string]string{"url": u})
			} else {
				fmt.Fprintln(c.stdout, u)
			}
			return nil
		}
		if err := oauth.OpenSecretURL(ctx, c.engine.Settings.Browser, u); err != nil {
			return err
		}
		if c.json {
			c.printJSON(map[string]bool{"opened": true})
		}
		return nil
	}
}

func (c *cli) removeCmd(fs *flag.FlagSet) func(context.Context, []string) error {
	return func(ctx context.Context, args []string) error {
		r, err := c.store.Remove(ctx, args[0])
		if err != nil {
			return err
		}
		k := r.Connection
		if c.json {
			out := map[string]any{"removed": k, "revoked": r.Revoked, "shared_with_sf": r.SharedWithSF}
			if r.RevokeErr != nil {
				out["revoke_error"] = r.RevokeErr.Error()
			}
			c.printJSON(out)
		} else {
			fmt.Fprintf(c.stdout, "Removed %s (%s).\n", k.Name(), k.Username)
		}
		switch {
		case r.Revoked:
			c.say("Its token was revoked at Salesforce.")
		case r.SharedWithSF:
			c.say("Its token was left valid: the Salesforce CLI shares it and keeps the org. To end the token, revoke it in Salesforce (Setup → Connected Apps OAuth Usage, or your personal settings → OAuth Connected Apps); sf org logout only forgets it on sf's side.")
		default:
			c.say("Its token could not be revoked at Salesforce (%v): it stays valid until it expires or you revoke it in Salesforce (Setup → Connected Apps OAuth Usage, or your personal settings → OAuth Connected Apps).", r.RevokeErr)
		}
		c.say("To add it back: %s", k.ConnectCommand())
		if k.Method == oauth.CustomApp {
			c.say("(with the app's consumer secret on stdin and --client-secret-stdin, or in MESHMESH_CLIENT_SECRET)")
		}
		return nil
	}
}

func (c *cli) installURLCmd(fs *flag.FlagSet) func(context.Context, []string) error {
	env := fs.String("env", "", "production, sandbox or custom")
	domain := fs.String("domain", "", "the org's My Domain URL (implies --env custom)")
	return func(ctx context.Context, _ []string) error {
		target, err := parseTarget(*env, *domain)
		if err != nil {
			return err
		}
		u, err := c.engine.Settings.InstallURL(target)
		if err != nil {
			return err
		}
		if c.json {
			c.printJSON(map[string]string{"install_url": u})
		} else {
			fmt.Fprintln(c.stdout, u)
		}
		return nil
	}
}

func (c *cli) versionCmd(fs *flag.FlagSet) func(context.Context, []string) error {
	return func(context.Context, []string) error {
		if c.json {
			c.printJSON(map[string]string{"version": version})
		} else {
			fmt.Fprintln(c.stdout, "meshmesh", version)
		}
		return nil
	}
}
