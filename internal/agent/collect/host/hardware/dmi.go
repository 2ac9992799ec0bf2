package hardware

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxDMIValue bounds one DMI attribute; SMBIOS strings are at most 255
// bytes (a dmi/id file holds one of them and a newline).
const maxDMIValue = 4096

// dmiFiles are the attributes of /sys/class/dmi/id the collector reads.
// product_serial, product_uuid, board_serial and chassis_serial are
// readable by root only.
var dmiFiles = []string{
	"sys_vendor", "product_name", "product_version", "product_serial", "product_uuid",
	"product_sku", "product_family",
	"board_vendor", "board_name", "board_version", "board_serial", "board_asset_tag",
	"chassis_vendor", "chassis_type", "chassis_version", "chassis_serial", "chassis_asset_tag",
	"bios_vendor", "bios_version", "bios_date", "bios_release",
}

// DMI holds the attributes read, by file name, cleaned (CleanDMI);
// placeholders are left out.
type DMI map[string]string

// placeholders are values firmware writes where it has none.
var placeholders = []string{
	"to be filled by o.e.m.", "to be filled by oem", "default string", "not specified",
	"not applicable", "system serial number", "system product name", "system manufacturer",
	"system version", "base board serial number", "chassis serial number", "none", "n/a",
	"na", "oem", "o.e.m.", "0123456789", "123456789", "type1productconfigid", "sku",
	"invalid", "unknown", "empty", "x.x", "xxxxx", "0", "00000000-0000-0000-0000-000000000000",
	"ffffffff-ffff-ffff-ffff-ffffffffffff", "03000200-0400-0500-0006-000700080009",
}

// CleanDMI returns a DMI attribute as text: invalid UTF-8 and control
// characters replaced, blanks trimmed and collapsed, and "" for the
// placeholders firmware writes where it has no value.
func CleanDMI(raw []byte) string {
	if len(raw) > maxDMIValue {
		raw = raw[:maxDMIValue]
	}
	var b strings.Builder
	for len(raw) > 0 {
		r, n := utf8.DecodeRune(raw)
		raw = raw[n:]
		switch {
		case r == utf8.RuneError && n <= 1, unicode.IsControl(r), unicode.IsSpace(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	s := strings.Join(strings.Fields(b.String()), " ")
	lower := strings.ToLower(s)
	for _, p := range placeholders {
		if lower == p {
			return ""
		}
	}
	return s
}

// chassisTypes names SMBIOS chassis types (DSP0134, 7.4.1).
var chassisTypes = []string{
	1: "other", 2: "unknown", 3: "desktop", 4: "low-profile desktop", 5: "pizza box",
	6: "mini tower", 7: "tower", 8: "portable", 9: "laptop", 10: "notebook", 11: "hand held",
	12: "docking station", 13: "all in one", 14: "sub notebook", 15: "space-saving",
	16: "lunch box", 17: "main server chassis", 18: "expansion chassis", 19: "sub chassis",
	20: "bus expansion chassis", 21: "peripheral chassis", 22: "raid chassis",
	23: "rack mount chassis", 24: "sealed-case pc", 25: "multi-system chassis",
	26: "compact pci", 27: "advanced tca", 28: "blade", 29: "blade enclosure", 30: "tablet",
	31: "convertible", 32: "detachable", 33: "iot gateway", 34: "embedded pc", 35: "mini pc",
	36: "stick pc",
}

// ChassisType names a chassis_type value ("23" is "rack mount chassis");
// unknown numbers stay as they are.
func ChassisType(v string) string {
	n, err := strconv.Atoi(v)
	if err == nil && n > 0 && n < len(chassisTypes) {
		return chassisTypes[n]
	}
	return v
}
