package page

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/meshmesh/meshmesh/oauth"
)

// orgsJS defines row(username), the row of an org, for the expressions
// of these tests.
const orgsJS = `const row = u => [...document.querySelectorAll("#rows tr")].find(r => !r.classList.contains("panel-row") && r.cells[2].textContent === u);
const shown = () => [...document.querySelectorAll("#rows tr:not(.panel-row)")].filter(r => !r.hidden).map(r => r.cells[2].textContent);
`

// js quotes s for an expression.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// orgsEval evaluates the expression x with the helpers of orgsJS.
func orgsEval[T any](t *testing.T, b *browser, x string) T {
	t.Helper()
	return eval[T](t, b, "(() => {"+orgsJS+"return ("+x+");})()")
}

func (b *browser) orgsWait(t *testing.T, what, x string) {
	t.Helper()
	b.waitFor(t, what, "(() => {"+orgsJS+"try { return !!("+x+"); } catch (e) { return false; }})()")
}

// openOrgs opens the page's URL with next as the tray does, and waits
// for the Orgs view's script.
func (b *browser) openOrgs(t *testing.T, w *world, next string) {
	t.Helper()
	b.do(t, chromedp.Navigate(w.url+"&next="+url.QueryEscape(next)))
	b.waitFor(t, "the Orgs view's script", `!!document.getElementById("orgs") && document.getElementById("orgs").hasAttribute("data-filter-ms")`)
}

// press focuses the element x and presses Enter on it, as a person with
// the keyboard does.
func (b *browser) press(t *testing.T, x string) {
	t.Helper()
	if !orgsEval[bool](t, b, `(() => { const el = `+x+`; if (!el) return false; el.focus(); return document.activeElement === el; })()`) {
		t.Fatalf("cannot focus %s (page: %s)", x, b.text(t))
	}
	b.do(t, chromedp.KeyEvent("\r"))
}

// retype replaces the text of the field x by typing value.
func (b *browser) retype(t *testing.T, x, value string) {
	t.Helper()
	if !orgsEval[bool](t, b, `(() => { const el = `+x+`; if (!el) return false; el.focus(); el.select(); return document.activeElement === el; })()`) {
		t.Fatalf("cannot focus %s", x)
	}
	b.do(t, chromedp.KeyEvent(value))
}

// search types text into the search box (after emptying it) and returns
// the usernames shown.
func (b *browser) search(t *testing.T, text string) []string {
	t.Helper()
	b.retype(t, `document.getElementById("q")`, text)
	if text == "" {
		orgsEval[bool](t, b, `(() => { const q = document.getElementById("q"); q.value = ""; q.dispatchEvent(new Event("input")); return true; })()`)
	}
	return orgsEval[[]string](t, b, `shown()`)
}

// choose picks value in the select id, as the keyboard would.
func (b *browser) choose(t *testing.T, id, value string) {
	t.Helper()
	if !orgsEval[bool](t, b, `(() => { const s = document.getElementById(`+js(id)+`); s.focus(); s.value = `+js(value)+`;
		if (s.value !== `+js(value)+`) return false; s.dispatchEvent(new Event("change", {bubbles: true})); return true; })()`) {
		t.Fatalf("the select %s has no %q", id, value)
	}
}

func (b *browser) openPanel(t *testing.T, username string) {
	t.Helper()
	if orgsEval[string](t, b, `row(`+js(username)+`).querySelector("a.more").getAttribute("aria-expanded") || ""`) != "true" {
		b.press(t, `row(`+js(username)+`).querySelector("a.more")`)
	}
	b.orgsWait(t, "the panel of "+username, `document.getElementById("panel-row") && document.getElementById("panel-row").previousElementSibling === row(`+js(username)+`)
		&& document.querySelector("#panel-row input[name=username]").value === `+js(username))
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	sort.Strings(a)
	sort.Strings(b)
	return slices.Equal(a, b)
}

