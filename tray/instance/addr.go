package instance

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/meshmesh/meshmesh/keychain/atomicfile"
)

// address is the content of tray.addr: where the running tray listens
// (on 127.0.0.1) and the token a request must carry.
type address struct {
	Port  int    `json:"port"`
	PID   int    `json:"pid"`
	Token string `json:"token"`
}

// maxAddrFile bounds what readAddr reads.
const maxAddrFile = 1024

// readAddr reads and checks tray.addr.
func readAddr(path string) (address, error) {
	var a address
	f, err := os.Open(path)
	if err != nil {
		return a, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxAddrFile))
	if err != nil {
		return a, err
	}
	if err := json.Unmarshal(data, &a); err != nil {
		return a, fmt.Errorf("%s: %w", path, err)
	}
	if a.Port < 1 || a.Port > 65535 {
		return a, fmt.Errorf("%s: port %d", path, a.Port)
	}
	if b, err := hex.DecodeString(a.Token); err != nil || len(b) != tokenBytes {
		return a, fmt.Errorf("%s: not a token of %d bytes", path, tokenBytes)
	}
	return a, nil
}

// writeAddr replaces path with a, atomically and readable by the user
// only, so that Ask reads a whole address or none.
func writeAddr(path string, a address) error {
	data, err := json.Marshal(a)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(data, '\n'), 0o600)
}
