// Command exec measures what process monitoring costs the processes it
// watches: it runs many short executions of /bin/true with no monitor,
// with auditd logging every execve, and with the agent's exec/ebpf sensor
// running in a separate process, and prints the wall time, the slowdown,
// the events each monitor saw and lost, and the monitor's CPU and memory.
// A paced run then checks that no event is lost at a steady rate. See
// README.md.
package main
