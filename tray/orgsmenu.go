package tray

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/meshmesh/meshmesh/keychain"
	"github.com/meshmesh/meshmesh/oauth"
)

// How the orgs are laid out in the menu.
const (
	flatMax        = 15 // up to this many orgs, one list, no groups
	groupMax       = 25 // a group of more orgs is split alphabetically
	favouritesMax  = 10 // favourites shown at the top; the rest under "More favourites"
	recentMax      = 5  // recently used orgs shown at the top
	userGroupsMax  = 25 // groups of the user's shown at the top; the rest under "More groups"
	deadMenuLabel  = "Needs reconnect"
	favouritesName = "Favourites"
)

// orgsMenu returns the orgs' part of the menu. Up to flatMax orgs, each
// has its item, favourites first. Beyond, the menu stays short whatever
// the count: Find an org…, the favourites and the recently used as
// plain items, the orgs that need reconnect in a submenu of their own,
// then every org in a group: the user's own, else its kind (Production,
// Sandbox, Scratch & Developer), split alphabetically past groupMax.
func (s *state) orgsMenu() []item {
	if len(s.conns) == 0 {
		return nil
	}
	favs := keychain.Favourites(s.conns)
	if len(s.conns) <= flatMax {
		var m []item
		for _, c := range favs {
			m = append(m, s.orgItem(c))
		}
		for _, c := range byName(s.conns) {
			if c.Favourite == 0 {
				m = append(m, s.orgItem(c))
			}
		}
		return m
	}
	m := []item{{label: "Find an org…", tooltip: "Search every org on the Orgs page", do: action{kind: actFind}}}
	if len(favs) > 0 {
		m = append(m, item{separator: true, key: "sep:favourites"}, item{label: favouritesName, disabled: true, key: "heading:favourites"})
		for _, c := range favs[:min(len(favs), favouritesMax)] {
			m = append(m, s.orgItem(c))
		}
		if len(favs) > favouritesMax {
			m = append(m, s.groupItem("More favourites", "more-favourites", favs[favouritesMax:], false))
		}
	}
	var recent []keychain.Connection
	for _, c := range keychain.Recent(s.conns, recentMax+len(favs)) {
		if c.Favourite == 0 && len(recent) < recentMax {
			recent = append(recent, c)
		}
	}
	if len(recent) > 0 {
		m = append(m, item{separator: true, key: "sep:recent"}, item{label: "Recent", disabled: true, key: "heading:recent"})
		for _, c := range recent {
			m = append(m, s.orgItem(c))
		}
	}
	m = append(m, item{separator: true, key: "sep:groups"})
	var dead []keychain.Connection
	for _, c := range s.conns {
		if c.Status == keychain.NeedsReconnect {
			dead = append(dead, c)
		}
	}
	if len(dead) > 0 {
		// At the top level, so that the icon's attention always leads
		// somewhere.
		d := s.groupItem(fmt.Sprintf("%s (%d)", deadMenuLabel, len(dead)), "dead", dead, true)
		d.children = append([]item{{label: fmt.Sprintf("Reconnect all (%d)", len(dead)), do: action{kind: actReconnectAll},
			tooltip: "Sign in to each again, one after another"}, {separator: true, key: "sep:all"}}, d.children...)
		m = append(m, d)
	}
	groups := keychain.Groups(s.conns)
	members := map[string][]keychain.Connection{}
	kinds := map[keychain.Category][]keychain.Connection{}
	for _, c := range s.conns {
		if c.Group != "" {
			g := strings.ToLower(c.Group)
			members[g] = append(members[g], c)
		} else {
			kinds[c.Category()] = append(kinds[c.Category()], c)
		}
	}
	var more []item
	for i, g := range groups {
		it := s.groupItem(g, "group:"+strings.ToLower(g), members[strings.ToLower(g)], true)
		if i < userGroupsMax {
			m = append(m, it)
		} else {
			more = append(more, it)
		}
	}
	if len(more) > 0 {
		m = append(m, item{label: fmt.Sprintf("More groups (%d)", len(more)), key: "more-groups", children: more})
	}
	for _, k := range keychain.Categories {
		if cs := kinds[k]; len(cs) > 0 {
			m = append(m, s.groupItem(string(k), "kind:"+string(k), cs, true))
		}
	}
	return m
}

// groupItem is a submenu of conns labelled name and their count (count),
// sorted by name unless they are favourites, split alphabetically past
// groupMax.
func (s *state) groupItem(name, key string, conns []keychain.Connection, count bool) item {
	label := name
	if count && !strings.HasSuffix(name, ")") {
		label = fmt.Sprintf("%s (%d)", name, len(conns))
	}
	it := item{label: label, key: key}
	if key != "more-favourites" {
		conns = byName(conns)
	}
	if len(conns) <= groupMax {
		for _, c := range conns {
			it.children = append(it.children, s.orgItem(c))
		}
		return it
	}
	for _, part := range splitAlphabetically(conns, groupMax) {
		sub := item{label: part.label, key: "part:" + part.label}
		for _, c := range part.conns {
			sub.children = append(sub.children, s.orgItem(c))
		}
		it.children = append(it.children, sub)
	}
	return it
}

