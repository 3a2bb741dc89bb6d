package page

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/meshmesh/meshmesh/oauth"
	"github.com/meshmesh/meshmesh/tray/traytest"
)

// browser is a headless Chromium tab, and what its pages complained of:
// script errors and console messages such as CSP violations.
type browser struct {
	ctx context.Context

	mu       sync.Mutex
	problems []string
	allowed  []string // problems a test expects
}

// allow has b accept problems that say text.
func (b *browser) allow(text string) {
	b.mu.Lock()
	b.allowed = append(b.allowed, text)
	b.mu.Unlock()
}

// chromium starts a headless Chromium for t. MESHMESH_SCREENSHOTS names a
// folder to keep screenshots in.
func chromium(t *testing.T) *browser {
	t.Helper()
	b := &browser{}
	ctx := traytest.Chromium(t, chromedp.WithListener(b.listen))
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	b.ctx = ctx
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
	problems:
		for _, p := range b.problems {
			for _, a := range b.allowed {
				if strings.Contains(p, a) {
					continue problems
				}
			}
			t.Errorf("the browser says: %s", p)
		}
	})
	return b
}

// listen records script errors and console warnings and errors.
func (b *browser) listen(ev any) {
	var p string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		p = "exception: " + ev.ExceptionDetails.Text
		if ev.ExceptionDetails.Exception != nil {
			p += " " + ev.ExceptionDetails.Exception.Description
		}
	case *cdplog.EventEntryAdded:
		if ev.Entry.Level == cdplog.EntryLevelError || ev.Entry.Level == cdplog.EntryLevelWarning {
			p = fmt.Sprintf("%s %s: %s (%s)", ev.Entry.Source, ev.Entry.Level, ev.Entry.Text, ev.Entry.URL)
		}
	}
	if p != "" && !strings.Contains(p, "favicon") {
		b.mu.Lock()
		b.problems = append(b.problems, p)
		b.mu.Unlock()
	}
}

