package keychain

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/meshmesh/meshmesh/oauth"
)

// This file holds what people do to find their orgs among many: groups,
// favourites, aliases, recently used, and quick links. All of it lives in
// the index; none of it touches the keychain or the network.

// MaxGroupLen is the longest group name, in characters.
const MaxGroupLen = 40

// CleanGroup returns group as stored: trimmed, inner runs of spaces made
// one. "" means no group. A name with control characters, or longer than
// MaxGroupLen, is refused with a diagnosis.
func CleanGroup(group string) (string, error) {
	g := strings.Join(strings.Fields(group), " ")
	if utf8.RuneCountInString(g) > MaxGroupLen || strings.ContainsFunc(g, unicode.IsControl) || !utf8.ValidString(g) {
		return "", &oauth.Diagnosis{
			Code:   GroupInvalid,
			Title:  fmt.Sprintf("Invalid group name %q", group),
			Advice: fmt.Sprintf("A group name is 1 to %d characters, without control characters, for example: Acme or Client work.", MaxGroupLen),
		}
	}
	return g, nil
}

// SetGroup puts connection ref in group ("" takes it out of its group).
// Groups are compared without regard to case: a group keeps the spelling
// of the connections already in it.
func (s *Store) SetGroup(ctx context.Context, ref, group string) (Connection, error) {
	g, err := CleanGroup(group)
	if err != nil {
		return Connection{}, err
	}
	return s.change(ctx, ref, func(conns []Connection, c *Connection) error {
		for _, o := range conns {
			if o.Group != "" && strings.EqualFold(o.Group, g) && !strings.EqualFold(o.Username, c.Username) {
				g = o.Group
				break
			}
		}
		c.Group = g
		return nil
	})
}

