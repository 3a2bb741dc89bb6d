// Command meshmesh connects Salesforce orgs from the menubar / system tray
// and keeps them connected. See README.md.
package main

import (
	"fmt"
	"io"
	"os"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches the command line and returns the exit status: 0 success,
// 1 failure, 2 usage error.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		// The tray starts here once it lands; until then, say what there is.
		usage(stdout)
		fmt.Fprintln(stdout, "\nThe tray is not built yet: this build has the OAuth engine only.")
		return 0
	}
	switch args[0] {
	case "version", "--version":
		fmt.Fprintln(stdout, "meshmesh", version)
		return 0
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "meshmesh: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `MeshMesh connects your Salesforce orgs and keeps them connected.

Usage:
  meshmesh            start the tray
  meshmesh version    print the version
  meshmesh help       print this help
`)
}
