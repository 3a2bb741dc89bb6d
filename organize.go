// This file holds the commands that organise many connections: group,
// pin, unpin and alias. They change only the index: no network, no
// keychain.

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/meshmesh/meshmesh/keychain"
	"github.com/meshmesh/meshmesh/oauth"
)

func (c *cli) groupCmd(fs *flag.FlagSet) func(context.Context, []string) error {
	none := fs.Bool("none", false, "take ORG out of its group")
	return func(ctx context.Context, args []string) error {
		usage := "Usage: meshmesh group ORG NAME (put ORG in group NAME), or meshmesh group ORG --none (take it out of its group)."
		switch {
		case len(args) == 0:
			return badUsage("meshmesh group takes one ORG (an alias, a username or an org id) and a group NAME, or --none", usage)
		case len(args) > 2:
			return badUsage(fmt.Sprintf("meshmesh group takes one ORG and one NAME, not %d arguments", len(args)),
				fmt.Sprintf("Quote a group name of several words: meshmesh group %s '%s'.", args[0], strings.Join(args[1:], " ")))
		case *none && len(args) == 2:
			return badUsage("meshmesh group takes a group NAME or --none, not both", usage)
		case !*none && len(args) == 1:
			return badUsage("meshmesh group needs a group NAME, or --none", usage)
		}
		name := ""
		if !*none {
			g, err := keychain.CleanGroup(args[1])
			if err != nil {
				return usageOf(err) // group_invalid
			}
			if g == "" {
				return badUsage("The group NAME is empty", fmt.Sprintf("Give a group name, or take %s out of its group with: meshmesh group %s --none", args[0], args[0]))
			}
			name = g
		}
		conn, err := c.store.SetGroup(ctx, args[0], name)
		if err != nil {
			return err
		}
		if conn.Group == "" {
			return c.organised(conn, "%s is now in no group.", conn.Name())
		}
		return c.organised(conn, "%s is now in group %s.", conn.Name(), conn.Group)
	}
}

func (c *cli) pinCmd(fs *flag.FlagSet) func(context.Context, []string) error {
	at := fs.Int("at", 0, "its place among the favourites, 1 first (default: after the others)")
	return func(ctx context.Context, args []string) error {
		atSet := false
		fs.Visit(func(f *flag.Flag) { atSet = atSet || f.Name == "at" })
		if *at < 0 || atSet && *at == 0 {
			return badUsage(fmt.Sprintf("--at %d is no place among the favourites", *at), "Say --at 1 for the first, --at 2 for the second…, or leave --at out to pin ORG after the others.")
		}
		was, err := c.store.Find(ctx, args[0])
		if err != nil {
			return err
		}
		conn, err := c.store.SetFavourite(ctx, args[0], true)
		if err != nil {
			return err
		}
		if before := conn.Favourite; *at > 0 && *at != before {
			if conn, err = c.store.MoveFavouriteTo(ctx, args[0], *at); err != nil {
				return err
			}
			if conn.Favourite != before { // past the last place, it stays the last
				return c.organised(conn, "Moved %s: favourite number %d.", conn.Name(), conn.Favourite)
			}
		}
		if was.Favourite > 0 {
			return c.organised(conn, "%s is already a favourite (number %d).", conn.Name(), conn.Favourite)
		}
		return c.organised(conn, "Pinned %s: favourite number %d.", conn.Name(), conn.Favourite)
	}
}

func (c *cli) unpinCmd(fs *flag.FlagSet) func(context.Context, []string) error {
	return func(ctx context.Context, args []string) error {
		was, err := c.store.Find(ctx, args[0])
		if err != nil {
			return err
		}
		conn, err := c.store.SetFavourite(ctx, args[0], false)
		if err != nil {
			return err
		}
		if was.Favourite == 0 {
			return c.organised(conn, "%s was not a favourite.", conn.Name())
		}
		return c.organised(conn, "Unpinned %s: it is a favourite no more.", conn.Name())
	}
}

func (c *cli) aliasCmd(fs *flag.FlagSet) func(context.Context, []string) error {
	return func(ctx context.Context, args []string) error {
		alias := args[1]
		if err := keychain.ValidateAlias(alias); err != nil {
			return usageOf(err) // alias_invalid
		}
		was, err := c.store.Find(ctx, args[0])
		if err != nil {
			return err
		}
		conn, err := c.store.Rename(ctx, args[0], alias)
		var d *oauth.Diagnosis
		if errors.As(err, &d) && d.Code == keychain.AliasTaken {
			return c.aliasTaken(ctx, alias, was)
		}
		if err != nil {
			return err
		}
		if was.Alias == conn.Alias {
			return c.organised(conn, "%s already has the alias %s.", conn.Username, conn.Alias)
		}
		if was.Alias == "" {
			return c.organised(conn, "%s (%s) now has the alias %s.", conn.Username, conn.OrgName, conn.Alias)
		}
		return c.organised(conn, "Renamed %s to %s (%s).", was.Alias, conn.Alias, conn.Username)
	}
}

// aliasTaken is the diagnosis of a rename to an alias that names another
// connection than was: the store's advice is worded for connect --alias.
func (c *cli) aliasTaken(ctx context.Context, alias string, was keychain.Connection) error {
	d := &oauth.Diagnosis{Code: keychain.AliasTaken, Title: fmt.Sprintf("Alias %q is taken", alias),
		Advice: fmt.Sprintf("%q already names another connection: pick another alias for %s.", alias, was.Name())}
	if other, err := c.store.Find(ctx, alias); err == nil {
		d.Advice = fmt.Sprintf("%q already names %s (%s): pick another alias for %s, or first rename that one (meshmesh alias %s OTHER).",
			alias, other.Username, other.OrgName, was.Name(), other.Name())
	}
	return d
}

// organised reports a connection changed by group, pin, unpin or alias:
// one line on stdout, or {"org":{…}} with --json (as list --json has it).
func (c *cli) organised(conn keychain.Connection, format string, args ...any) error {
	if c.json {
		org, err := listed(conn)
		if err != nil {
			return err
		}
		c.printJSON(map[string]any{"org": org})
		return nil
	}
	fmt.Fprintf(c.stdout, format+"\n", args...)
	return nil
}
