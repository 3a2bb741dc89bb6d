package page

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/meshmesh/meshmesh/oauth"
)

// The Orgs view's addresses. GET /orgs is the page (?org=USERNAME shows
// that org's row with its actions open; &field=group or alias puts the
// focus in that field), GET /orgs.json the same as JSON (?since=VERSION
// answers 204 No Content while the view is still at VERSION), and POST
// /orgs/action runs one action.
const (
	orgsPath       = "/orgs"
	orgsJSONPath   = "/orgs.json"
	orgsActionPath = "/orgs/action"
)

// Codes of the diagnoses the page itself gives an action it refuses.
const (
	actionUnknown oauth.Code = "action_unknown" // not a kind of OrgAction
	actionNoOrg   oauth.Code = "action_no_org"  // a per-org action without a username
	actionConfirm oauth.Code = "action_confirm" // remove without the page's confirmation
	linkNameEmpty oauth.Code = "link_name_empty"
)

// The fields of an action's form.
const (
	actKind     = "kind"
	actUsername = "username"
	actPath     = "path"
	actValue    = "value"
	actConfirm  = "confirm"
)

// maxLinkName bounds the name of a user's link, in bytes.
const maxLinkName = 200

// orgStates are the states an org row may show, for the state filter.
var orgStates = []choice{
	{Value: "connected", Label: "Connected"},
	{Value: "needs_reconnect", Label: "Needs reconnect"},
	{Value: "checking", Label: "Checking"},
	{Value: "unknown", Label: "Not checked"},
}

// categoryOrder is the order of the environment filter's known choices.
var categoryOrder = []string{"Production", "Sandbox", "Scratch & Developer"}

// orgsPageView is what the Orgs page shows.
type orgsPageView struct {
	Title      string
	CSRF       string
	Version    uint64
	Rows       []orgRow
	Empty      orgRow     // for the script's row and panel templates
	EmptyLink  oauth.Link // for the script's link template
	Groups     []string
	Categories []string
	States     []choice
	Standard   []oauth.Link
	Links      []oauth.Link
	SignIn     string
	Queued     int
	Need       int // orgs that need a reconnect

	// Field is the panel's field to focus (the ?field= of the URL).
	Field string
	// Result is what a posted action said, on a page without JavaScript.
	Result *oauth.Diagnosis
}

// orgRow is one org as a row shows it.
type orgRow struct {
	Org
	Host     string // the instance URL's host
	Key      string // what search finds besides the cells: org id and host, lower case
	LastText string // LastUsed for people, "—" for never
	Open     bool   // its panel is open (the URL's ?org=)
}

// Name is what the row is called: the alias, or the username.
func (r orgRow) Name() string { return cmp.Or(r.Alias, r.Username) }

// PinKind is the kind of OrgAction the Pin/Unpin button asks.
func (r orgRow) PinKind() OrgActionKind {
	if r.Favourite > 0 {
		return OrgUnpin
	}
	return OrgPin
}

// orgJSON is an org in /orgs.json. Nothing in it is secret.
type orgJSON struct {
	Username     string    `json:"username"`
	Alias        string    `json:"alias"`
	OrgName      string    `json:"org_name"`
	OrgID        string    `json:"org_id"`
	InstanceURL  string    `json:"instance_url"`
	Host         string    `json:"host"`
	Category     string    `json:"category"`
	Environment  string    `json:"environment"`
	Group        string    `json:"group"`
	Favourite    int       `json:"favourite"`
	LastUsed     time.Time `json:"last_used,omitzero"`
	LastUsedText string    `json:"last_used_text"`
	State        string    `json:"state"`
	StateText    string    `json:"state_text"`
	Key          string    `json:"key"`
}

// orgsJSON is the body of /orgs.json.
type orgsJSON struct {
	Version       uint64       `json:"version"`
	Orgs          []orgJSON    `json:"orgs"`
	Links         []oauth.Link `json:"links"`          // the user's own
	StandardLinks []oauth.Link `json:"standard_links"` // every org's
	Groups        []string     `json:"groups"`
	Categories    []string     `json:"categories"`
	SignIn        string       `json:"sign_in"`
	Queued        int          `json:"queued"`
	NeedReconnect int          `json:"need_reconnect"`
}

// actionJSON answers POST /orgs/action for the script.
type actionJSON struct {
	OK        bool             `json:"ok"`
	Diagnosis *oauth.Diagnosis `json:"diagnosis,omitempty"`
}

// rows returns v's orgs as rows, favourites first in their order, then
// by name.
func rows(v OrgsView) []orgRow {
	out := make([]orgRow, 0, len(v.Orgs))
	for _, o := range v.Orgs {
		r := orgRow{Org: o, Host: hostOf(o.InstanceURL), LastText: "—"}
		r.Key = strings.ToLower(strings.TrimSpace(o.OrgID + " " + r.Host))
		if !o.LastUsed.IsZero() {
			r.LastText = o.LastUsed.Local().Format("2006-01-02 15:04")
		}
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(a, b orgRow) int {
		switch {
		case a.Favourite > 0 && b.Favourite > 0:
			return cmp.Compare(a.Favourite, b.Favourite)
		case a.Favourite > 0:
			return -1
		case b.Favourite > 0:
			return 1
		}
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name()), strings.ToLower(b.Name())),
			cmp.Compare(a.Username, b.Username))
	})
	return out
}

