// Package procid derives process.entity_id, the id that names one process
// for its whole life and never again: pids are reused, a pid together with
// the process's start time is not. Every sensor computes it the same way
// from what it sees (an eBPF program reads the task's start_boottime, the
// proc connector and /proc read field 22 of /proc/PID/stat), so that a
// network event names the same process as the exec event that started it.
package procid

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
)

// TicksPerSecond is the unit of /proc/PID/stat's start time (USER_HZ),
// 100 on every Linux architecture Vigil supports.
const TicksPerSecond = 100

// nsPerTick converts a start_boottime in nanoseconds into ticks, as the
// kernel's nsec_to_clock_t does for /proc.
const nsPerTick = 1_000_000_000 / TicksPerSecond

// TicksFromBootNS returns the start time in ticks of a process whose
// task->start_boottime is ns nanoseconds.
func TicksFromBootNS(ns uint64) uint64 { return ns / nsPerTick }

// EntityID returns the entity id of process pid started startTicks ticks
// after boot on host hostID (the agent's host.id): 22 characters of
// URL-safe base64 of a SHA-256 over the three. Equal inputs give equal
// ids on every agent and sensor; different hosts never share ids.
func EntityID(hostID string, pid int, startTicks uint64) string {
	h := sha256.New()
	h.Write([]byte(hostID))
	var b [13]byte // a zero byte ends the host id
	binary.BigEndian.PutUint32(b[1:5], uint32(pid))
	binary.BigEndian.PutUint64(b[5:13], startTicks)
	h.Write(b[:])
	sum := h.Sum(nil)
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}