// orgsLabelled checks that every control of the Orgs view has a name.
func orgsLabelled(t *testing.T, b *browser) {
	t.Helper()
	bad := eval[[]string](t, b, `[...document.querySelectorAll("input:not([type=hidden]), select, textarea, button, a")]
		.filter(e => !(e.labels && e.labels.length) && !e.getAttribute("aria-label") && !e.getAttribute("aria-labelledby") && !e.textContent.trim())
		.slice(0, 5).map(e => e.outerHTML)`)
	for _, e := range bad {
		t.Errorf("no name: %s", e)
	}
	if n := eval[int](t, b, `[...document.querySelectorAll("[tabindex]")].filter(e => e.tabIndex > 0).length`); n > 0 {
		t.Errorf("%d elements force the tab order", n)
	}
}

// The Orgs view in Chromium, with 5 and with 1,000 orgs, by keyboard:
// search by each field, the filters, pin, rename (a bad alias shows the
// tray's diagnosis by the field), set a group, quick links, the user's
// links, polling, bulk reconnect, remove with its confirm step.
func TestChromiumOrgs(t *testing.T) {
	for _, n := range []int{5, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) { orgsScenario(t, n) })
	}
}

func orgsScenario(t *testing.T, n int) {
	f := newFakeOrgs(n)
	w := orgsWorld(t, f)
	b := chromium(t)
	b.openOrgs(t, w, "/orgs")
	if loc := eval[string](t, b, `location.href`); loc != w.origin+"/orgs" {
		t.Errorf("the address bar shows %s, want %s/orgs", loc, w.origin)
	}
	orgsLabelled(t, b)
	if c := eval[string](t, b, `document.getElementById("count").textContent`); c != fmt.Sprintf("%d orgs", n) {
		t.Errorf("count %q", c)
	}
	first := orgsEval[[]string](t, b, `shown().slice(0, 2)`)
	if !slices.Equal(first, []string{"admin@acme.example", "ops@globex.example"}) {
		t.Errorf("first rows %v, want the favourites in their order", first)
	}

	// Search by each field.
	for _, tt := range []struct {
		query string
		want  []string
	}{
		{"globex", []string{"ops@globex.example"}},                              // alias
		{"TEST-abc123@", []string{"test-abc123@example.com"}},                   // username
		{"dreamhouse", []string{"test-abc123@example.com"}},                     // org name
		{"00D9w000000InitK", []string{"dev@initech.example"}},                   // org id
		{"acme--uat.sandbox", []string{"admin@acme.example.uat"}},               // instance host
		{"acme corp", []string{"admin@acme.example", "admin@acme.example.uat"}}, // every word
		{"nothing-like-this", nil},
	} {
		got := b.search(t, tt.query)
		if !sameSet(got, tt.want) {
			t.Errorf("search %q shows %v, want %v", tt.query, got, tt.want)
		}
		if tt.want == nil && !eval[bool](t, b, `!document.getElementById("none").hidden`) {
			t.Error("no \"No org matches\" when nothing matches")
		}
	}
	if got := b.search(t, ""); len(got) != n {
		t.Errorf("an empty search shows %d rows, want %d", len(got), n)
	}

	// Filters, alone and together.
	b.choose(t, "f-group", "Acme")
	if got := orgsEval[[]string](t, b, `shown()`); !sameSet(got, []string{"admin@acme.example", "admin@acme.example.uat"}) {
		t.Errorf("group Acme shows %v", got)
	}
	b.choose(t, "f-cat", "Sandbox")
	if got := orgsEval[[]string](t, b, `shown()`); !sameSet(got, []string{"admin@acme.example.uat"}) {
		t.Errorf("group Acme, Sandbox shows %v", got)
	}
	b.choose(t, "f-cat", "*")
	b.choose(t, "f-state", "connected")
	if got := orgsEval[[]string](t, b, `shown()`); !sameSet(got, []string{"admin@acme.example"}) {
		t.Errorf("group Acme, connected shows %v", got)
	}
	b.choose(t, "f-state", "*")
	b.choose(t, "f-group", "")
	if got := orgsEval[[]string](t, b, `shown()`); !sameSet(got, []string{"test-abc123@example.com", "dev@initech.example"}) {
		t.Errorf("no group shows %v", got)
	}
	b.choose(t, "f-group", "*")
	b.choose(t, "f-cat", "Scratch & Developer")
	b.choose(t, "f-state", "checking")
	if got := orgsEval[[]string](t, b, `shown()`); !sameSet(got, []string{"test-abc123@example.com"}) {
		t.Errorf("scratch, checking shows %v", got)
	}
	b.search(t, "zzz-nothing")
	b.press(t, `document.getElementById("clear")`)
	if !eval[bool](t, b, `document.activeElement.id === "q" && document.getElementById("f-group").value === "*" && document.getElementById("none").hidden`) {
		t.Error("Clear left the search or a filter, or the focus elsewhere")
	}
	b.choose(t, "f-cat", "*")
	b.choose(t, "f-state", "*")
	if got := orgsEval[[]string](t, b, `shown()`); len(got) != n {
		t.Errorf("after clearing: %d rows", len(got))
	}

	// Pin with the row's star: the tray pins it, and the next view moves
	// it after the other favourites, keeping the focus on the star.
	b.press(t, `row("test-abc123@example.com").querySelector("button.pin")`)
	if a := f.next(t, b.ctx); a != (OrgAction{Kind: OrgPin, Username: "test-abc123@example.com"}) {
		t.Errorf("the star asked %+v", a)
	}
	b.orgsWait(t, "the pinned org third", `shown()[2] === "test-abc123@example.com" && row("test-abc123@example.com").querySelector(".pin").getAttribute("aria-pressed") === "true"`)
	if !orgsEval[bool](t, b, `document.activeElement === row("test-abc123@example.com").querySelector(".pin")`) {
		t.Error("the focus left the star when the row moved")
	}

	// Open from the row: home.
	b.press(t, `row("ops@globex.example").querySelector("button.open")`)
	if a := f.next(t, b.ctx); a != (OrgAction{Kind: OrgOpen, Username: "ops@globex.example"}) {
		t.Errorf("Open asked %+v", a)
	}

	// Rename with an invalid alias: the tray's diagnosis, by the field.
	b.openPanel(t, "ops@globex.example")
	b.retype(t, `document.getElementById("p-alias")`, "bad alias!")
	b.do(t, chromedp.KeyEvent("\r"))
	if a := f.next(t, b.ctx); a != (OrgAction{Kind: OrgAlias, Username: "ops@globex.example", Value: "bad alias!"}) {
		t.Errorf("Rename asked %+v", a)
	}
	b.orgsWait(t, "the alias diagnosis", `document.getElementById("p-alias-msg").textContent.includes('Invalid alias "bad alias!"')
		&& document.getElementById("p-alias-msg").textContent.includes("An alias is 1 to 64")`)
	if inv := eval[string](t, b, `document.getElementById("p-alias").getAttribute("aria-invalid") || ""`); inv != "true" {
		t.Errorf("aria-invalid=%q after a refused alias", inv)
	}
	b.screenshot(t, "orgs-diagnosis.png")
	b.retype(t, `document.getElementById("p-alias")`, "globex-prod")
	b.do(t, chromedp.KeyEvent("\r"))
	f.next(t, b.ctx)
	b.orgsWait(t, "the new alias in the row", `row("ops@globex.example").cells[1].textContent === "globex-prod" && document.getElementById("p-alias-msg").textContent === "Renamed."`)

	// Set the group: a new one, which the datalist and the filter offer next.
	b.retype(t, `document.getElementById("p-group")`, "Clients")
	b.do(t, chromedp.KeyEvent("\r"))
	if a := f.next(t, b.ctx); a != (OrgAction{Kind: OrgGroup, Username: "ops@globex.example", Value: "Clients"}) {
		t.Errorf("Set group asked %+v", a)
	}
	b.orgsWait(t, "the new group", `row("ops@globex.example").cells[5].textContent === "Clients"
		&& [...document.querySelectorAll("#groups option")].some(o => o.value === "Clients")
		&& [...document.getElementById("f-group").options].some(o => o.value === "Clients")`)

	// Quick links: a standard one, the user's own.
	b.choose(t, "p-link", oauth.SetupPath)
	b.press(t, `document.querySelector("#p-link ~ button")`)
	if a := f.next(t, b.ctx); a != (OrgAction{Kind: OrgOpen, Username: "ops@globex.example", Path: oauth.SetupPath}) {
		t.Errorf("the Setup link asked %+v", a)
	}
	b.choose(t, "p-link", "/lightning/setup/AsyncApexJobs/home")
	b.press(t, `document.querySelector("#p-link ~ button")`)
	if a := f.next(t, b.ctx); a.Path != "/lightning/setup/AsyncApexJobs/home" || a.Kind != OrgOpen {
		t.Errorf("the user's link asked %+v", a)
	}

	// Add a link of the user's own: every org offers it next.
	b.retype(t, `document.getElementById("link-name")`, "Apex Classes")
	b.retype(t, `document.getElementById("link-path")`, "/lightning/setup/ApexClasses/home")
	b.do(t, chromedp.KeyEvent("\r"))
	if a := f.next(t, b.ctx); a != (OrgAction{Kind: OrgAddLink, Path: "/lightning/setup/ApexClasses/home", Value: "Apex Classes"}) {
		t.Errorf("Add link asked %+v", a)
	}
	b.orgsWait(t, "the new link", `document.getElementById("link-list").textContent.includes("Apex Classes")
		&& [...document.getElementById("p-link").options].some(o => o.value === "/lightning/setup/ApexClasses/home")
		&& [...document.getElementById("panel-tpl").content.querySelector("select").options].some(o => o.value === "/lightning/setup/ApexClasses/home")`)
	// A bad path: the diagnosis by the form, and nothing reaches the tray.
	before := len(f.actions())
	b.retype(t, `document.getElementById("link-name")`, "Evil")
	b.retype(t, `document.getElementById("link-path")`, "https://evil.example/")
	b.do(t, chromedp.KeyEvent("\r"))
	b.orgsWait(t, "the path diagnosis", `document.getElementById("add-link-msg").textContent.includes("Not a page of the org")`)
	// And remove the user's first link.
	b.press(t, `document.querySelector("#link-list li button")`)
	if a := f.next(t, b.ctx); a != (OrgAction{Kind: OrgRemoveLink, Path: "/lightning/setup/AsyncApexJobs/home"}) {
		t.Errorf("Remove link asked %+v", a)
	}
	if got := len(f.actions()); got != before+1 {
		t.Errorf("%d actions, want only the removal", got-before)
	}
	b.orgsWait(t, "the link gone", `!document.getElementById("link-list").textContent.includes("Apex Jobs")`)

	// Polling: the tray changes an org and adds one on its own.
	f.change(func(v *OrgsView) {
		i := slices.IndexFunc(v.Orgs, func(o Org) bool { return o.Username == "dev@initech.example" })
		v.Orgs[i].State, v.Orgs[i].StateText = "needs_reconnect", "Needs reconnect"
		v.Orgs = append(v.Orgs, Org{Username: "new@hooli.example", Alias: "hooli", OrgName: "Hooli", OrgID: "00D000000000Hool",
			InstanceURL: "https://hooli.my.salesforce.com", Category: "Production", State: "connected", StateText: "Connected"})
	})
	b.orgsWait(t, "the polled changes", `row("dev@initech.example").querySelector(".st").textContent === "Needs reconnect"
		&& row("dev@initech.example").getAttribute("data-s") === "needs_reconnect"
		&& row("new@hooli.example") && row("new@hooli.example").cells[3].textContent === "Hooli"
		&& document.getElementById("need").textContent === `+js(fmt.Sprint(f.needing())))
	if got := b.search(t, "hooli.my"); !slices.Equal(got, []string{"new@hooli.example"}) {
		t.Errorf("search finds the new org's host as %v", got)
	}
	b.search(t, "")

	// Reconnect all: the tray queues them, the page says so.
	b.press(t, `document.getElementById("reconnect-all")`)
	if a := f.next(t, b.ctx); a != (OrgAction{Kind: OrgReconnectAll}) {
		t.Errorf("Reconnect all asked %+v", a)
	}
	queued := fmt.Sprintf("Signing in to acme-uat. %d queued.", f.needing()-1)
	b.orgsWait(t, queued, `document.getElementById("queue").textContent === `+js(queued))

	// Remove asks to confirm on the page first.
	b.openPanel(t, "ops@globex.example")
	before = len(f.actions())
	b.press(t, `document.querySelector("#p-remove summary")`)
	b.waitFor(t, "the confirm step", `document.getElementById("p-remove").open && document.activeElement.textContent === "Yes, remove"`)
	if got := eval[string](t, b, `document.querySelector("#p-remove .p-form").innerText`); !strings.Contains(got, "Remove ops@globex.example from MeshMesh?") {
		t.Errorf("the confirm step says %q", got)
	}
	b.screenshot(t, "orgs-remove.png")
	if len(f.actions()) != before {
		t.Fatal("opening the confirm step removed the org")
	}
	b.press(t, `document.querySelector("#p-remove .p-cancel")`)
	b.waitFor(t, "the confirm step closed", `!document.getElementById("p-remove").open`)
	b.press(t, `document.querySelector("#p-remove summary")`)
	b.waitFor(t, "the confirm step", `document.activeElement.textContent === "Yes, remove"`)
	b.do(t, chromedp.KeyEvent("\r"))
	if a := f.next(t, b.ctx); a != (OrgAction{Kind: OrgRemove, Username: "ops@globex.example"}) {
		t.Errorf("Remove asked %+v", a)
	}
	b.orgsWait(t, "the row gone", `!row("ops@globex.example") && !document.getElementById("panel-row") && document.activeElement.id === "q"`)
	if c := eval[string](t, b, `document.getElementById("count").textContent`); c != fmt.Sprintf("%d orgs", n) {
		t.Errorf("count after one added and one removed: %q", c)
	}
}

