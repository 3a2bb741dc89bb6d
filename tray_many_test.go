//go:build linux

package main

// The tray of a person with many orgs, over dbusmenu as a panel reads it:
// 5 orgs are one list; 1,000 are favourites, recent, needs reconnect and
// groups, each submenu read only when opened.

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meshmesh/meshmesh/oauth"
	"github.com/meshmesh/meshmesh/tray/traytest"
)

// labels are the labels of it's children, separators aside.
func labels(it traytest.Item) []string {
	var out []string
	for _, c := range it.Children {
		if c.Type != "separator" {
			out = append(out, c.Label)
		}
	}
	return out
}

func TestTrayFewOrgs(t *testing.T) {
	s := traytest.New(t)
	e := newE2EIn(t, s.Session)
	e.env["SFTEST_BROWSER_LOG"] = filepath.Join(e.root, "browser.jsonl")
	opened, pageNext := orgsPageBrowser(t, e)
	orgs := e.seedOrgs(manyOrgs{n: 5, favourites: 1, groups: 2})
	r := e.startTray(s)
	tr := r.tray
	// Up to 15 orgs: one list, the favourite first, no groups.
	waitChecked(t, e, tr, 5)
	tr.WaitMenu(t, hasItem("★ ● client-000 — "+orgs[0].user.Username))
	top := labels(tr.Top(t))
	want := []string{"MeshMesh — 5 orgs", "Cancel sign-in", "★ ● client-000 — admin000@client000.example", "● client-001 — admin001@client001.example",
		"● client-002 — admin002@client002.example", "● client-003 — admin003@client003.example", "● client-004 — admin004@client004.example"}
	if strings.Join(top[:len(want)], "\n") != strings.Join(want, "\n") {
		t.Errorf("top of the menu:\n%s\nwant:\n%s", strings.Join(top, "\n"), strings.Join(want, "\n"))
	}
	actions := labels(tr.At(t, "client-001"))
	for _, l := range []string{"Open in browser", "Open Setup", "Open Object Manager", "Open Developer Console", "Reconnect", "Pin to favourites", "Move to group…", "Remove"} {
		if !strings.Contains(strings.Join(actions, "\n"), l) {
			t.Errorf("no %q in client-001's submenu %q", l, actions)
		}
	}

	t.Run("a quick link opens the org at its page through the frontdoor", func(t *testing.T) {
		e.sf.ResetRequests()
		tr.Click(t, "client-001", "Open Object Manager")
		v := e.waitVisit(func(v browserVisit) bool { return strings.HasSuffix(v.URL, oauth.ObjectManagerPath) })
		if !strings.HasPrefix(v.URL, orgs[1].org.Host.URL+"/") || v.Status != 200 {
			t.Errorf("landed on %s (%d), want %s%s", v.URL, v.Status, orgs[1].org.Host.URL, oauth.ObjectManagerPath)
		}
		if strings.Contains(v.Opened, "sid=") || strings.Contains(v.Opened, "otp=") {
			t.Errorf("the browser's argument carries a secret: %s", v.Opened)
		}
		reqs := e.requests("/services/oauth2/singleaccess")
		if len(reqs) != 1 || reqs[0].Query.Get("redirect_uri") != oauth.ObjectManagerPath {
			t.Errorf("singleaccess requests %+v, want one with redirect_uri=%s", reqs, oauth.ObjectManagerPath)
		}
		fd := e.requests("/secur/frontdoor.jsp")
		if len(fd) != 1 || fd[0].Query.Get("startURL") != oauth.ObjectManagerPath {
			t.Errorf("frontdoor requests %+v, want one going on to %s", fd, oauth.ObjectManagerPath)
		}
		// Opened: it is the most recent.
		if c := e.find("client-001"); c["last_used"] == nil {
			t.Errorf("client-001 has no last use after it was opened: %+v", c)
		}
	})

	t.Run("pin and unpin", func(t *testing.T) {
		tr.Click(t, "client-003", "Pin to favourites")
		tr.WaitMenu(t, func(m traytest.Item) bool {
			l := labels(m)
			return len(l) > 3 && strings.HasPrefix(l[3], "★ ● client-003")
		})
		tr.Click(t, "client-003", "Unpin from favourites")
		tr.WaitMenu(t, func(m traytest.Item) bool {
			return slices.Contains(labels(m), "● client-003 — admin003@client003.example")
		})
		if c := e.find("client-003"); c["favourite"] != float64(0) {
			t.Errorf("client-003 is still favourite %v", c["favourite"])
		}
	})

	t.Run("the Orgs page: search, quick link, Reconnect all", func(t *testing.T) {
		dead := orgs[2:4]
		for _, d := range dead {
			e.sf.RevokeRefreshTokens(d.user)
		}
		before := e.tokenRequests()
		tr.Click(t, "Check all connections")
		waitChecked(t, e, tr, before+5)
		tr.WaitMenu(t, hasItem("⚠ client-003 — needs reconnect"))
		orgsPageScenario(t, e, s, r, opened, pageNext, 5, orgs, dead)
	})
}

