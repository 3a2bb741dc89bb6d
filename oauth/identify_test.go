package oauth_test

import (
	"context"
	"testing"
	"time"

	"github.com/meshmesh/meshmesh/oauth"
)

// Identify reads the Organization's TrialExpirationDate (scratch and trial
// orgs), null for an org that does not expire.
func TestIdentifyTrialExpires(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	w.app.RunAs = w.admin
	g, err := w.engine.ClientCredentials(ctx, oauth.Target{Environment: oauth.CustomDomain, Domain: w.prod.Host.URL}, w.appCreds())
	if err != nil {
		t.Fatal(err)
	}
	if !g.Org.TrialExpires.IsZero() || g.Org.OrganizationType != "Developer Edition" {
		t.Errorf("an org that does not expire: %q expiring %v", g.Org.OrganizationType, g.Org.TrialExpires)
	}

	expires := time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC)
	w.sf.Change(func() {
		w.prod.TrialExpires = expires.In(time.FixedZone("CET", 3600))
		w.prod.OrganizationType = "Enterprise Edition"
	})
	org, err := w.engine.Identify(ctx, g.Org.InstanceURL, g.Token.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if !org.TrialExpires.Equal(expires) || org.TrialExpires.Location() != time.UTC || org.OrganizationType != "Enterprise Edition" {
		t.Errorf("a trial org: %q expiring %v, want Enterprise Edition expiring %v", org.OrganizationType, org.TrialExpires, expires)
	}
	if org.Username != w.admin.Username || org.OrgID != w.prod.ID || org.OrgName != "Acme Corp" || org.IsSandbox {
		t.Errorf("Identify = %+v", org)
	}

	w.sf.Change(func() { w.prod.TrialExpires = time.Time{} })
	if org, err := w.engine.Identify(ctx, g.Org.InstanceURL, g.Token.AccessToken); err != nil || !org.TrialExpires.IsZero() {
		t.Errorf("expiry taken away: %v, %v; want zero", org.TrialExpires, err)
	}
}