// categories returns the categories of rs: the known ones in their order,
// then the others sorted.
func categories(rs []orgRow) []string {
	var other []string
	seen := map[string]bool{}
	for _, r := range rs {
		if r.Category != "" && !seen[r.Category] {
			seen[r.Category] = true
			if !slices.Contains(categoryOrder, r.Category) {
				other = append(other, r.Category)
			}
		}
	}
	var out []string
	for _, c := range categoryOrder {
		if seen[c] {
			out = append(out, c)
		}
	}
	slices.Sort(other)
	return append(out, other...)
}

func needReconnect(rs []orgRow) int {
	n := 0
	for _, r := range rs {
		if r.State == "needs_reconnect" {
			n++
		}
	}
	return n
}

// orgsPageView returns the page for v, with the panel of username open.
func (sv *serving) orgsPageView(v OrgsView, username string) orgsPageView {
	rs := rows(v)
	for i := range rs {
		if username != "" && rs[i].Username == username {
			rs[i].Open = true
		}
	}
	return orgsPageView{
		Title:      sv.s.opts.Title,
		CSRF:       sv.csrf,
		Version:    v.Version,
		Rows:       rs,
		Groups:     v.Groups,
		Categories: categories(rs),
		States:     orgStates,
		Standard:   oauth.StandardLinks(),
		Links:      v.Links,
		SignIn:     v.SignIn,
		Queued:     v.Queued,
		Need:       needReconnect(rs),
	}
}

// orgsView asks the tray for the view, or answers that there is none.
func (sv *serving) orgsView(w http.ResponseWriter, r *http.Request) (OrgsView, bool) {
	orgs := sv.s.opts.Orgs
	if orgs == nil {
		if wantsJSON(r) {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "This MeshMesh has no Orgs view."})
		} else {
			sv.render(w, http.StatusNotFound, "message", messageView{sv.s.opts.Title, "No Orgs view",
				"This MeshMesh does not list its connections here: use the MeshMesh menu.", true})
		}
		return OrgsView{}, false
	}
	v, err := orgs.OrgsView(r.Context())
	if err != nil {
		sv.s.log.Warn("orgs view", "err", err)
		const why = "MeshMesh could not list its connections: "
		if wantsJSON(r) {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": why + err.Error()})
		} else {
			sv.render(w, http.StatusServiceUnavailable, "message", messageView{sv.s.opts.Title, "Could not list the connections",
				why + err.Error() + ". Reload the page; if it repeats, restart MeshMesh.", true})
		}
		return OrgsView{}, false
	}
	return v, true
}

