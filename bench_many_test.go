//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meshmesh/meshmesh/tray/traytest"
)

// BenchmarkTrayThousandOrgs runs the real tray on 1,000 orgs against the
// fake Salesforce answering every request after 100 ms, as a person's
// tray at real latencies, and reports:
//   - menu-ms: from the start of the program to its menu of 1,000 orgs
//     on the bus (the top level, as a panel reads it);
//   - check-s: from the start to the end of its start-up check of every
//     org (1,000 token requests served, and Check all connections enabled
//     again in its menu);
//   - rss-MB, peak-MB: its resident memory, idle 5 s after the check, and
//     the most it held.
//
// The program is a release build of this tree, or MESHMESH_BENCH_BIN (an
// older meshmesh, to compare). Run it with:
//
//	go test -run '^$' -bench TrayThousandOrgs -benchtime 1x .
func BenchmarkTrayThousandOrgs(b *testing.B) {
	s := traytest.New(b)
	e := newE2EIn(b, s.Session)
	e.bin = os.Getenv("MESHMESH_BENCH_BIN")
	if e.bin == "" {
		e.bin = filepath.Join(b.TempDir(), "meshmesh")
		build := exec.Command("go", "build", "-trimpath", "-o", e.bin, ".")
		if out, err := build.CombinedOutput(); err != nil {
			b.Fatalf("go build: %v\n%s", err, out)
		}
	}
	e.env["MESHMESH_TEST_MAIN"] = "" // a real meshmesh, not this test binary
	e.seedOrgs(manyOrgs{n: 1000, groups: 8, favourites: 8, recent: 6})
	e.sf.SetLatency(100 * time.Millisecond)
	var menu, check time.Duration
	var now, peak float64
	for b.Loop() {
		served := e.tokenRequests()
		start := time.Now()
		r := e.startTray(s)
		for !strings.Contains(strings.Join(labels(r.tray.Top(b)), "\n"), "— 1000 orgs") || !strings.Contains(strings.Join(labels(r.tray.Top(b)), "\n"), "Quit") {
			time.Sleep(10 * time.Millisecond)
		}
		menu += time.Since(start)
		waitCheckedWithin(b, e, served+1000, 5*time.Minute)
		waitChecked(b, e, r.tray, served+1000) // and shown
		check += time.Since(start)
		time.Sleep(5 * time.Second)
		n, p, err := rss(r.cmd.Process.Pid)
		if err != nil {
			b.Fatal(err)
		}
		now, peak = now+n, peak+p
		r.tray.Click(b, "Quit")
		r.wait()
	}
	runs := float64(b.N)
	b.ReportMetric(float64(menu.Milliseconds())/runs, "menu-ms")
	b.ReportMetric(check.Seconds()/runs, "check-s")
	b.ReportMetric(now/runs, "rss-MB")
	b.ReportMetric(peak/runs, "peak-MB")
	b.ReportMetric(0, "ns/op")
}
