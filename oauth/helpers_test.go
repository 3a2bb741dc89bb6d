package oauth_test

import (
	"os"
	"testing"
)

// need skips t when a component of the machine it needs is missing (err
// says why), except under MESHMESH_TEST_STRICT=1 (set by .ci/run), where a
// missing component fails the test: CI must run everything.
func need(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("MESHMESH_TEST_STRICT") == "1" {
		t.Fatalf("this test needs %s: %v (MESHMESH_TEST_STRICT=1: .ci/run must provide it)", what, err)
	}
	t.Skipf("skipped: this test needs %s: %v", what, err)
}
