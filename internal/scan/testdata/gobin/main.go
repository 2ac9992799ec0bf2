// Command gobin is a Go program for the library scan's tests: its build
// information names the module it depends on.
package main

import (
	"fmt"

	"github.com/google/uuid"
)

func main() { fmt.Println(uuid.NewString()) }