// part is a slice of a group, named by the names it goes from and to.
type part struct {
	label string
	conns []keychain.Connection
}

// splitAlphabetically cuts conns, sorted by name, into parts of at most
// size, each labelled by the shortest beginnings of its first and last
// names that tell it from its neighbours: "A–F", "acme-d–acme-m".
func splitAlphabetically(conns []keychain.Connection, size int) []part {
	n := (len(conns) + size - 1) / size
	per := (len(conns) + n - 1) / n // even parts
	var parts []part
	for i := 0; i < len(conns); i += per {
		parts = append(parts, part{conns: conns[i:min(i+per, len(conns))]})
	}
	name := func(c keychain.Connection) string { return strings.ToLower(c.Name()) }
	cut := func(a, b string) int { // the length of a's beginning that b does not share, at least 1
		k := 0
		for k < len(a) && k < len(b) && a[k] == b[k] {
			k++
		}
		return k + 1
	}
	for i := range parts {
		first, last := name(parts[i].conns[0]), name(parts[i].conns[len(parts[i].conns)-1])
		from, to := 1, 1
		if i > 0 {
			from = cut(first, name(parts[i-1].conns[len(parts[i-1].conns)-1]))
		}
		if i < len(parts)-1 {
			to = cut(last, name(parts[i+1].conns[0]))
		}
		parts[i].label = prefix(first, from) + "–" + prefix(last, to)
	}
	return parts
}

// prefix returns the first n bytes of s (whole runes), capitalised when
// it is one letter.
func prefix(s string, n int) string {
	for n < len(s) && !utf8.RuneStart(s[n]) {
		n++
	}
	p := s[:min(n, len(s))]
	if utf8.RuneCountInString(p) == 1 {
		return strings.ToUpper(p)
	}
	return p
}

// byName sorts conns by name (alias, else org name), then username.
func byName(conns []keychain.Connection) []keychain.Connection {
	out := slices.Clone(conns)
	slices.SortStableFunc(out, func(a, b keychain.Connection) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name()), strings.ToLower(b.Name())), cmp.Compare(a.Username, b.Username))
	})
	return out
}

// orgItem is an org's item: its state and name, and a submenu of what can
// be done with it, made when it is opened.
func (s *state) orgItem(c keychain.Connection) item {
	label := connectionLabel(c, s.checking[c.Username], s.unchecked[c.Username])
	if c.Favourite > 0 {
		label = "★ " + label
	}
	links := s.links
	return item{
		key:     "org:" + c.Username,
		label:   label,
		tooltip: fmt.Sprintf("%s, %s (%s)", c.OrgName, c.InstanceURL, c.Environment),
		lazy:    func() []item { return orgActions(c, links) },
	}
}

// orgActions is the submenu of connection c: open it (at home, at a quick
// link), reconnect, copy, pin, group, remove. links are the user's own
// quick links.
func orgActions(c keychain.Connection, links []oauth.Link) []item {
	u := c.Username
	m := []item{{label: "Open in browser", do: action{kind: actOpen, ref: u}}}
	for _, l := range slices.Concat(oauth.StandardLinks()[1:], links) { // Home is Open in browser
		m = append(m, item{label: "Open " + l.Name, tooltip: l.Path, do: action{kind: actLink, ref: u, path: l.Path}})
	}
	pin := item{label: "Pin to favourites", do: action{kind: actPin, ref: u}}
	if c.Favourite > 0 {
		pin = item{label: "Unpin from favourites", do: action{kind: actUnpin, ref: u}}
	}
	group := "Move to group…"
	if c.Group != "" {
		group = "Move to group… (now " + c.Group + ")"
	}
	return append(m,
		item{separator: true, key: "sep:reconnect"},
		item{label: "Reconnect", do: action{kind: actReconnect, ref: u}},
		item{label: "Copy username", do: action{kind: actCopyUser, ref: u}},
		item{label: "Copy instance URL", do: action{kind: actCopyURL, ref: u}},
		item{separator: true, key: "sep:pin"},
		pin,
		item{label: group, tooltip: "Opens the Orgs page at this org", do: action{kind: actGroup, ref: u}},
		item{separator: true, key: "sep:remove"},
		item{label: "Remove", tooltip: "Revoke its token at Salesforce and forget it", do: action{kind: actRemove, ref: u}},
	)
}
