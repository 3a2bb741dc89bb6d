//go:build linux

package main

// The Orgs page as the real tray serves it, in real headless Chromium:
// opened from the menu's header, searched, a quick link, and Reconnect all
// signing the dead orgs in again one after another.

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/meshmesh/meshmesh/oauth"
	"github.com/meshmesh/meshmesh/tray/traytest"
)

// orgsPageBrowser makes the browser the tray launches: the URL it opens
// while the file pageNext is there (the Connections page's one-shot
// redirect, which the test asks for next) is written to opened, for
// Chromium; any other, a sign-in or a frontdoor's one-shot redirect, goes
// to the scripted browser, which signs in as the login hint and logs where
// it landed.
func orgsPageBrowser(t *testing.T, e *e2e) (opened, pageNext string) {
	t.Helper()
	opened = filepath.Join(e.root, "opened.txt")
	pageNext = filepath.Join(e.root, "page-next")
	script := filepath.Join(e.root, "browser.sh")
	if err := os.WriteFile(script, []byte(`#!/bin/sh
if [ -e '`+pageNext+`' ]; then
	rm -f '`+pageNext+`'
	printf '%s\n' "$1" >> '`+opened+`'
	exit 0
fi
exec env SFTEST_BROWSER=1 MESHMESH_TEST_MAIN=0 SFTEST_BROWSER_LOG='`+e.env["SFTEST_BROWSER_LOG"]+`' '`+os.Args[0]+`' "$1"
`), 0o700); err != nil {
		t.Fatal(err)
	}
	e.env["BROWSER"] = script
	e.env["SFTEST_USER"] = "" // sign in as the login hint: a reconnect's user
	return opened, pageNext
}

// openedPage waits for the tray to open the page (the n-th time) and
// returns the URL it gave the browser.
func openedPage(t *testing.T, opened string, n int) string {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		data, _ := os.ReadFile(opened)
		if lines := strings.Split(strings.TrimSpace(string(data)), "\n"); len(lines) >= n && lines[n-1] != "" {
			return lines[n-1]
		}
		if time.Now().After(deadline) {
			t.Fatal("the tray opened no page")
		}
	}
}

// jsEval evaluates x in the page.
func jsEval[T any](t *testing.T, ctx context.Context, x string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](x))
	if err != nil {
		t.Fatalf("%s: %v", x, err)
	}
	return v
}

func jsQuote(s string) string { b, _ := json.Marshal(s); return string(b) }

// shownRows is the usernames of the Orgs view's rows not hidden.
const shownRows = `[...document.querySelectorAll("#rows tr:not(.panel-row)")].filter(r => !r.hidden).map(r => r.cells[2].textContent)`

// orgsPageScenario drives the Orgs page of e's running tray r: opened from
// the header, a search by org id and by instance host, a quick link, and
// Reconnect all for dead (whose tokens the test revoked and a check
// found dead).
func orgsPageScenario(t *testing.T, e *e2e, s *traytest.Session, r *trayRun, opened, pageNext string, n int, orgs []seeded, dead []seeded) {
	t.Helper()
	if err := os.WriteFile(pageNext, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r.tray.Click(t, "MeshMesh — ")
	pageURL := openedPage(t, opened, 1)
	ctx := traytest.Chromium(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(pageURL), chromedp.WaitVisible(chromedp.ID("q"))); err != nil {
		t.Fatal(err)
	}
	if got := jsEval[int](t, ctx, shownRows+`.length`); got != n {
		t.Errorf("the Orgs page shows %d orgs, want %d", got, n)
	}
	search := func(text string) []string {
		t.Helper()
		// As typed: the view filters on each input event.
		jsEval[bool](t, ctx, `(() => { const q = document.getElementById("q"); q.focus(); q.value = `+jsQuote(text)+`; q.dispatchEvent(new Event("input", {bubbles: true})); return true; })()`)
		var got []string
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if got = jsEval[[]string](t, ctx, shownRows); len(got) < n || text == "" {
				break
			}
		}
		return got
	}
	target := orgs[len(orgs)-1] // not one of dead: it opens
	for _, q := range []string{target.org.ID, strings.TrimPrefix(target.org.Host.URL, "http://")} {
		if got := search(q); len(got) != 1 || got[0] != target.user.Username {
			t.Errorf("search %q shows %v, want %s alone", q, got, target.user.Username)
		}
	}

	// A quick link from the row's actions: Setup, at the org's host.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#rows tr:not([hidden]) a.more`)),
		chromedp.WaitVisible(chromedp.ID("p-link"))); err != nil {
		t.Fatal(err)
	}
	if !jsEval[bool](t, ctx, `(() => { const s = document.getElementById("p-link"); s.value = `+jsQuote(oauth.SetupPath)+`;
		if (s.value !== `+jsQuote(oauth.SetupPath)+`) return false; s.dispatchEvent(new Event("change", {bubbles: true})); return true; })()`) {
		t.Fatal("the quick links offer no Setup")
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#p-link ~ button`))); err != nil {
		t.Fatal(err)
	}
	want := target.org.Host.URL + oauth.SetupPath
	e.waitVisit(func(v browserVisit) bool { return v.URL == want && v.Status == 200 })
	search("")

	// Reconnect all: each dead org signs in again, one after another.
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("reconnect-all")), chromedp.Click(chromedp.ID("reconnect-all"))); err != nil {
		t.Fatal(err)
	}
	for _, d := range dead {
		s.WaitNotification(t, titled("Connected to "+d.org.Name+" as "+d.user.Username))
	}
	for _, d := range dead {
		if c := e.find(d.user.Username); c["status"] != "connected" {
			t.Errorf("%s after Reconnect all: %v", d.user.Username, c["status"])
		}
	}
	// The page follows the tray: no org needs reconnect any more.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if jsEval[int](t, ctx, `document.querySelectorAll('#rows tr[data-s="needs_reconnect"]').length`) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the Orgs page still shows orgs needing reconnect")
		}
	}
}
