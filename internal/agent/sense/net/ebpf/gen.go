//go:build linux

package ebpf

//go:generate go tool bpf2go -tags linux -target amd64,arm64 -cflags "-O2 -g -Wall -Werror -mcpu=v3" -type event -type flow_key -type flow_val vnet net.bpf.c -- -I../../../bpf/include
