// Package bpf holds what the agent's eBPF programs share: include/vmlinux.h,
// the kernel types they read, declared for CO-RE with only the fields in
// use. Each program lives in the package that loads it, as a .bpf.c file
// next to the Go objects bpf2go generates from it (committed, so that
// building needs no clang); `make bpf` regenerates them with clang, and
// libbpf's headers (Debian packages clang and libbpf-dev).
package bpf
