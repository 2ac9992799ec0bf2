//go:build linux

package sigtrace

//go:generate go tool bpf2go -tags linux -target amd64,arm64 -cflags "-O2 -g -Wall -Werror" -type sender sigtrace sigtrace.bpf.c -- -I../../bpf/include
