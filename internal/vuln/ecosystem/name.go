package ecosystem

import (
	"strings"
)

// NormalizeName returns the form of a package name that advisories and
// inventories share in the named ecosystem:
//   - PyPI: PEP 503 (lower case, runs of "-", "_" and "." as one "-");
//   - Maven: "group:artifact" (a package URL's "group/artifact" too);
//   - npm, Packagist, NuGet, Pub, Hex: lower case (their registries
//     treat names without regard to case);
//   - crates.io: lower case with "_" as "-" (the registry treats them
//     alike);
//   - Go: the module path without a trailing slash (paths are case
//     sensitive).
//
// Other names, OS package names among them, are kept as they are, less
// surrounding space.
func NormalizeName(ecosystemName, name string) string {
	name = strings.TrimSpace(name)
	switch ecosystemName {
	case PyPI:
		return pep503(name)
	case Maven:
		if !strings.Contains(name, ":") {
			name = strings.Replace(name, "/", ":", 1)
		}
		return strings.ReplaceAll(name, " ", "")
	case NPM, Packagist, NuGet, Pub, Hex:
		return strings.ToLower(name)
	case CratesIO:
		return strings.ReplaceAll(strings.ToLower(name), "_", "-")
	case Go:
		return strings.TrimRight(name, "/")
	}
	return name
}

func pep503(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	sep := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '-' || c == '_' || c == '.':
			sep = true
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		if sep && b.Len() > 0 {
			b.WriteByte('-')
		}
		sep = false
		b.WriteByte(c)
	}
	return b.String()
}

// NormalizeVersion returns the form of an installed version that
// advisories use: Go's leading "v" of module versions and "go" of
// toolchain versions ("go1.21.5", the standard library's) are dropped, as
// OSV writes Go versions without them; other versions are kept, less
// surrounding space.
func NormalizeVersion(ecosystemName, version string) string {
	version = strings.TrimSpace(version)
	if ecosystemName == Go {
		if rest, ok := strings.CutPrefix(version, "go"); ok && rest != "" && rest[0] >= '0' && rest[0] <= '9' {
			return rest
		}
		return strings.TrimPrefix(version, "v")
	}
	return version
}
