// This file holds the commands on connections made: list, token, open,
// remove; and install-url and version.

package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/meshmesh/meshmesh/keychain"
	"github.com/meshmesh/meshmesh/oauth"
)

func (c *cli) listCmd(fs *flag.FlagSet) func(context.Context, []string) error {
	group := fs.String("group", "", "only the connections of this group (any case)")
	env := fs.String("env", "", "only this kind of org: production, sandbox or developer (Developer Edition, scratch, trial)")
	status := fs.String("status", "", "only the connections with this status: connected, needs_reconnect or unknown")
	return func(ctx context.Context, _ []string) error {
		f, err := parseListFilter(*group, *env, *status)
		if err != nil {
			return err
		}
		all, err := c.store.List(ctx)
		if err != nil {
			return err
		}
		conns := []keychain.Connection{}
		for _, k := range all {
			if f.keeps(k) {
				conns = append(conns, k)
			}
		}
		if c.json {
			orgs := make([]json.RawMessage, len(conns))
			for i, k := range conns {
				if orgs[i], err = listed(k); err != nil {
					return err
				}
			}
			c.printJSON(map[string]any{"orgs": orgs})
			return nil
		}
		switch {
		case len(all) == 0:
			fmt.Fprintln(c.stdout, "No connections yet. Add one with: meshmesh connect (Quick Connect, through the Salesforce CLI), meshmesh import-sf (the orgs sf holds), or meshmesh connect --method custom --client-id KEY")
			return nil
		case len(conns) == 0:
			c.say("%s", f.none(all))
			return nil
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  ALIAS\tUSERNAME\tORG\tGROUP\tENVIRONMENT\tMETHOD\tSTATUS")
		for _, k := range conns {
			mark, group := "  ", k.Group
			if k.Favourite > 0 {
				mark = "★ "
			}
			if group == "" {
				group = "-"
			}
			fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s\t%s\t%s\n", mark, k.Alias, k.Username, k.OrgName, group, k.Environment, k.Method, k.Status)
		}
		return tw.Flush()
	}
}

// listFilter is what list --group, --env and --status keep: the
// connections that match all of those given.
type listFilter struct {
	group    string
	category keychain.Category
	status   keychain.Status
}

func parseListFilter(group, env, status string) (listFilter, error) {
	var f listFilter
	if group != "" {
		g, err := keychain.CleanGroup(group)
		if err != nil {
			return f, usageOf(err) // group_invalid
		}
		f.group = g
	}
	if env != "" {
		cat, err := keychain.ParseCategory(env)
		if err != nil {
			return f, badUsage(fmt.Sprintf("--env %q is not a kind of org", env),
				"Use --env production, sandbox or developer (Developer Edition, scratch and trial orgs).")
		}
		f.category = cat
	}
	if status != "" {
		switch st := keychain.Status(strings.ReplaceAll(strings.ToLower(strings.TrimSpace(status)), "-", "_")); st {
		case keychain.Connected, keychain.NeedsReconnect, keychain.Unknown:
			f.status = st
		default:
			return f, badUsage(fmt.Sprintf("--status %q is not a status", status), "Use --status connected, needs_reconnect or unknown.")
		}
	}
	return f, nil
}

func (f listFilter) keeps(k keychain.Connection) bool {
	return (f.group == "" || strings.EqualFold(k.Group, f.group)) &&
		(f.category == "" || k.Category() == f.category) &&
		(f.status == "" || k.Status == f.status)
}

// none says that no connection of all passes f, and why when it can: a
// group that none is in.
func (f listFilter) none(all []keychain.Connection) string {
	if f.group != "" && !slices.ContainsFunc(all, func(k keychain.Connection) bool { return strings.EqualFold(k.Group, f.group) }) {
		groups := keychain.Groups(all)
		if len(groups) == 0 {
			return fmt.Sprintf("No connection is in group %q: none is in a group yet (meshmesh group ORG NAME puts one in).", f.group)
		}
		return fmt.Sprintf("No connection is in group %q. The groups are: %s.", f.group, strings.Join(groups, ", "))
	}
	return fmt.Sprintf("None of the %d connections matches: meshmesh list shows them all.", len(all))
}

// listed is connection k as list --json prints it: its fields as the index
// has them, with group, favourite and last_used even when unset.
func listed(k keychain.Connection) (json.RawMessage, error) {
	b, err := json.Marshal(k)
	if err != nil {
		return nil, err
	}
	// The index leaves them out when unset (omitempty): say them.
	for _, f := range []struct {
		unset bool
		field string
	}{{k.Group == "", `"group":""`}, {k.Favourite == 0, `"favourite":0`}, {k.LastUsed.IsZero(), `"last_used":null`}} {
		if f.unset {
			b = append(append(b[:len(b)-1], ","+f.field...), '}')
		}
	}
	return b, nil
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
	path := fs.String("path", "", "open this page of the org, e.g. /lightning/setup/ApexJobs/home")
	setup := fs.Bool("setup", false, "open Setup (--path "+oauth.SetupPath+")")
	return func(ctx context.Context, args []string) error {
		page, err := openPage(fs, *path, *setup)
		if err != nil {
			return err
		}
		var u string
		err = c.store.Use(ctx, args[0], func(ctx context.Context, tok *keychain.Token) (err error) {
			u, err = c.engine.FrontdoorURL(ctx, tok.InstanceURL, tok.AccessToken, page)
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
			c.markUsed(ctx, args[0])
			return nil
		}
		if err := oauth.OpenSecretURL(ctx, c.engine.Settings.Browser, u); err != nil {
			return err
		}
		c.markUsed(ctx, args[0])
		if c.json {
			c.printJSON(map[string]bool{"opened": true})
		}
		return nil
	}
}

// openPage reads open's --path and --setup: the page to open, "" for the
// org's home page. A path is checked before anything is asked of
// Salesforce.
func openPage(fs *flag.FlagSet, path string, setup bool) (string, error) {
	pathSet := false
	fs.Visit(func(f *flag.Flag) { pathSet = pathSet || f.Name == "path" })
	switch {
	case pathSet && setup:
		return "", badUsage("--path and --setup do not go together", "--setup opens Setup, as --path "+oauth.SetupPath+" does: give one of them.")
	case setup:
		return oauth.SetupPath, nil
	case pathSet:
		p, err := oauth.CheckPath(path)
		if err != nil {
			return "", usageOf(err) // path_invalid
		}
		return p, nil
	}
	return "", nil
}

// markUsed records that ref was just opened, for the tray's Recent: a
// failure to record it is logged, the org being open all the same.
func (c *cli) markUsed(ctx context.Context, ref string) {
	if err := c.store.MarkUsed(ctx, ref); err != nil {
		c.log.Warn("open: last use not recorded", "org", ref, "err", err)
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
