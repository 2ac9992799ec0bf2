// Package e2e runs the built binaries (VIGIL_BIN, default ../../bin)
// against each other and real services: a center on an empty data dir,
// agents that enroll with join tokens, the CLI, the console in headless
// Chromium, the real kernel's sensors, PostgreSQL. Its tests carry the
// build tag "e2e" so that a plain go test ./... stays fast; make test-e2e
// builds the binaries and runs
//
//	VIGIL_BIN=$PWD/bin go test -tags e2e ./test/e2e/...
package e2e
