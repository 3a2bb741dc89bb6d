package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	for _, tt := range []struct {
		args   []string
		status int
		out    string
	}{
		{nil, 0, "Usage:"},
		{[]string{"version"}, 0, "meshmesh dev"},
		{[]string{"help"}, 0, "Usage:"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
	} {
		var out bytes.Buffer
		if got := run(tt.args, &out, &out); got != tt.status || !strings.Contains(out.String(), tt.out) {
			t.Errorf("run(%q) = %d, %q; want %d and %q", tt.args, got, out.String(), tt.status, tt.out)
		}
	}
}
