//go:build linux

package ebpf

//go:generate go tool bpf2go -tags linux -target amd64,arm64 -cflags "-O2 -g -Wall -Werror" -type exec_header -type fork_record -type exit_record -type stdio_fd exec exec.bpf.c -- -I../../../bpf/include
