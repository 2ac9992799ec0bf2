package notifycmd

import "github.com/vigilsec/vigil/internal/center/notify"

// ParsedChannelFile is a channel file as parseChannelFile reads it.
type ParsedChannelFile struct {
	Body []byte
	// Line is the line of a field path.
	Line func(path string) int
}

// ParseChannelFile is parseChannelFile, for the external tests.
func ParseChannelFile(data []byte) (ParsedChannelFile, error) {
	f, err := parseChannelFile(data)
	if err != nil {
		return ParsedChannelFile{}, err
	}
	return ParsedChannelFile{Body: f.body, Line: func(p string) int { return notify.FieldLine(f.root, p) }}, nil
}
