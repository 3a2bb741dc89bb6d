package oauth

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"
)

// A Link is a page of an org that MeshMesh opens signed in, through the
// single-use frontdoor (Engine.FrontdoorURL) with the page as its
// destination.
type Link struct {
	Name string `json:"name"` // what a menu says: "Setup"
	Path string `json:"path"` // the page in the org: /lightning/setup/SetupOneHome/home
}

// Paths of the pages every org has.
const (
	HomePath             = "/lightning/page/home"
	SetupPath            = "/lightning/setup/SetupOneHome/home"
	ObjectManagerPath    = "/lightning/setup/ObjectManager/home"
	DeveloperConsolePath = "/_ui/common/apex/debug/ApexCSIPage"
)

// StandardLinks returns the quick links of every org: Home, Setup, Object
// Manager and the Developer Console.
func StandardLinks() []Link {
	return []Link{
		{Name: "Home", Path: HomePath},
		{Name: "Setup", Path: SetupPath},
		{Name: "Object Manager", Path: ObjectManagerPath},
		{Name: "Developer Console", Path: DeveloperConsolePath},
	}
}

// MaxPathLen bounds a link's path.
const MaxPathLen = 1024

// PathInvalid is the code of a link's path that is not a page of the org.
const PathInvalid Code = "path_invalid"

// CheckPath checks that p is a page of the org, a path that the frontdoor
// may redirect to: it starts with one '/', has no scheme, host, backslash,
// spaces (any: a no-break space too) or control characters. It returns p
// without surrounding spaces.
func CheckPath(p string) (string, error) {
	p = strings.TrimSpace(p)
	u, err := url.Parse(p)
	switch {
	case p == "", len(p) > MaxPathLen, !strings.HasPrefix(p, "/"), strings.HasPrefix(p, "//"),
		strings.ContainsRune(p, '\\'), strings.ContainsFunc(p, unicode.IsSpace), strings.ContainsFunc(p, unicode.IsControl),
		err != nil, u.Scheme != "", u.Host != "":
		return "", &Diagnosis{
			Code:  PathInvalid,
			Title: fmt.Sprintf("Not a page of the org: %q", p),
			Advice: fmt.Sprintf("Give the path of a page in the org, starting with / and at most %d characters, without the host, for example /lightning/setup/ApexJobs/home (copy it from the address bar after the domain).",
				MaxPathLen),
		}
	}
	return p, nil
}
