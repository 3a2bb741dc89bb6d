package tray

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
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
	userGroupsMax  = 23 // groups of the user's shown at the top; the rest under "More groups" (at most 60 items in all)
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
	// s.conns is sorted by name (reload): every list below is too.
	var favs, dead, recent []*keychain.Connection
	groups := map[string][]*keychain.Connection{} // by the group's name, lower-cased
	var groupNames []string
	kinds := map[keychain.Category][]*keychain.Connection{}
	for i := range s.conns {
		c := &s.conns[i]
		if c.Favourite > 0 {
			favs = append(favs, c)
		} else if !c.LastUsed.IsZero() {
			recent = append(recent, c)
		}
		if c.Status == keychain.NeedsReconnect {
			dead = append(dead, c)
		}
		if c.Group == "" {
			kinds[c.Category()] = append(kinds[c.Category()], c)
			continue
		}
		g := strings.ToLower(c.Group)
		if groups[g] == nil {
			groupNames = append(groupNames, c.Group)
		}
		groups[g] = append(groups[g], c)
	}
	slices.SortStableFunc(favs, func(a, b *keychain.Connection) int { return cmp.Compare(a.Favourite, b.Favourite) })
	if len(s.conns) <= flatMax {
		var m []item
		for _, c := range favs {
			m = append(m, s.orgItem(c))
		}
		for i := range s.conns {
			if c := &s.conns[i]; c.Favourite == 0 {
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
			m = append(m, s.groupItem("More favourites", "more-favourites", favs[favouritesMax:]))
		}
	}
	if len(recent) > 0 {
		slices.SortStableFunc(recent, func(a, b *keychain.Connection) int { return b.LastUsed.Compare(a.LastUsed) })
		m = append(m, item{separator: true, key: "sep:recent"}, item{label: "Recent", disabled: true, key: "heading:recent"})
		for _, c := range recent[:min(len(recent), recentMax)] {
			m = append(m, s.orgItem(c))
		}
	}
	m = append(m, item{separator: true, key: "sep:groups"})
	if len(dead) > 0 {
		// At the top level, so that the icon's attention always leads
		// somewhere.
		d := s.groupItem(deadMenuLabel, "dead", dead)
		d.children = append([]item{{label: fmt.Sprintf("Reconnect all (%d)", len(dead)), do: action{kind: actReconnectAll},
			tooltip: "Sign in to each again, one after another"}, {separator: true, key: "sep:all"}}, d.children...)
		m = append(m, d)
	}
	slices.SortFunc(groupNames, func(a, b string) int { return cmp.Compare(strings.ToLower(a), strings.ToLower(b)) })
	var more []item
	for i, g := range groupNames {
		it := s.groupItem(g, "group:"+strings.ToLower(g), groups[strings.ToLower(g)])
		if i < userGroupsMax {
			m = append(m, it)
		} else {
			more = append(more, it)
		}
	}
	if len(more) > 0 {
		m = append(m, item{label: fmt.Sprintf("More groups (%d)", len(more)), key: "more-groups", children: more})
	}
	for _, k := range keychain.Categories() {
		if cs := kinds[k]; len(cs) > 0 {
			m = append(m, s.groupItem(string(k), "kind:"+string(k), cs))
		}
	}
	return m
}

