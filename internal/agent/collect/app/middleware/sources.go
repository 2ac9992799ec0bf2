package middleware

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
)

// elfVersion reads the version marked by m in the instance's executable.
func elfVersion(m Marker) versionSource {
	return versionSource{source: VersionBinary, read: func(in *instance) (string, error) {
		return in.c.cachedFileVersion(in, "elf:"+m.Prefix+"\x00"+m.Suffix, func(f *os.File) (string, error) {
			return ELFVersion(f, m)
		})
	}}
}

// goVersion reads a Go executable's version (GoVersion).
func goVersion(vars ...string) versionSource {
	return versionSource{source: VersionGoBuild, read: func(in *instance) (string, error) {
		return in.c.cachedFileVersion(in, "go:"+strings.Join(vars, ","), func(f *os.File) (string, error) {
			return GoVersion(f, vars)
		})
	}}
}

// archiveProperty reads property key of entry in the archive rel (below
// the install path) and takes the dotted version after sep in it
// ("Apache Tomcat/10.1.60 (Debian)").
func archiveProperty(rel, entry, key, sep string) versionSource {
	return versionSource{source: VersionArchive, read: func(in *instance) (string, error) {
		if in.install == "" {
			return "", errNoVersion
		}
		jar := path.Join(in.install, rel)
		data, err := in.c.cachedJarEntry(in.view, jar, entry)
		if err != nil {
			return "", err
		}
		props, bad := ParseProperties(data)
		in.c.malformed.Add(uint64(bad))
		val := props[key]
		if sep != "" {
			if i := strings.Index(val, sep); i >= 0 {
				val = val[i+len(sep):]
			}
		}
		if v, ok := dottedVersion(val); ok {
			return v, nil
		}
		return "", fmt.Errorf("%s!%s: %s: %w", jar, entry, key, errNoVersion)
	}}
}

// archiveManifest reads attribute attr of the manifest of the archive rel
// below the install path.
func archiveManifest(rel, attr string) versionSource {
	return versionSource{source: VersionArchive, read: func(in *instance) (string, error) {
		if in.install == "" {
			return "", errNoVersion
		}
		return manifestVersion(in, path.Join(in.install, rel), attr)
	}}
}

// manifestVersion reads the version in attribute attr of the manifest of
// the archive at host path jar.
func manifestVersion(in *instance, jar, attr string) (string, error) {
	data, err := in.c.cachedJarEntry(in.view, jar, "META-INF/MANIFEST.MF")
	if err != nil {
		return "", err
	}
	attrs, bad := ParseManifest(data)
	in.c.malformed.Add(uint64(bad))
	if v, ok := dottedVersion(attrs[attr]); ok {
		// Keep a qualifier such as ".Final" or ".GA" that follows.
		return qualified(attrs[attr], v), nil
	}
	return "", fmt.Errorf("%s: %s: %w", jar, attr, errNoVersion)
}

// qualified returns v with the ".Qualifier" that follows it in s, if
// any ("26.1.3.Final").
func qualified(s, v string) string {
	rest := s[len(v):]
	if len(rest) > 1 && rest[0] == '.' {
		q := rest[1:]
		n := 0
		for n < len(q) && (q[n] >= 'A' && q[n] <= 'Z' || q[n] >= 'a' && q[n] <= 'z' || q[n] >= '0' && q[n] <= '9') {
			n++
		}
		if n > 0 {
			return v + "." + q[:n]
		}
	}
	return v
}

// fileVersion reads the first submatch of re in the text file rel below
// the install path.
func fileVersion(rel string, re *regexp.Regexp) versionSource {
	return versionSource{source: VersionFile, read: func(in *instance) (string, error) {
		if in.install == "" {
			return "", errNoVersion
		}
		data, err := in.view.read(path.Join(in.install, rel), maxTextBytes)
		if err != nil {
			return "", err
		}
		return VersionInText(data, re)
	}}
}

// VersionInText returns the first submatch of re in data.
func VersionInText(data []byte, re *regexp.Regexp) (string, error) {
	m := re.FindSubmatch(data)
	if len(m) < 2 || len(m[1]) == 0 {
		return "", errNoVersion
	}
	return string(m[1]), nil
}

// archiveName reads the version from the name of the one archive in
// folder rel (below the install path) that re matches.
func archiveName(rel string, re *regexp.Regexp) versionSource {
	return versionSource{source: VersionFileName, read: func(in *instance) (string, error) {
		if in.install == "" {
			return "", errNoVersion
		}
		names, err := in.view.readDirNames(path.Join(in.install, rel))
		if err != nil {
			return "", err
		}
		return VersionFromNames(names, re)
	}}
}