// Groups returns the names of the groups in conns, sorted without regard
// to case.
func Groups(conns []Connection) []string {
	var gs []string
	for _, c := range conns {
		if c.Group != "" && !slices.ContainsFunc(gs, func(g string) bool { return strings.EqualFold(g, c.Group) }) {
			gs = append(gs, c.Group)
		}
	}
	slices.SortFunc(gs, func(a, b string) int { return cmp.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return gs
}

// SetFavourite pins connection ref to the end of the favourites, or
// unpins it (the others keep their order). Pinning a favourite leaves it
// where it is.
func (s *Store) SetFavourite(ctx context.Context, ref string, pinned bool) (Connection, error) {
	return s.change(ctx, ref, func(conns []Connection, c *Connection) error {
		switch {
		case pinned && c.Favourite == 0:
			last := 0
			for _, o := range conns {
				last = max(last, o.Favourite)
			}
			c.Favourite = last + 1
		case !pinned && c.Favourite > 0:
			c.Favourite = 0
			renumberFavourites(conns, Favourites(conns))
		}
		return nil
	})
}

// MoveFavourite moves favourite ref by delta places (-1: one up, towards
// the first). A connection that is not a favourite is left alone.
func (s *Store) MoveFavourite(ctx context.Context, ref string, delta int) (Connection, error) {
	return s.change(ctx, ref, func(conns []Connection, c *Connection) error {
		if c.Favourite == 0 || delta == 0 {
			return nil
		}
		from := slices.IndexFunc(Favourites(conns), func(f Connection) bool { return strings.EqualFold(f.Username, c.Username) })
		placeFavourite(conns, c.Username, from+delta)
		return nil
	})
}

// MoveFavouriteTo moves favourite ref to place at among the favourites (1
// first; past the last, the last). A connection that is not a favourite
// is left alone.
func (s *Store) MoveFavouriteTo(ctx context.Context, ref string, at int) (Connection, error) {
	return s.change(ctx, ref, func(conns []Connection, c *Connection) error {
		if c.Favourite > 0 {
			placeFavourite(conns, c.Username, at-1)
		}
		return nil
	})
}

// placeFavourite puts favourite username at index to of the favourites
// (clamped), and numbers them all 1, 2, 3… in their order.
func placeFavourite(conns []Connection, username string, to int) {
	favs := Favourites(conns)
	from := slices.IndexFunc(favs, func(f Connection) bool { return strings.EqualFold(f.Username, username) })
	to = min(max(to, 0), len(favs)-1)
	moved := favs[from]
	renumberFavourites(conns, slices.Insert(slices.Delete(favs, from, from+1), to, moved))
}

// renumberFavourites numbers favs 1, 2, 3… in conns: no gap is left where a
// favourite was unpinned or removed.
func renumberFavourites(conns []Connection, favs []Connection) {
	for rank, f := range favs {
		for i := range conns {
			if strings.EqualFold(conns[i].Username, f.Username) {
				conns[i].Favourite = rank + 1
			}
		}
	}
}

// Favourites returns the favourites among conns, in the user's order.
func Favourites(conns []Connection) []Connection {
	var favs []Connection
	for _, c := range conns {
		if c.Favourite > 0 {
			favs = append(favs, c)
		}
	}
	slices.SortStableFunc(favs, func(a, b Connection) int { return cmp.Compare(a.Favourite, b.Favourite) })
	return favs
}

// Recent returns the n connections last used (opened, connected or
// reconnected), most recent first; none for n <= 0.
func Recent(conns []Connection, n int) []Connection {
	var used []Connection
	for _, c := range conns {
		if !c.LastUsed.IsZero() {
			used = append(used, c)
		}
	}
	slices.SortStableFunc(used, func(a, b Connection) int { return b.LastUsed.Compare(a.LastUsed) })
	return used[:min(max(n, 0), len(used))]
}

// Rename gives connection ref a new alias; an alias that names another
// connection is refused.
func (s *Store) Rename(ctx context.Context, ref, alias string) (Connection, error) {
	if err := ValidateAlias(alias); err != nil {
		return Connection{}, err
	}
	return s.change(ctx, ref, func(conns []Connection, c *Connection) error {
		if other, err := find(conns, alias); err == nil && !strings.EqualFold(other.Username, c.Username) {
			return aliasTaken(alias, other)
		}
		c.Alias = alias
		return nil
	})
}

// MarkUsed records that connection ref was used now (opened in the
// browser): it leads the tray's Recent.
func (s *Store) MarkUsed(ctx context.Context, ref string) error {
	_, err := s.change(ctx, ref, func(_ []Connection, c *Connection) error {
		c.LastUsed = usedAt(time.Now())
		return nil
	})
	return err
}

// usedAt is t as LastUsed keeps it: to the millisecond, so that orgs used
// one after the other within a second lead Recent in that order.
func usedAt(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// change finds connection ref in the index and changes it with f, under
// the index lock. f sees every connection (it may change the others too)
// and the one named; the changed connection is returned.
func (s *Store) change(ctx context.Context, ref string, f func(conns []Connection, c *Connection) error) (Connection, error) {
	var out Connection
	err := s.index.update(ctx, func(conns []Connection) ([]Connection, error) {
		c, err := find(conns, ref)
		if err != nil {
			return nil, err
		}
		i := slices.IndexFunc(conns, func(o Connection) bool { return strings.EqualFold(o.Username, c.Username) })
		if err := f(conns, &conns[i]); err != nil {
			return nil, err
		}
		out = conns[i]
		return conns, nil
	})
	return out, err
}

// A Link is a quick link of the user's own: a page of every org, such as
// /lightning/setup/ApexJobs/home, opened signed in through the frontdoor.
type Link = oauth.Link

// MaxLinks is how many links of their own a user may keep.
const MaxLinks = 20

// Index is the whole of what the index holds.
type Index struct {
	Connections []Connection
	Links       []Link // the user's own quick links, in their order
}

// Read returns the connections and the user's links, from the index
// alone: no keychain, no network.
func (s *Store) Read(ctx context.Context) (Index, error) {
	f, err := s.index.readFile(ctx)
	return Index{Connections: f.Connections, Links: f.Links}, err
}

// AddLink adds a quick link of the user's own, or renames the one with
// the same path. Its name is made from the path when empty.
func (s *Store) AddLink(ctx context.Context, l Link) (Link, error) {
	path, err := oauth.CheckPath(l.Path)
	if err != nil {
		return Link{}, err
	}
	l.Path = path
	l.Name = strings.Join(strings.Fields(l.Name), " ")
	if l.Name == "" {
		l.Name = linkName(path)
	}
	if utf8.RuneCountInString(l.Name) > MaxGroupLen || strings.ContainsFunc(l.Name, unicode.IsControl) {
		return Link{}, &oauth.Diagnosis{Code: LinkInvalid, Title: fmt.Sprintf("Invalid link name %q", l.Name),
			Advice: fmt.Sprintf("A link's name is at most %d characters, without control characters, for example: Apex Jobs.", MaxGroupLen)}
	}
	err = s.index.updateFile(ctx, func(f *indexFile) error {
		if i := slices.IndexFunc(f.Links, func(o Link) bool { return o.Path == l.Path }); i >= 0 {
			f.Links[i] = l
			return nil
		}
		if len(f.Links) >= MaxLinks {
			return &oauth.Diagnosis{Code: LinkInvalid, Title: "Too many links",
				Advice: fmt.Sprintf("You keep %d links already, the most MeshMesh shows in a menu. Remove one first.", MaxLinks)}
		}
		f.Links = append(f.Links, l)
		return nil
	})
	return l, err
}

// RemoveLink removes the user's link of path; removing none is no error.
func (s *Store) RemoveLink(ctx context.Context, path string) error {
	return s.index.updateFile(ctx, func(f *indexFile) error {
		f.Links = slices.DeleteFunc(f.Links, func(o Link) bool { return o.Path == path })
		return nil
	})
}

// linkName makes a link's name from its path:
// /lightning/setup/ApexJobs/home → ApexJobs.
func linkName(path string) string {
	parts := strings.FieldsFunc(path, func(r rune) bool { return r == '/' || r == '?' || r == '#' })
	for i := len(parts) - 1; i >= 0; i-- {
		switch p := parts[i]; strings.ToLower(p) {
		case "home", "view", "lightning", "setup", "page", "o", "list":
		default:
			if utf8.RuneCountInString(p) > MaxGroupLen {
				p = string([]rune(p)[:MaxGroupLen])
			}
			return p
		}
	}
	return path[:min(len(path), MaxGroupLen)]
}