// The script redraws a row from /orgs.json as the server drew it: after a
// new version (with nothing changed) every row is refilled, and reads the
// same.
func TestChromiumOrgsRowsRedrawnAsServed(t *testing.T) {
	f := newFakeOrgs(40)
	w := orgsWorld(t, f)
	b := chromium(t)
	b.openOrgs(t, w, "/orgs")
	const rowsHTML = `[...document.querySelectorAll("#rows tr")].map(r => r.outerHTML)`
	before := eval[[]string](t, b, rowsHTML)
	f.change(func(*OrgsView) {})
	b.waitFor(t, "the new version", `document.getElementById("orgs").getAttribute("data-version") === "2"`)
	after := eval[[]string](t, b, rowsHTML)
	if len(before) != len(after) {
		t.Fatalf("%d rows, then %d", len(before), len(after))
	}
	for i := range before {
		if before[i] != after[i] {
			t.Errorf("row %d served:\n%s\nredrawn:\n%s", i, before[i], after[i])
		}
	}
	// A row made from the template, as the server makes it.
	served := orgsEval[string](t, b, `row("ops@globex.example").outerHTML`)
	f.change(func(v *OrgsView) {
		v.Orgs = slices.DeleteFunc(v.Orgs, func(o Org) bool { return o.Username == "ops@globex.example" })
	})
	b.orgsWait(t, "globex gone", `!row("ops@globex.example")`)
	globex := fiveOrgs[2]
	globex.LastUsed = f.org(t, "admin@acme.example").LastUsed.Add(2 * time.Hour)
	f.change(func(v *OrgsView) { v.Orgs = append(v.Orgs, globex) })
	b.orgsWait(t, "globex back", `!!row("ops@globex.example")`)
	if made := orgsEval[string](t, b, `row("ops@globex.example").outerHTML`); made != served {
		t.Errorf("served:\n%s\nmade by the script:\n%s", served, made)
	}
}