// classPathName reads the version from the name of the class path
// archive whose name starts with prefix and matches re.
func classPathName(prefix string, re *regexp.Regexp) versionSource {
	return versionSource{source: VersionFileName, read: func(in *instance) (string, error) {
		if in.root.java == nil {
			return "", errNoVersion
		}
		var names []string
		for _, e := range in.root.java.ClassPath {
			if b := path.Base(e); strings.HasPrefix(b, prefix) {
				names = append(names, b)
			}
		}
		return VersionFromNames(names, re)
	}}
}

// VersionFromNames returns the version that re's first submatch finds in
// names; several different versions are ambiguous, and an error.
func VersionFromNames(names []string, re *regexp.Regexp) (string, error) {
	var found []string
	for _, n := range names {
		if m := re.FindStringSubmatch(n); len(m) > 1 && m[1] != "" && !slices.Contains(found, m[1]) {
			found = append(found, m[1])
		}
	}
	switch len(found) {
	case 0:
		return "", errNoVersion
	case 1:
		return found[0], nil
	default:
		return "", fmt.Errorf("%w: several versions %v", errNoVersion, found)
	}
}

// wildflyManifestVersion reads the release version from the manifest of
// the product module named in bin/product.conf ("slot=wildfly-full").
func wildflyManifestVersion() versionSource {
	return versionSource{source: VersionArchive, read: func(in *instance) (string, error) {
		if in.install == "" {
			return "", errNoVersion
		}
		conf, err := in.view.read(path.Join(in.install, "bin/product.conf"), maxTextBytes)
		if err != nil {
			return "", err
		}
		props, _ := ParseProperties(conf)
		slot := props["slot"]
		if slot == "" || strings.ContainsAny(slot, "/\\") || slot == ".." {
			return "", fmt.Errorf("product.conf: slot: %w", errNoVersion)
		}
		mf := path.Join(in.install, "modules/system/layers/base/org/jboss/as/product", slot, "dir/META-INF/MANIFEST.MF")
		data, err := in.view.read(mf, maxTextBytes)
		if err != nil {
			return "", err
		}
		attrs, bad := ParseManifest(data)
		in.c.malformed.Add(uint64(bad))
		raw := attrs["JBoss-Product-Release-Version"]
		if v, ok := dottedVersion(raw); ok {
			return qualified(raw, v), nil
		}
		return "", fmt.Errorf("%s: %w", mf, errNoVersion)
	}}
}

// RedisConfigPorts returns the ports of a redis.conf: its "port"
// directives (the last one counts; 6379 when there is none). Lines that
// are not directives are counted as malformed.
func RedisConfigPorts(data []byte) ([]uint16, int) {
	port, bad := uint16(6379), 0
	for _, line := range bytes.Split(data, []byte{'\n'}) {
		f := bytes.Fields(line)
		if len(f) == 0 || f[0][0] == '#' {
			continue
		}
		if !strings.EqualFold(string(f[0]), "port") {
			continue
		}
		if len(f) != 2 {
			bad++
			continue
		}
		p, ok := parsePort(unquote(string(f[1])))
		if !ok {
			bad++
			continue
		}
		port = p
	}
	if port == 0 {
		return nil, bad // TCP disabled
	}
	return []uint16{port}, bad
}

// MemcachedConfigPorts returns the TCP port of a memcached.conf in
// Debian's form (one command-line option a line: "-p 11211", "-p11211",
// "--port=11211"); 11211 when none is set.
func MemcachedConfigPorts(data []byte) ([]uint16, int) {
	port, bad := uint16(11211), 0
	for _, line := range bytes.Split(data, []byte{'\n'}) {
		f := strings.Fields(string(line))
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		v, ok := OptionValue(f, true, "-p", "--port")
		if !ok {
			continue
		}
		p, ok := parsePort(v)
		if !ok {
			bad++
			continue
		}
		port = p
	}
	if port == 0 {
		return nil, bad
	}
	return []uint16{port}, bad
}

// parsePort parses a port number (0 included).
func parsePort(s string) (uint16, bool) {
	if !allDigits(s) || len(s) > 5 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	if n > 65535 {
		return 0, false
	}
	return uint16(n), true
}

// unquote strips one pair of double or single quotes.
func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		return s[1 : len(s)-1]
	}
	return s
}
