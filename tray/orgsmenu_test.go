package tray

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/meshmesh/meshmesh/keychain"
)

func conns(aliases ...string) []*keychain.Connection {
	var out []*keychain.Connection
	for _, a := range aliases {
		out = append(out, &keychain.Connection{Alias: a, Username: a + "@x.example"})
	}
	return out
}

func numbered(prefix string, from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("%s%03d", prefix, i))
	}
	return out
}

// A group past 25 orgs is cut into even parts named by the shortest
// beginnings that tell them apart.
func TestSplitAlphabetically(t *testing.T) {
	var words []string
	for c := 'a'; c <= 'z'; c++ {
		words = append(words, string(c)+"-org", string(c)+"-uat")
	}
	for _, tt := range []struct {
		name  string
		names []string
		want  []string
	}{
		{"letters", words, []string{"A–I", "J–R", "S–Z"}}, // 52 orgs: three parts of at most 25
		{"a shared beginning", numbered("client-", 1, 60), []string{"client-001–client-020", "client-021–client-040", "client-041–client-060"}},
		{"mixed", append([]string{"acme-prod", "acme-uat"}, numbered("client-", 1, 30)...), []string{"acme-prod–client-014", "client-015–client-030"}},
		{"one name", slices.Repeat([]string{"acme"}, 60), []string{"acme–acme (1)", "acme–acme (2)", "acme–acme (3)"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			parts := splitAlphabetically(conns(tt.names...), groupMax)
			var got []string
			total := 0
			for _, p := range parts {
				got = append(got, p.label)
				if len(p.conns) > groupMax {
					t.Errorf("part %s holds %d orgs", p.label, len(p.conns))
				}
				total += len(p.conns)
			}
			if total != len(tt.names) {
				t.Errorf("parts hold %d orgs of %d", total, len(tt.names))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("labels %q, want %q", got, tt.want)
			}
		})
	}
}

// At 1,000 orgs the top of the menu stays short, and every org is in one
// group or kind.
func TestMenuOfThousand(t *testing.T) {
	s := manyState(1000)
	sortByName(s.conns)
	m := s.menu()
	if len(m) > 60 {
		t.Errorf("%d items at the top, want at most 60", len(m))
	}
	seen := map[string]int{}
	var walk func(items []item, inGroup bool)
	walk = func(items []item, inGroup bool) {
		for _, it := range items {
			if u, ok := strings.CutPrefix(it.key, "org:"); ok && inGroup {
				seen[u]++
			}
			walk(it.children, inGroup || strings.HasPrefix(it.key, "group:") || strings.HasPrefix(it.key, "kind:"))
		}
	}
	walk(m, false)
	for _, c := range s.conns {
		if seen[c.Username] != 1 {
			t.Errorf("%s is in %d groups", c.Username, seen[c.Username])
		}
	}
}