// The tray opens the page straight at one org: ?org= (OrgsURL) or
// #org=, with the focus in the field the menu asked for.
func TestChromiumOrgsDirect(t *testing.T) {
	f := newFakeOrgs(1000)
	w := orgsWorld(t, f)
	b := chromium(t)
	u, err := w.srv.OrgsURL(b.ctx, "dev@initech.example", "group")
	if err != nil {
		t.Fatal(err)
	}
	b.do(t, chromedp.Navigate(u))
	b.orgsWait(t, "the org's panel, the focus on its group", `document.activeElement.id === "p-group"
		&& document.getElementById("panel-row").previousElementSibling === row("dev@initech.example")
		&& row("dev@initech.example").querySelector("a.more").getAttribute("aria-expanded") === "true"`)
	if loc := eval[string](t, b, `location.pathname + location.search`); loc != "/orgs?field=group&org=dev%40initech.example" {
		t.Errorf("address bar %s", loc)
	}
	// Its Set group works there, and Escape closes the panel.
	b.do(t, chromedp.KeyEvent("Initech"))
	b.do(t, chromedp.KeyEvent("\r"))
	if a := f.next(t, b.ctx); a != (OrgAction{Kind: OrgGroup, Username: "dev@initech.example", Value: "Initech"}) {
		t.Errorf("Set group asked %+v", a)
	}
	b.orgsWait(t, "the group", `row("dev@initech.example").cells[5].textContent === "Initech"`)
	b.do(t, chromedp.KeyEvent("\x1b"))
	b.orgsWait(t, "the panel closed, the focus on Actions", `!document.getElementById("panel-row") && document.activeElement === row("dev@initech.example").querySelector("a.more")`)

	// The fragment: through the token's redirect, which keeps it.
	b.do(t, chromedp.Navigate(w.url+"&next=%2Forgs#org="+url.QueryEscape("client0500-prod")))
	b.do(t, chromedp.Navigate(w.url+"&next=%2Forgs#org="+url.QueryEscape("user0998@client098.example.com")+"&field=alias"))
	b.orgsWait(t, "the fragment's org", `document.activeElement.id === "p-alias" && document.querySelector("#panel-row input[name=username]").value === "user0998@client098.example.com"`)
	if y := orgsEval[float64](t, b, `row("user0998@client098.example.com").getBoundingClientRect().top`); y < 0 || y > 900 {
		t.Errorf("the org's row is at y=%v, out of sight", y)
	}
}

