package framework

import (
	"archive/zip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// Errors of archive inspection.
var (
	// ErrArchive is wrapped when a JAR or WAR cannot be read.
	ErrArchive = errors.New("unreadable archive")
	// ErrArchiveTooLarge is wrapped when an archive's directory is beyond
	// the limits.
	ErrArchiveTooLarge = errors.New("archive directory beyond the limits")
)

// Limits of one archive's central directory.
const (
	maxArchiveEntries  = 200_000
	maxArchiveDirBytes = 32 << 20
	// maxMemberBytes bounds a member read (manifest, properties).
	maxMemberBytes = 64 << 10
)

// Archive is what a JAR or WAR says about the application in it.
type Archive struct {
	// SpringBoot is the Spring Boot version: the manifest's
	// Spring-Boot-Version, else that of a spring-boot-<v>.jar in
	// BOOT-INF/lib or WEB-INF/lib; "" when it is not a Spring Boot
	// application, Unknown when the version is not said.
	SpringBoot string
	// Struts2 and SpringMVC are the versions of the
	// struts2-core-<v>.jar and spring-webmvc-<v>.jar inside; "" when
	// absent.
	Struts2, SpringMVC string
	// JSP counts the JSP pages (.jsp, .jspx, .jspf) inside.
	JSP int
	// Properties and YAML are BOOT-INF/classes/application.properties
	// and application.yml (or .yaml), when present.
	Properties, YAML []byte
}

// checkDirectory reads the end of central directory record (and its
// ZIP64 form) and refuses archives whose directory is beyond the limits
// before archive/zip reads it all.
func checkDirectory(r io.ReaderAt, size int64) error {
	const eocdLen = 22
	if size < eocdLen {
		return fmt.Errorf("%w: %d bytes", ErrArchive, size)
	}
	tail := int64(eocdLen + 65535)
	if tail > size {
		tail = size
	}
	buf := make([]byte, tail)
	if _, err := r.ReadAt(buf, size-tail); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: %w", ErrArchive, err)
	}
	i := len(buf) - eocdLen
	for ; i >= 0; i-- {
		if buf[i] == 'P' && buf[i+1] == 'K' && buf[i+2] == 5 && buf[i+3] == 6 {
			break
		}
	}
	if i < 0 {
		return fmt.Errorf("%w: no end of central directory", ErrArchive)
	}
	entries := uint64(binary.LittleEndian.Uint16(buf[i+10:]))
	dirSize := uint64(binary.LittleEndian.Uint32(buf[i+12:]))
	if entries == 0xffff || dirSize == 0xffffffff {
		// ZIP64: the locator precedes the record.
		loc := i - 20
		if loc < 0 || string(buf[loc:loc+4]) != "PK\x06\x07" {
			return fmt.Errorf("%w: ZIP64 locator missing", ErrArchive)
		}
		off := int64(binary.LittleEndian.Uint64(buf[loc+8:]))
		rec := make([]byte, 56)
		if off < 0 || off > size-56 {
			return fmt.Errorf("%w: ZIP64 record out of the file", ErrArchive)
		}
		if _, err := r.ReadAt(rec, off); err != nil {
			return fmt.Errorf("%w: %w", ErrArchive, err)
		}
		if string(rec[:4]) != "PK\x06\x06" {
			return fmt.Errorf("%w: bad ZIP64 record", ErrArchive)
		}
		entries = binary.LittleEndian.Uint64(rec[32:])
		dirSize = binary.LittleEndian.Uint64(rec[40:])
	}
	if entries > maxArchiveEntries || dirSize > maxArchiveDirBytes {
		return fmt.Errorf("%w: %d entries, %d bytes", ErrArchiveTooLarge, entries, dirSize)
	}
	return nil
}

// InspectArchive reads the directory of a JAR or WAR of size bytes, and
// its manifest and Spring Boot configuration.
func InspectArchive(r io.ReaderAt, size int64) (Archive, error) {
	var a Archive
	if err := checkDirectory(r, size); err != nil {
		return a, err
	}
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return a, fmt.Errorf("%w: %w", ErrArchive, err)
	}
	var manifest *zip.File
	bootLib := ""
	for _, f := range zr.File {
		name := f.Name
		switch {
		case name == "META-INF/MANIFEST.MF":
			manifest = f
		case name == "BOOT-INF/classes/application.properties":
			a.Properties = member(f)
		case name == "BOOT-INF/classes/application.yml" || name == "BOOT-INF/classes/application.yaml":
			a.YAML = member(f)
		}
		dir, base := path.Split(name)
		switch dir {
		case "BOOT-INF/lib/", "WEB-INF/lib/":
			if v, ok := JarVersion(base, "spring-boot"); ok && bootLib == "" {
				bootLib = v
			}
			if v, ok := JarVersion(base, "struts2-core"); ok && a.Struts2 == "" {
				a.Struts2 = v
			}
			if v, ok := JarVersion(base, "spring-webmvc"); ok && a.SpringMVC == "" {
				a.SpringMVC = v
			}
		}
		switch strings.ToLower(path.Ext(base)) {
		case ".jsp", ".jspx", ".jspf":
			a.JSP++
		}
	}
	if manifest != nil {
		if v := Manifest(member(manifest))["Spring-Boot-Version"]; v != "" {
			a.SpringBoot = CleanVersion(v)
		}
	}
	if a.SpringBoot == "" && bootLib != "" {
		a.SpringBoot = bootLib
	}
	return a, nil
}

// member reads at most maxMemberBytes of an archive member; nil when it
// cannot be read.
func member(f *zip.File) []byte {
	rc, err := f.Open()
	if err != nil {
		return nil
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxMemberBytes))
	if err != nil {
		return nil
	}
	return b
}