// orgsPage shows the Orgs view.
func (sv *serving) orgsPage(w http.ResponseWriter, r *http.Request) {
	v, ok := sv.orgsView(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	pv := sv.orgsPageView(v, q.Get("org"))
	if f := q.Get("field"); f == "group" || f == "alias" {
		pv.Field = f
	}
	sv.render(w, http.StatusOK, "orgs", pv)
}

// orgsJSON answers the view as JSON, or 204 while it is at ?since.
func (sv *serving) orgsJSON(w http.ResponseWriter, r *http.Request) {
	v, ok := sv.orgsView(w, r)
	if !ok {
		return
	}
	if since, err := strconv.ParseUint(r.URL.Query().Get("since"), 10, 64); err == nil && since == v.Version {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	rs := rows(v)
	out := orgsJSON{
		Version:       v.Version,
		Orgs:          make([]orgJSON, 0, len(rs)),
		Links:         nonNil(v.Links),
		StandardLinks: oauth.StandardLinks(),
		Groups:        nonNil(v.Groups),
		Categories:    nonNil(categories(rs)),
		SignIn:        v.SignIn,
		Queued:        v.Queued,
		NeedReconnect: needReconnect(rs),
	}
	for _, o := range rs {
		out.Orgs = append(out.Orgs, orgJSON{
			Username: o.Username, Alias: o.Alias, OrgName: o.OrgName, OrgID: o.OrgID,
			InstanceURL: o.InstanceURL, Host: o.Host, Category: o.Category, Environment: o.Environment,
			Group: o.Group, Favourite: o.Favourite, LastUsed: o.LastUsed, LastUsedText: o.LastText,
			State: o.State, StateText: o.StateText, Key: o.Key,
		})
	}
	writeJSON(w, http.StatusOK, out)
}

// actionFrom reads an action from a posted form, or says why the page
// refuses it.
func actionFrom(v url.Values) (OrgAction, *oauth.Diagnosis) {
	act := OrgAction{
		Kind:     OrgActionKind(v.Get(actKind)),
		Username: strings.TrimSpace(v.Get(actUsername)),
		Path:     strings.TrimSpace(v.Get(actPath)),
		Value:    strings.TrimSpace(v.Get(actValue)),
	}
	perOrg := true
	switch act.Kind {
	case OrgOpen:
		act.Value = ""
		if act.Path != "" {
			p, err := oauth.CheckPath(act.Path)
			if err != nil {
				return act, diagnosisOfAction(err)
			}
			act.Path = p
		}
	case OrgReconnect, OrgPin, OrgUnpin:
		act.Path, act.Value = "", ""
	case OrgRemove:
		act.Path, act.Value = "", ""
		if v.Get(actConfirm) != "1" {
			return act, &oauth.Diagnosis{Code: actionConfirm, Title: "Removal not confirmed",
				Advice: "Confirm on the Orgs page that the connection is to be removed."}
		}
	case OrgAlias, OrgGroup:
		act.Path = ""
	case OrgReconnectAll:
		perOrg = false
		act.Username, act.Path, act.Value = "", "", ""
	case OrgAddLink:
		perOrg = false
		act.Username = ""
		p, err := oauth.CheckPath(act.Path)
		if err != nil {
			return act, diagnosisOfAction(err)
		}
		act.Path = p
		if act.Value == "" || len(act.Value) > maxLinkName {
			return act, &oauth.Diagnosis{Code: linkNameEmpty, Title: "The link needs a name",
				Advice: "Give the link a short name for the menu, for example Apex Jobs."}
		}
	case OrgRemoveLink:
		perOrg = false
		act.Username, act.Value = "", ""
		if act.Path == "" {
			return act, &oauth.Diagnosis{Code: oauth.PathInvalid, Title: "No link to remove",
				Advice: "Pick the link to remove from the list of your links."}
		}
	default:
		return act, &oauth.Diagnosis{Code: actionUnknown, Title: "Unknown action",
			Advice: "Reload the Orgs page and try again: this page may be older than MeshMesh."}
	}
	if perOrg && act.Username == "" {
		return act, &oauth.Diagnosis{Code: actionNoOrg, Title: "No org given",
			Advice: "Pick the org in the list, then the action."}
	}
	return act, nil
}

// orgsAction runs one action of the Orgs view. The script gets JSON
// {ok, diagnosis}, always with status 200; a page without JavaScript a
// redirect back to the view, or the view with the diagnosis.
func (sv *serving) orgsAction(w http.ResponseWriter, r *http.Request) {
	orgs := sv.s.opts.Orgs
	if orgs == nil {
		sv.orgsView(w, r)
		return
	}
	act, d := actionFrom(r.PostForm)
	if d == nil {
		if err := orgs.OrgAction(r.Context(), act); err != nil {
			d = diagnosisOfAction(err)
		}
	}
	log := sv.s.log.With("kind", string(act.Kind))
	if d != nil {
		log.Info("orgs action refused", "code", string(d.Code))
	} else {
		log.Info("orgs action")
	}
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, actionJSON{OK: d == nil, Diagnosis: d})
		return
	}
	back := orgsPath
	if act.Username != "" && act.Kind != OrgRemove {
		back += "?org=" + url.QueryEscape(act.Username)
	}
	switch act.Kind {
	case OrgAddLink, OrgRemoveLink:
		back += "#links"
	}
	if d == nil {
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	v, ok := sv.orgsView(w, r)
	if !ok {
		return
	}
	pv := sv.orgsPageView(v, act.Username)
	pv.Result = d
	sv.render(w, http.StatusUnprocessableEntity, "orgs", pv)
}

// diagnosisOfAction returns the failure of an action as a diagnosis a
// person can read.
func diagnosisOfAction(err error) *oauth.Diagnosis {
	return diagnosisOf(err, "MeshMesh could not do that")
}

// nextPath reports whether the token's redirect may land on path.
func nextPath(path string) bool { return path == "/" || path == orgsPath }

// safeNext returns the page of the page's own that next names (the
// token URL's ?next=): "/" or "/orgs", with only the query fields the
// Orgs view reads. Anything else is "/".
func safeNext(next string) string {
	if next == "" || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.User != nil || !nextPath(u.Path) {
		return "/"
	}
	q := u.Query()
	keep := url.Values{}
	if u.Path == orgsPath {
		for _, k := range []string{"org", "field"} {
			if v := q.Get(k); v != "" {
				keep.Set(k, v)
			}
		}
	}
	if len(keep) == 0 {
		return u.Path
	}
	return u.Path + "?" + keep.Encode()
}

// nonNil is s, or an empty slice: JSON's [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// panelView is the actions of one org, under its row.
type panelView struct {
	Row      orgRow
	CSRF     string
	Standard []oauth.Link
	Links    []oauth.Link
}

// Panel returns the actions panel of r.
func (v orgsPageView) Panel(r orgRow) panelView {
	return panelView{Row: r, CSRF: v.CSRF, Standard: v.Standard, Links: v.Links}
}

// linkView is one of the user's links, with its Remove button.
type linkView struct {
	Link oauth.Link
	CSRF string
}

// Link returns l as the list of links shows it.
func (v orgsPageView) Link(l oauth.Link) linkView { return linkView{Link: l, CSRF: v.CSRF} }
