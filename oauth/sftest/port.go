package sftest

import (
	"errors"
	"math/rand/v2"
	"net"
	"strconv"
	"syscall"
	"testing"
)

// CallbackPort returns a loopback port that is free on 127.0.0.1 and
// [::1], for the OAuth callback server of a program under test (its
// connected app's callback URL is http://localhost:<port>/OauthRedirect).
//
// It picks below Linux's ephemeral range (32768 and up): a port chosen by
// listening on port 0 comes from that range, where an outgoing connection
// of any test running in parallel can take it before the program listens.
func CallbackPort(t testing.TB) int {
	t.Helper()
	for range 100 {
		port := 20000 + rand.IntN(12000)
		ln4, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue
		}
		ln6, err := net.Listen("tcp", "[::1]:"+strconv.Itoa(port))
		ln4.Close()
		if err == nil {
			ln6.Close()
		}
		if err == nil || !errors.Is(err, syscall.EADDRINUSE) {
			return port // free, or a machine without IPv6
		}
	}
	t.Fatal("sftest: no free port in 20000-31999")
	return 0
}
