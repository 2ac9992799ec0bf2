package facts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/prometheus/procfs"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
)

// Interface is one network interface with its addresses.
type Interface struct {
	Name  string
	MAC   net.HardwareAddr
	Flags net.Flags
	Addrs []net.IP
}

// Reader reads the facts of the host whose filesystem is at Root.
type Reader struct {
	// Root is the host's filesystem root; "" means "/".
	Root string
	// AgentVersion is reported as the facts' agent_version.
	AgentVersion string
	// Interfaces lists the network interfaces; nil means the interfaces
	// of the network namespace the agent runs in (HostInterfaces).
	Interfaces func() ([]Interface, error)
}

// Read returns the host's facts. When some of them cannot be read it
// returns the others together with an error naming what is missing.
func (r Reader) Read(ctx context.Context) (*busv1.HostFacts, error) {
	root := r.Root
	if root == "" {
		root = "/"
	}
	at := func(p string) string { return filepath.Join(root, p) }
	f := &busv1.HostFacts{Os: runtime.GOOS, Arch: runtime.GOARCH, AgentVersion: r.AgentVersion}
	var errs []error
	var err error
	if f.Hostname, err = readLine(at("proc/sys/kernel/hostname")); err != nil {
		errs = append(errs, fmt.Errorf("hostname: %w", err))
	}
	if f.Kernel, err = readLine(at("proc/sys/kernel/osrelease")); err != nil {
		errs = append(errs, fmt.Errorf("kernel release: %w", err))
	}
	if f.MachineId, err = firstLine(at("etc/machine-id"), at("var/lib/dbus/machine-id")); err != nil {
		errs = append(errs, fmt.Errorf("machine id: %w", err))
	}
	if osr, err := ReadOSRelease(root); err != nil {
		errs = append(errs, err)
	} else {
		f.Platform, f.PlatformVersion = osr["ID"], osr["VERSION_ID"]
	}
	if fs, err := procfs.NewFS(at("proc")); err != nil {
		errs = append(errs, fmt.Errorf("boot time: %w", err))
	} else if st, err := fs.Stat(); err != nil {
		errs = append(errs, fmt.Errorf("boot time: %w", err))
	} else {
		f.BootTimeUnix = int64(st.BootTime)
	}
	if err := ctx.Err(); err != nil {
		return f, fmt.Errorf("host facts: %w", err)
	}
	list := r.Interfaces
	if list == nil {
		list = HostInterfaces
	}
	if ifs, err := list(); err != nil {
		errs = append(errs, fmt.Errorf("network interfaces: %w", err))
	} else {
		f.Ips, f.Macs = addresses(ifs)
	}
	if err := errors.Join(errs...); err != nil {
		return f, fmt.Errorf("host facts: %w", err)
	}
	return f, nil
}

// addresses returns the sorted, distinct addresses of the interfaces that
// are not loopback. Link-local addresses are left out: every IPv6
// interface has one and they mean nothing beyond the link.
func addresses(ifs []Interface) (ips, macs []string) {
	for _, in := range ifs {
		if in.Flags&net.FlagLoopback != 0 {
			continue
		}
		if mac := in.MAC.String(); mac != "" && !allZero(in.MAC) {
			macs = append(macs, mac)
		}
		for _, ip := range in.Addrs {
			if ip == nil || ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() {
				continue
			}
			ips = append(ips, ip.String())
		}
	}
	slices.Sort(ips)
	slices.Sort(macs)
	return slices.Compact(ips), slices.Compact(macs)
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// HostInterfaces lists the interfaces of the agent's network namespace.
func HostInterfaces() ([]Interface, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	out := make([]Interface, 0, len(ifs))
	for _, in := range ifs {
		addrs, err := in.Addrs()
		if err != nil {
			return nil, fmt.Errorf("addresses of %s: %w", in.Name, err)
		}
		x := Interface{Name: in.Name, MAC: in.HardwareAddr, Flags: in.Flags}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				x.Addrs = append(x.Addrs, n.IP)
			}
		}
		out = append(out, x)
	}
	return out, nil
}

// readLine returns the first line of a small file, trimmed.
func readLine(path string) (string, error) {
	data, err := readSmall(path)
	if err != nil {
		return "", err
	}
	line, _, _ := strings.Cut(string(data), "\n")
	line = strings.TrimSpace(line)
	if line == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return line, nil
}

// firstLine returns readLine of the first path that has a line.
func firstLine(paths ...string) (string, error) {
	var errs []error
	for _, p := range paths {
		s, err := readLine(p)
		if err == nil {
			return s, nil
		}
		errs = append(errs, err)
	}
	return "", errors.Join(errs...)
}

// ReadOSRelease parses the os-release file of the host at root:
// etc/os-release, else usr/lib/os-release, as os-release(5) says. A
// file that is only partly read gives what could be read; the error
// says why neither could.
func ReadOSRelease(root string) (map[string]string, error) {
	var errs []error
	for _, rel := range []string{"etc/os-release", "usr/lib/os-release"} {
		p := filepath.Join(root, rel)
		data, err := readSmall(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		m, err := ParseOSRelease(data)
		if len(m) == 0 && err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		return m, nil
	}
	return nil, fmt.Errorf("os-release: %w", errors.Join(errs...))
}

// readSmall reads at most maxOSRelease bytes of a file.
func readSmall(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxOSRelease))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return data, nil
}