// find returns connection ref as meshmesh list --json says it.
func (e *e2e) find(ref string) map[string]any {
	e.t.Helper()
	for _, o := range decode[struct {
		Orgs []map[string]any `json:"orgs"`
	}](e.t, e.ok("list", "--json")).Orgs {
		if o["alias"] == ref || o["username"] == ref {
			return o
		}
	}
	e.t.Fatalf("no connection %q in meshmesh list", ref)
	return nil
}

func TestTrayThousandOrgs(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 orgs: not in -short")
	}
	s := traytest.New(t)
	e := newE2EIn(t, s.Session)
	e.env["SFTEST_BROWSER_LOG"] = filepath.Join(e.root, "browser.jsonl")
	opened, pageNext := orgsPageBrowser(t, e)
	start := time.Now()
	orgs := e.seedOrgs(manyOrgs{n: 1000, groups: 8, favourites: 8, recent: 6})
	t.Logf("1,000 orgs made and stored in %s", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	r := e.startTray(s)
	tr := r.tray
	top := tr.Top(t)
	for !strings.Contains(strings.Join(labels(top), "\n"), "MeshMesh — 1000 orgs") {
		time.Sleep(20 * time.Millisecond)
		top = tr.Top(t)
	}
	t.Logf("menu of 1,000 orgs shown %s after start", time.Since(start).Round(time.Millisecond))
	waitChecked(t, e, tr, 1000)
	t.Logf("1,000 orgs checked %s after start", time.Since(start).Round(time.Millisecond))
	top = tr.Top(t)
	if n := len(top.Children); n > 60 {
		t.Errorf("%d items at the top of the menu, want at most 60:\n%s", n, top)
	}
	got := strings.Join(labels(top), "\n")
	for _, want := range []string{"MeshMesh — 1000 orgs", "Find an org…", "Favourites", "★ ● client-000 — admin000@client000.example", "★ ● client-007-uat — ",
		"Recent", "● client-999-uat — ", "● client-995 — ", "Group 1 (50)", "Group 8 (50)", "Production (400)", "Sandbox (100)", "Scratch & Developer (100)"} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q at the top of the menu:\n%s", want, got)
		}
	}
	if strings.Contains(got, "client-994") {
		t.Errorf("6 recent orgs shown, want 5:\n%s", got)
	}
	// A group of more than 25 is split alphabetically, each part at most 25.
	parts := tr.At(t, "Group 1 (50)")
	if len(parts.Children) != 2 {
		t.Errorf("Group 1 of 50 orgs in %d parts, want 2:\n%s", len(parts.Children), parts)
	}
	prod := tr.At(t, "Production (")
	for _, p := range prod.Children {
		sub := tr.At(t, "Production (", p.Label)
		if len(sub.Children) == 0 || len(sub.Children) > 25 {
			t.Errorf("part %q of Production holds %d orgs", p.Label, len(sub.Children))
		}
	}
	if len(prod.Children) < 2 {
		t.Errorf("Production is not split:\n%s", prod)
	}

	t.Run("dead orgs lead from the top, told in one notification", func(t *testing.T) {
		for _, o := range orgs[100:105] {
			e.sf.RevokeRefreshTokens(o.user)
		}
		before := e.tokenRequests()
		tr.Click(t, "Check all connections")
		waitChecked(t, e, tr, before+1000)
		m := tr.WaitMenu(t, hasItem("Needs reconnect (5)"))
		_ = m
		dead := tr.At(t, "Needs reconnect (5)")
		if l := labels(dead); len(l) != 6 || l[0] != "Reconnect all (5)" || !strings.HasPrefix(l[1], "⚠ client-100") {
			t.Errorf("Needs reconnect holds %q", l)
		}
		n := s.WaitNotification(t, titled("5 of 1000 connections need reconnect"))
		if len(n.Actions) == 0 || n.Actions[0].Label != "Reconnect all" {
			t.Errorf("the check's notification offers %v, want Reconnect all", n.Actions)
		}
		time.Sleep(500 * time.Millisecond)
		for _, x := range s.Notifications() {
			if strings.HasSuffix(x.Summary, "needs reconnect") {
				t.Errorf("a notification for one org: %q", x.Summary)
			}
		}
	})

	t.Run("a quick link of a grouped org", func(t *testing.T) {
		target := orgs[12] // in Group 5, by seedOrgs
		group := "Group " + strconv.Itoa(12%8+1) + " ("
		part := tr.At(t, group)
		var path []string
		for _, p := range part.Children {
			if strings.Contains(p.Label, "–") {
				sub := tr.At(t, group, p.Label)
				if _, ok := sub.Find(target.conn.Alias); ok {
					path = []string{group, p.Label}
				}
			}
		}
		if path == nil {
			t.Fatalf("client-012 is in no part of %s:\n%s", group, part)
		}
		tr.Click(t, append(path, target.conn.Alias, "Open Setup")...)
		v := e.waitVisit(func(v browserVisit) bool { return strings.HasSuffix(v.URL, oauth.SetupPath) })
		if u, _ := url.Parse(v.URL); u == nil || "http://"+u.Host != target.org.Host.URL {
			t.Errorf("landed on %s, want %s", v.URL, target.org.Host.URL)
		}
	})
	logMemory(t, r.cmd.Process.Pid)

	t.Run("the Orgs page: search, quick link, Reconnect all", func(t *testing.T) {
		orgsPageScenario(t, e, s, r, opened, pageNext, 1000, orgs, orgs[100:105])
	})
}

