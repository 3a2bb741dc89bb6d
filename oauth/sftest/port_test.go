package sftest_test

import (
	"net"
	"strconv"
	"testing"

	"github.com/meshmesh/meshmesh/oauth/sftest"
)

func TestCallbackPort(t *testing.T) {
	for range 20 {
		port := sftest.CallbackPort(t)
		if port < 20000 || port >= 32000 {
			t.Fatalf("port %d outside 20000-31999", port)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			t.Fatalf("port %d is not free: %v", port, err)
		}
		ln.Close()
	}
}
