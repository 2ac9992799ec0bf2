// Command vigil-scan lists a host's OS packages and language libraries for
// the agent's inventory collectors, which run it as a short-lived child
// process. See internal/scan.
//
//	vigil-scan packages  --root DIR
//	vigil-scan libraries --root DIR --path P [--path P ...]
package main

import (
	"os"

	"github.com/vigilsec/vigil/internal/scan"
)

func main() {
	os.Exit(scan.Main(os.Args[1:], os.Stdout, os.Stderr))
}
