package oauth_test

import (
	"strings"
	"testing"

	"github.com/meshmesh/meshmesh/oauth"
)

func TestCheckPath(t *testing.T) {
	for _, tt := range []struct {
		name, path, want string // want "" for refused
	}{
		{"setup page", "/lightning/setup/ApexJobs/home", "/lightning/setup/ApexJobs/home"},
		{"with a query and a fragment", "/lightning/o/Account/list?filterName=Recent#top", "/lightning/o/Account/list?filterName=Recent#top"},
		{"Visualforce", "/apex/MyPage?id=001000000000001", "/apex/MyPage?id=001000000000001"},
		{"Classic", "/001/o", "/001/o"},
		{"the root", "/", "/"},
		{"percent-encoded", "/lightning/r/Account/001/view?x=a%20b", "/lightning/r/Account/001/view?x=a%20b"},
		{"surrounding spaces trimmed", "  /lightning/page/home \n", "/lightning/page/home"},
		{"longest", "/" + strings.Repeat("a", oauth.MaxPathLen-1), "/" + strings.Repeat("a", oauth.MaxPathLen-1)},

		{"empty", "", ""},
		{"only spaces", "   ", ""},
		{"no leading slash", "lightning/page/home", ""},
		{"another host", "//evil.com", ""},
		{"another host with a path", "//evil.com/lightning/page/home", ""},
		{"a URL", "https://x", ""},
		{"the org's own URL", "https://acme.my.salesforce.com/lightning/page/home", ""},
		{"javascript", "javascript:alert(1)", ""},
		{"inner space", "/lightning/setup/Apex Jobs/home", ""},
		{"backslash", `/lightning\setup`, ""},
		{"backslash host", `/\evil.com`, ""},
		{"NUL", "/lightning\x00/page", ""},
		{"newline inside", "/lightning\n/page", ""},
		{"tab inside", "/lightning\t/page", ""},
		{"DEL", "/lightning\x7f", ""},
		{"C1 control", "/lightning\u0085x", ""},
		{"no-break space", "/lightning\u00a0page", ""},
		{"ideographic space", "/lightning\u3000page", ""},
		{"line separator", "/lightning\u2028page", ""},
		{"too long", "/" + strings.Repeat("a", oauth.MaxPathLen), ""},
	} {
		got, err := oauth.CheckPath(tt.path)
		if tt.want == "" {
			var d *oauth.Diagnosis
			if err == nil {
				t.Errorf("%s: CheckPath(%q) = %q, want refused", tt.name, tt.path, got)
			} else if d = wantDiagnosis(t, err, oauth.PathInvalid); !strings.Contains(d.Advice, "starting with /") {
				t.Errorf("%s: advice %q", tt.name, d.Advice)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: CheckPath(%q) = %q, %v; want %q", tt.name, tt.path, got, err, tt.want)
		}
	}
}

func TestStandardLinks(t *testing.T) {
	links := oauth.StandardLinks()
	var names []string
	for _, l := range links {
		names = append(names, l.Name)
		if p, err := oauth.CheckPath(l.Path); err != nil || p != l.Path {
			t.Errorf("standard link %s: CheckPath(%q) = %q, %v", l.Name, l.Path, p, err)
		}
	}
	if strings.Join(names, ", ") != "Home, Setup, Object Manager, Developer Console" {
		t.Errorf("standard links %q", names)
	}
	links[0].Name = "changed"
	if oauth.StandardLinks()[0].Name != "Home" {
		t.Error("StandardLinks returns a shared slice")
	}
}