// At 1,000 orgs: how long a search keystroke takes to apply (measured,
// not asserted), screenshots, and the page not scrolling sideways at
// 200% zoom (the table scrolls in its box).
func TestChromiumOrgsThousand(t *testing.T) {
	f := newFakeOrgs(1000)
	w := orgsWorld(t, f)
	b := chromium(t)
	b.openOrgs(t, w, "/orgs")

	// Keystrokes through the keyboard: the filter's own time.
	b.focusLabel(t, "Search")
	var filterMs []string
	for _, k := range "client0999" {
		b.do(t, chromedp.KeyEvent(string(k)))
		filterMs = append(filterMs, eval[string](t, b, `document.getElementById("orgs").getAttribute("data-filter-ms")`))
	}
	t.Logf("filter per keystroke at 1,000 rows (ms): %s", strings.Join(filterMs, " "))
	// With style and layout: the input event, then a forced layout.
	timing := eval[string](t, b, `(() => {
		const q = document.getElementById("q"), out = [];
		for (const text of ["", "a", "ac", "acm", "acme", "", "c", "cl", "client", "client09", "client099", "", "00d", "00d9w", "", "z", ""]) {
			const t0 = performance.now();
			q.value = text;
			q.dispatchEvent(new Event("input"));
			const t1 = performance.now();
			document.body.offsetHeight;
			out.push((t1 - t0).toFixed(2) + "/" + (performance.now() - t0).toFixed(2));
		}
		return out.join(" ");
	})()`)
	t.Logf("filter/filter+layout at 1,000 rows (ms): %s", timing)

	if dir := os.Getenv("MESHMESH_ORGS_SHOTS"); dir != "" {
		b.do(t, chromedp.EmulateViewport(1280, 1100))
		png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
		if err == nil {
			os.WriteFile(dir+"/orgs-top.png", png, 0o644)
		}
		// The whole page, as far as Chromium paints one capture.
		h := min(eval[int64](t, b, `document.documentElement.scrollHeight`), 16000)
		b.do(t, chromedp.EmulateViewport(1280, h))
		full, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
		if err == nil {
			os.WriteFile(dir+"/orgs.png", full, 0o644)
		}
		b.openPanelShot(t, dir)
	}

	// 200% zoom and a narrow window.
	for _, width := range []int64{500, 320} {
		b.do(t, chromedp.EmulateViewport(width, 900, chromedp.EmulateScale(2)))
		b.waitFor(t, "the new viewport", fmt.Sprintf("window.innerWidth === %d", width))
		if over := eval[string](t, b, overflowJS); over != "" {
			t.Errorf("at %d CSS pixels: %s", width, over)
		}
		if !eval[bool](t, b, `(() => { const s = document.querySelector(".table-scroll"); return s.scrollWidth > s.clientWidth; })()`) {
			t.Errorf("at %d CSS pixels the table does not scroll in its box", width)
		}
	}
	b.openPanel(t, "ops@globex.example")
	for _, width := range []int64{500, 320} {
		b.do(t, chromedp.EmulateViewport(width, 900, chromedp.EmulateScale(2)))
		b.waitFor(t, "the new viewport", fmt.Sprintf("window.innerWidth === %d", width))
		if over := eval[string](t, b, overflowJS); over != "" {
			t.Errorf("at %d CSS pixels with a panel open: %s", width, over)
		}
	}
	if dir := os.Getenv("MESHMESH_ORGS_SHOTS"); dir != "" {
		b.do(t, chromedp.EmulateViewport(500, 1400, chromedp.EmulateScale(2)))
		orgsEval[bool](t, b, `(window.scrollTo(0, 0), true)`)
		png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
		if err == nil {
			os.WriteFile(dir+"/orgs-zoom.png", png, 0o644)
		}
	}
}