// groupItem is a submenu of conns, labelled name and their count, split
// alphabetically past groupMax (conns are sorted by name, or are
// favourites in their order).
func (s *state) groupItem(name, key string, conns []*keychain.Connection) item {
	it := item{label: name + " (" + strconv.Itoa(len(conns)) + ")", key: key}
	if len(conns) <= groupMax {
		it.children = make([]item, 0, len(conns))
		for _, c := range conns {
			it.children = append(it.children, s.orgItem(c))
		}
		return it
	}
	parts := splitAlphabetically(conns, groupMax)
	if key == "more-favourites" {
		parts = splitByPlace(conns, groupMax, favouritesMax+1)
	}
	for i, part := range parts {
		sub := item{label: part.label, key: "part:" + strconv.Itoa(i), children: make([]item, 0, len(part.conns))}
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
	conns []*keychain.Connection
}

// splitAlphabetically cuts conns, sorted by name, into parts of at most
// size, each labelled by the shortest beginnings of its first and last
// names that tell it from its neighbours: "A–F", "acme-d–acme-m".
func splitAlphabetically(conns []*keychain.Connection, size int) []part {
	n := (len(conns) + size - 1) / size
	per := (len(conns) + n - 1) / n // even parts
	var parts []part
	for i := 0; i < len(conns); i += per {
		parts = append(parts, part{conns: conns[i:min(i+per, len(conns))]})
	}
	name := func(c *keychain.Connection) string { return strings.ToLower(c.Name()) }
	cut := func(a, b string) int { // the length of a's beginning that b does not share, at least 1
		k := 0
		for k < len(a) && k < len(b) && a[k] == b[k] {
			k++
		}
		return k + 1
	}
	for i := range parts {
		first, last := name(parts[i].conns[0]), name(parts[i].conns[len(parts[i].conns)-1])
		from, to := 0, 0
		if i > 0 {
			from = cut(first, name(parts[i-1].conns[len(parts[i-1].conns)-1]))
		}
		if i < len(parts)-1 {
			to = cut(last, name(parts[i+1].conns[0]))
		}
		// The ends of the group say as much as the other end of their part.
		from, to = cmp.Or(from, to), cmp.Or(to, from)
		parts[i].label = prefix(first, from) + "–" + prefix(last, to)
	}
	// Parts of orgs of one name (a hundred sandboxes of "Acme", without
	// aliases) are told apart by their order.
	count := map[string]int{}
	for _, p := range parts {
		count[p.label]++
	}
	nth := map[string]int{}
	for i, p := range parts {
		if count[p.label] > 1 {
			nth[p.label]++
			parts[i].label = fmt.Sprintf("%s (%d)", p.label, nth[p.label])
		}
	}
	return parts
}

// splitByPlace cuts favourites into parts of at most size, labelled by
// their places, the first being place first: "11–35".
func splitByPlace(conns []*keychain.Connection, size, first int) []part {
	var parts []part
	for i := 0; i < len(conns); i += size {
		end := min(i+size, len(conns))
		parts = append(parts, part{label: fmt.Sprintf("%d–%d", first+i, first+end-1), conns: conns[i:end]})
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

// sortByName sorts conns by name (alias, else org name), then username:
// the order of every list of orgs in the menu.
func sortByName(conns []keychain.Connection) {
	slices.SortStableFunc(conns, func(a, b keychain.Connection) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name()), strings.ToLower(b.Name())), cmp.Compare(a.Username, b.Username))
	})
}

// orgItem is an org's item: its state and name, and a submenu of what can
// be done with it, made when it is opened.
func (s *state) orgItem(c *keychain.Connection) item {
	label := connectionLabel(*c, s.checking[c.Username], s.unchecked[c.Username])
	if c.Favourite > 0 {
		label = "★ " + label
	}
	// What the submenu needs, copied: s.conns changes in the loop while a
	// host may open the submenu.
	o := orgRef{username: c.Username, favourite: c.Favourite > 0, group: c.Group}
	links := s.links
	return item{
		key:     "org:" + c.Username,
		label:   label,
		tooltip: c.OrgName + ", " + c.InstanceURL + " (" + string(c.Environment) + ")",
		lazy:    func() []item { return orgActions(o, links) },
	}
}

// orgRef is what an org's submenu says of it.
type orgRef struct {
	username  string
	favourite bool
	group     string
}

// orgActions is the submenu of connection c: open it (at home, at a quick
// link), reconnect, copy, pin, group, remove. links are the user's own
// quick links.
func orgActions(c orgRef, links []oauth.Link) []item {
	u := c.username
	m := []item{{label: "Open in browser", do: action{kind: actOpen, ref: u}}}
	paths := map[string]bool{oauth.HomePath: true} // Home is Open in browser
	for _, l := range slices.Concat(oauth.StandardLinks(), links) {
		if !paths[l.Path] { // a link of the user's to a standard page is there already
			paths[l.Path] = true
			m = append(m, item{label: "Open " + l.Name, tooltip: l.Path, do: action{kind: actLink, ref: u, path: l.Path}})
		}
	}
	pin := item{label: "Pin to favourites", do: action{kind: actPin, ref: u}}
	if c.favourite {
		pin = item{label: "Unpin from favourites", do: action{kind: actUnpin, ref: u}}
	}
	group := "Move to group…"
	if c.group != "" {
		group = "Move to group… (now " + c.group + ")"
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