func (b *browser) do(t *testing.T, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func eval[T any](t *testing.T, b *browser, js string) T {
	t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

// waitFor waits until the expression js is true on the page. The page's
// CSP forbids the eval that chromedp.Poll uses, so it asks again and again.
func (b *browser) waitFor(t *testing.T, what, js string) {
	t.Helper()
	for {
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](js))
		if err == nil && ok {
			return
		}
		select {
		case <-b.ctx.Done():
			t.Fatalf("waiting for %s: %v (page: %s)", what, b.ctx.Err(), b.text(t))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// statusHas waits until the status region says text.
func (b *browser) statusHas(t *testing.T, text string) {
	t.Helper()
	js, _ := json.Marshal(text)
	b.waitFor(t, fmt.Sprintf("the status to say %q", text), `document.getElementById("status").textContent.includes(`+string(js)+`)`)
}

func (b *browser) text(t *testing.T) string {
	s, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	return s
}

// focusLabel moves the keyboard focus to the control of the label that
// starts with text, as a person tabbing to it would.
func (b *browser) focusLabel(t *testing.T, text string) {
	t.Helper()
	js, _ := json.Marshal(text)
	ok := eval[bool](t, b, `(() => {
		const l = [...document.querySelectorAll("label")].find(l => l.textContent.trim().startsWith(`+string(js)+`));
		if (!l || !l.control) return false;
		l.control.focus();
		return document.activeElement === l.control;
	})()`)
	if !ok {
		t.Fatalf("no focusable control labelled %q", text)
	}
}

// focusButton moves the focus to the button or link that says text.
func (b *browser) focusButton(t *testing.T, text string) {
	t.Helper()
	js, _ := json.Marshal(text)
	ok := eval[bool](t, b, `(() => {
		const el = [...document.querySelectorAll("button, a")].find(e => e.textContent.trim() === `+string(js)+`);
		if (!el) return false;
		el.focus();
		return document.activeElement === el;
	})()`)
	if !ok {
		t.Fatalf("no focusable button %q (page: %s)", text, b.text(t))
	}
}

// pick selects the radio button labelled text with the keyboard.
func (b *browser) pick(t *testing.T, text string) {
	t.Helper()
	b.focusLabel(t, text)
	b.do(t, chromedp.KeyEvent(" "))
	if !eval[bool](t, b, `document.activeElement.checked`) {
		t.Fatalf("Space did not pick %q", text)
	}
}

// typeInto types value into the field labelled label.
func (b *browser) typeInto(t *testing.T, label, value string) {
	t.Helper()
	b.focusLabel(t, label)
	b.do(t, chromedp.KeyEvent(value))
}

func (b *browser) screenshot(t *testing.T, name string) {
	t.Helper()
	dir := os.Getenv("MESHMESH_SCREENSHOTS")
	if dir == "" {
		return
	}
	// A viewport as tall as the page: a capture beyond the viewport can
	// leave parts unpainted.
	w := eval[int64](t, b, `window.innerWidth`)
	h := eval[int64](t, b, `document.documentElement.scrollHeight`)
	b.do(t, chromedp.EmulateViewport(w, h))
	defer b.do(t, chromedp.ResetViewport())
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Log(err)
	}
}

// open opens the page's URL as the tray does, and checks that the token
// has left the address bar.
func (b *browser) open(t *testing.T, w *world) {
	t.Helper()
	b.do(t, chromedp.Navigate(w.url), chromedp.WaitVisible(chromedp.ID("connect")))
	loc := eval[string](t, b, `location.href`)
	if loc != w.origin+"/" {
		t.Errorf("the address bar shows %s, want %s/", loc, w.origin)
	}
}

// started waits for the connector to start an attempt.
func started(t *testing.T, b *browser, w *world) string {
	t.Helper()
	select {
	case id := <-w.conn.started:
		return id
	case <-b.ctx.Done():
		t.Fatalf("no attempt started (page: %s)", b.text(t))
		return ""
	}
}

// A person connects a Custom Connected App on a Sandbox with the keyboard
// alone: progress, then success.
func TestChromiumConnect(t *testing.T) {
	w := newWorld(t)
	b := chromium(t)
	b.open(t, w)

	labelled(t, b)
	b.pick(t, "Custom Connected App")
	b.pick(t, "Sandbox")
	b.typeInto(t, "Client ID", "3MVG9-client-id")
	b.typeInto(t, "Client Secret", secret)
	b.typeInto(t, "Alias", "acme-uat")
	b.screenshot(t, "page-form.png")

	b.focusButton(t, "Connect")
	b.do(t, chromedp.KeyEvent("\r"))
	id := started(t, b, w)
	b.statusHas(t, "Waiting for you to sign in in your browser…")
	b.statusHas(t, "Open the Salesforce sign-in page")
	b.screenshot(t, "page-progress.png")

	w.conn.finish(id)
	b.statusHas(t, "Connected to Acme Corp")
	b.statusHas(t, "admin@acme.example")
	b.waitFor(t, "the focus on the result", `document.activeElement.classList.contains("result-title")`)
	b.screenshot(t, "page-result.png")

	got := w.conn.lastRequest(t)
	want := Request{Method: oauth.CustomApp, Target: oauth.Target{Environment: oauth.Sandbox},
		ClientID: "3MVG9-client-id", ClientSecret: secret, Scopes: oauth.DefaultScopes, Alias: "acme-uat"}
	if got.Method != want.Method || got.Target != want.Target || got.ClientID != want.ClientID ||
		got.ClientSecret != want.ClientSecret || got.Alias != want.Alias || strings.Join(got.Scopes, " ") != strings.Join(want.Scopes, " ") {
		t.Errorf("request %+v, want %+v", got, want)
	}
	if v := eval[string](t, b, `document.getElementById("client_secret").value`); v != "" {
		t.Error("the secret is still in its field after connecting")
	}
	if strings.Contains(w.log.String(), secret) {
		t.Error("the log holds the secret")
	}
}

// A failure shows the diagnosis; "Switch to Sandbox and retry" connects
// again on the Sandbox with the same secret, which never left the page.
func TestChromiumRetryOnSandbox(t *testing.T) {
	w := newWorld(t)
	w.conn.outcome = grantTypeMismatch
	b := chromium(t)
	b.open(t, w)

	connectCustomApp(t, b, w)
	b.statusHas(t, "Grant type not supported")
	b.statusHas(t, "Open install page")
	b.screenshot(t, "page-diagnosis.png")
	if req := w.conn.lastRequest(t); req.Target.Environment != oauth.Production {
		t.Fatalf("first attempt on %s", req.Target.Environment)
	}

	b.focusButton(t, "Switch to Sandbox and retry")
	b.do(t, chromedp.KeyEvent("\r"))
	id := started(t, b, w)
	req := w.conn.lastRequest(t)
	if req.Target.Environment != oauth.Sandbox || req.ClientSecret != secret || req.ClientID != "3MVG9-client-id" {
		t.Errorf("the retry asked for %+v", req)
	}
	if !eval[bool](t, b, `document.getElementById("env-sandbox").checked`) {
		t.Error("the picker does not show Sandbox after the retry")
	}
	w.conn.finish(id)
	b.statusHas(t, "Connected to Acme Corp")
}

// connectCustomApp connects with a Custom Connected App by keyboard and
// lets the attempt end as w's connector says.
func connectCustomApp(t *testing.T, b *browser, w *world) {
	t.Helper()
	b.pick(t, "Custom Connected App")
	b.typeInto(t, "Client ID", "3MVG9-client-id")
	b.typeInto(t, "Client Secret", secret)
	b.focusButton(t, "Connect")
	b.do(t, chromedp.KeyEvent("\r"))
	w.conn.finish(started(t, b, w))
}

// A form with errors clears the last attempt's result: its fix buttons
// would run what the form no longer says.
func TestChromiumErrorsClearTheLastResult(t *testing.T) {
	w := newWorld(t)
	w.conn.outcome = grantTypeMismatch
	b := chromium(t)
	b.open(t, w)

	connectCustomApp(t, b, w)
	b.statusHas(t, "Switch to Sandbox and retry")

	b.pick(t, "Custom Domain")
	b.typeInto(t, "My Domain URL", "acme.lightning.force.com")
	b.focusButton(t, "Connect")
	b.do(t, chromedp.KeyEvent("\r"))
	b.waitFor(t, "the Lightning message", `document.getElementById("domain-msg").textContent.includes("https://acme.my.salesforce.com")`)
	b.waitFor(t, "the old result to go", `!document.body.textContent.includes("Switch to Sandbox and retry")`)
}

// A Lightning host typed as the custom domain is refused as it is typed,
// with the My Domain host to use; the custom install URL follows the field.
func TestChromiumValidatesAsYouType(t *testing.T) {
	w := newWorld(t)
	b := chromium(t)
	b.open(t, w)

	b.pick(t, "Custom Domain")
	b.typeInto(t, "My Domain URL", "acme.lightning.force.com")
	b.waitFor(t, "the Lightning message", `document.getElementById("domain-msg").textContent.includes("https://acme.my.salesforce.com")`)
	if inv := eval[string](t, b, `document.getElementById("domain").getAttribute("aria-invalid") || ""`); inv != "true" {
		t.Errorf("aria-invalid=%q on the domain field", inv)
	}
	if ids := eval[string](t, b, `document.getElementById("domain").getAttribute("aria-describedby")`); !strings.Contains(ids, "domain-msg") {
		t.Errorf("the domain field is not described by its message: %q", ids)
	}

	b.do(t, chromedp.KeyEvent(strings.Repeat("\b", len("lightning.force.com"))))
	b.do(t, chromedp.KeyEvent("my.salesforce.com"))
	b.waitFor(t, "the message to go", `document.getElementById("domain-msg").textContent === ""`)
	b.waitFor(t, "the custom install URL", `document.getElementById("install-custom").textContent.includes("https://acme.my.salesforce.com/packaging/installPackage.apexp")`)
	if w.conn.requestCount() != 0 {
		t.Error("typing connected")
	}

	// Connect without the custom app's Client ID: the message by the
	// field, and the focus on it.
	b.pick(t, "Custom Connected App")
	b.focusButton(t, "Connect")
	b.do(t, chromedp.KeyEvent("\r"))
	b.waitFor(t, "the missing Client ID", `document.getElementById("client_id-msg").textContent.includes("Consumer Key") && document.activeElement.id === "client_id"`)
	if w.conn.requestCount() != 0 {
		t.Error("a form with errors connected")
	}
}

// At 200% zoom (and on a narrow window) nothing overflows sideways: the
// form with every section open, and a diagnosis with its fixes.
func TestChromiumZoom(t *testing.T) {
	w := newWorld(t)
	w.conn.outcome = grantTypeMismatch
	b := chromium(t)
	b.open(t, w)
	b.pick(t, "Custom Connected App")
	b.pick(t, "Custom Domain")
	b.typeInto(t, "My Domain URL", "https://a-rather-long-company-name--uat-sandbox.sandbox.my.salesforce.com")
	b.typeInto(t, "Client ID", "3MVG9-client-id")
	b.focusButton(t, "Connect")
	b.do(t, chromedp.KeyEvent("\r"))
	w.conn.finish(started(t, b, w))
	b.statusHas(t, "Connected to Acme Corp")

	// 200% zoom of a 1000-pixel window is a 500-pixel-wide layout at a
	// device scale of 2; 320 CSS pixels is the narrowest WCAG asks for.
	for _, width := range []int64{500, 320} {
		b.do(t, chromedp.EmulateViewport(width, 900, chromedp.EmulateScale(2)))
		b.waitFor(t, "the new viewport", fmt.Sprintf("window.innerWidth === %d", width))
		if over := eval[string](t, b, overflowJS); over != "" {
			t.Errorf("at %d CSS pixels: %s", width, over)
		}
	}
	b.do(t, chromedp.EmulateViewport(500, 900, chromedp.EmulateScale(2)))
	b.screenshot(t, "page-zoom.png")
}

// overflowJS names what overflows the viewport sideways, or is "".
const overflowJS = `(() => {
	const w = window.innerWidth;
	if (document.documentElement.scrollWidth > w) {
		const wide = [...document.querySelectorAll("body *")]
			.filter(e => e.getBoundingClientRect().right > w + 0.5)
			.map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className ? "." + e.className : ""));
		return "scrollWidth " + document.documentElement.scrollWidth + " > " + w + ": " + wide.slice(0, 8).join(", ");
	}
	return "";
})()`

// labelled checks that every form control has a label, no tab order is
// forced, and each radio group has a legend.
func labelled(t *testing.T, b *browser) {
	t.Helper()
	bad := eval[[]string](t, b, `[...document.querySelectorAll("input:not([type=hidden]), select, textarea, button")]
		.filter(e => e.tagName === "BUTTON" ? !e.textContent.trim() : (e.labels.length === 0 && !e.getAttribute("aria-labelledby")))
		.map(e => e.outerHTML)`)
	for _, e := range bad {
		t.Errorf("no label: %s", e)
	}
	if n := eval[int](t, b, `[...document.querySelectorAll("[tabindex]")].filter(e => e.tabIndex > 0).length`); n > 0 {
		t.Errorf("%d elements force the tab order", n)
	}
	if n := eval[int](t, b, `[...document.querySelectorAll("input[type=radio]")].filter(e => !e.closest("fieldset") || !e.closest("fieldset").querySelector("legend")).length`); n > 0 {
		t.Errorf("%d radio buttons outside a fieldset with a legend", n)
	}
}

// Without JavaScript the page still works: the form posts, the attempt
// has its own page with a Refresh link, and the result shows there.
func TestChromiumWithoutJavaScript(t *testing.T) {
	w := newWorld(t)
	b := chromium(t)
	if _, err := chromedp.Call(b.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	b.open(t, w)
	b.pick(t, "Custom Connected App")
	b.pick(t, "Sandbox")
	b.typeInto(t, "Client ID", "3MVG9-client-id")
	b.typeInto(t, "Client Secret", secret)
	b.focusButton(t, "Connect")
	b.do(t, chromedp.KeyEvent("\r"))
	id := started(t, b, w)
	b.waitFor(t, "the attempt's page", `location.pathname.startsWith("/attempt/")`)
	b.statusHas(t, "Waiting for you to sign in in your browser…")
	if req := w.conn.lastRequest(t); req.ClientSecret != secret || req.Target.Environment != oauth.Sandbox {
		t.Errorf("request %+v", req)
	}

	w.conn.finish(id)
	b.focusButton(t, "Refresh")
	b.do(t, chromedp.KeyEvent("\r"))
	b.statusHas(t, "Connected to Acme Corp")
}

// A browser without the session (an old tab, another program's link) gets
// a styled page that says where to open the Connections page from.
func TestChromiumDenied(t *testing.T) {
	w := newWorld(t)
	b := chromium(t)
	b.allow("the server responded with a status of 403")
	b.do(t, chromedp.Navigate(w.origin+"/?token=stale"))
	b.waitFor(t, "the denied page", `document.querySelector("h1") !== null`)
	if text := eval[string](t, b, `document.querySelector("main").innerText`); !strings.Contains(text, "This link has expired") || !strings.Contains(text, "Open the Connections page from the MeshMesh menu.") {
		t.Errorf("the denied page says %q", text)
	}
	if r := eval[string](t, b, `getComputedStyle(document.querySelector(".card")).borderTopLeftRadius`); r == "0px" {
		t.Error("the denied page has no style sheet")
	}
	b.screenshot(t, "page-denied.png")
}

// A diagnosis that suggests another method switches the picker to it, and
// leaves the person there to fill it in.
func TestChromiumUseMethodFix(t *testing.T) {
	w := newWorld(t)
	w.conn.refuse = &oauth.Diagnosis{Code: oauth.SFCLIRequired, Title: "Salesforce CLI required",
		Advice: "Quick Connect signs in through the Salesforce CLI (sf), which is not installed.",
		Fixes:  []oauth.Fix{{Kind: oauth.FixUseMethod, Label: "Use a Custom Connected App", Method: oauth.CustomApp}}}
	b := chromium(t)
	b.open(t, w)
	b.focusButton(t, "Connect")
	b.do(t, chromedp.KeyEvent("\r"))
	b.statusHas(t, "Salesforce CLI required")
	if req := w.conn.lastRequest(t); req.Method != oauth.QuickConnect {
		t.Errorf("asked for %s", req.Method)
	}
	b.focusButton(t, "Use a Custom Connected App")
	b.do(t, chromedp.KeyEvent("\r"))
	b.waitFor(t, "the custom app picked and focused", `document.activeElement.id === "method-custom" && document.activeElement.checked`)
	if visible := eval[bool](t, b, `document.getElementById("client_id").offsetParent !== null`); !visible {
		t.Error("the Client ID field is not shown for the custom app")
	}
	if n := w.conn.requestCount(); n != 1 {
		t.Errorf("%d connections asked for, want 1: switching the method must not connect", n)
	}
}