// openPanelShot saves the view with one org's actions open.
func (b *browser) openPanelShot(t *testing.T, dir string) {
	t.Helper()
	b.do(t, chromedp.EmulateViewport(1280, 1100))
	b.openPanel(t, "admin@acme.example.uat")
	orgsEval[bool](t, b, `(window.scrollTo(0, 0), true)`)
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err == nil {
		os.WriteFile(dir+"/orgs-panel.png", png, 0o644)
	}
	b.press(t, `document.querySelector(".p-close")`)
}

// A column's header sorts by it, ascending then descending, then back to
// favourites first.
func TestChromiumOrgsSort(t *testing.T) {
	f := newFakeOrgs(5)
	w := orgsWorld(t, f)
	b := chromium(t)
	b.openOrgs(t, w, "/orgs")
	served := orgsEval[[]string](t, b, `shown()`)
	const header = `[...document.querySelectorAll("button.sort")].find(e => e.textContent === "Username")`
	b.press(t, header)
	asc := slices.Clone(served)
	sort.Strings(asc)
	if got := orgsEval[[]string](t, b, `shown()`); !slices.Equal(got, asc) {
		t.Errorf("by username: %v, want %v", got, asc)
	}
	if s := orgsEval[string](t, b, header+`.parentNode.getAttribute("aria-sort")`); s != "ascending" {
		t.Errorf("aria-sort %q", s)
	}
	b.press(t, header)
	desc := slices.Clone(asc)
	slices.Reverse(desc)
	if got := orgsEval[[]string](t, b, `shown()`); !slices.Equal(got, desc) {
		t.Errorf("by username, descending: %v, want %v", got, desc)
	}
	b.press(t, header)
	if got := orgsEval[[]string](t, b, `shown()`); !slices.Equal(got, served) {
		t.Errorf("back to favourites first: %v, want %v", got, served)
	}
	if s := orgsEval[bool](t, b, header+`.parentNode.hasAttribute("aria-sort")`); s {
		t.Error("aria-sort left on the header")
	}
}
