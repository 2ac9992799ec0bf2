//go:build linux

package kmod

//go:generate go tool bpf2go -tags linux -target amd64,arm64 -cflags "-O2 -g -Wall -Werror" -type record kmod kmod.bpf.c -- -I../../bpf/include -I.