// waitChecked waits until the fake Salesforce has served n token
// requests, then for the tray to have shown every result: Check all
// connections enabled again, no org checking.
func waitChecked(t testing.TB, e *e2e, tr *traytest.Tray, n int) {
	t.Helper()
	waitCheckedWithin(t, e, n, 2*time.Minute)
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
		top := tr.Top(t)
		if it, ok := top.Find("Check all connections"); ok && it.Enabled && !strings.Contains(strings.Join(labels(top), "\n"), "◌") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the tray did not end its check within 2 minutes:\n%s", top)
		}
	}
}

func waitCheckedWithin(t testing.TB, e *e2e, n int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for e.tokenRequests() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d token requests in %s, want %d", e.tokenRequests(), within, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// rss returns the resident and peak memory of process pid, in MB.
func rss(pid int) (now, peak float64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && (f[0] == "VmRSS:" || f[0] == "VmHWM:") {
			kb, _ := strconv.ParseFloat(f[1], 64)
			if f[0] == "VmRSS:" {
				now = kb / 1024
			} else {
				peak = kb / 1024
			}
		}
	}
	return now, peak, nil
}

func logMemory(t testing.TB, pid int) {
	if now, peak, err := rss(pid); err == nil {
		t.Logf("tray resident memory %.1f MB (peak %.1f MB)", now, peak)
	}
}
