package instance_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/meshmesh/meshmesh/tray/instance"
)

// start is how a tray starts: it runs the tray (p is not nil), or hands
// over to the running one (p and err are nil) and exits.
func start(ctx context.Context, dir string) (p *instance.Primary, err error) {
	for range 3 {
		p, err = instance.Claim(ctx, dir, nil)
		if !errors.Is(err, instance.ErrRunning) {
			return p, err
		}
		err = instance.Ask(ctx, dir, instance.Show)
		if !errors.Is(err, instance.ErrNotRunning) {
			return nil, err
		}
		// The running tray exited meanwhile: claim again.
	}
	return nil, err
}

func Example() {
	dir, err := os.MkdirTemp("", "meshmesh-state")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	tray, err := start(ctx, dir) // the first start runs the tray
	if err != nil {
		panic(err)
	}
	defer tray.Close()
	later, err := start(ctx, dir) // a later start hands over
	fmt.Println(later == nil, err)
	fmt.Println(<-tray.Requests())
	// Output:
	// true <nil>
	// show
}
