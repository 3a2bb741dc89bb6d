package sftest_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/meshmesh/meshmesh/oauth/sftest"
)

// Start a fake Salesforce with one org and run the client credentials flow
// against the org's My Domain.
func ExampleStart() {
	sf, err := sftest.Start()
	if err != nil {
		panic(err)
	}
	defer sf.Close()
	org := sf.AddOrg(sftest.Org{Name: "Acme Corp"})
	bot := sf.AddUser(sftest.User{Org: org, Username: "integration@acme.example"})
	app := sf.AddApp(sftest.App{OwnerOrg: org, RunAs: bot})

	// At a login host the flow is refused, as in Salesforce.
	resp, err := sf.Client().PostForm(sf.Production.URL+"/services/oauth2/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret},
	})
	if err != nil {
		panic(err)
	}
	var e map[string]string
	json.NewDecoder(resp.Body).Decode(&e)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, e["error"], "/", e["error_description"])

	resp, err = sf.Client().PostForm(org.Host.URL+"/services/oauth2/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret},
	})
	if err != nil {
		panic(err)
	}
	var tok map[string]string
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, tok["token_type"], strings.HasPrefix(tok["access_token"], org.ID[:15]+"!"), tok["instance_url"] == org.Host.URL)
	// Output:
	// 400 invalid_grant / request not supported on this domain
	// 200 Bearer true true
}
