package lynis

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseReport(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *Report
	}{
		{
			name: "values lists and findings",
			in: "# Lynis Report\nlynis_version=3.0.8\nuncommon_network_protocol_enabled=dccp\nuncommon_network_protocol_enabled=sctp\n" +
				"real_user[]=root,0\nwarning[]=FIRE-4512|iptables module(s) loaded, but no rules active|-|-|\n" +
				"suggestion[]=KRNL-6000|One or more sysctl values differ from the scan profile and could be tweaked||Change sysctl value or disable test (skip-test=KRNL-6000:<sysctl-key>)|\n" +
				"details[]=KRNL-6000|sysctl|desc:Restrict access to kernel symbols;field:kernel.kptr_restrict;prefval:2;value:0;|\n" +
				"tests_executed=HRDN-7231|KRNL-6000|\ntests_skipped=MALW-3288|\nlocalhost-mapped-to=127.0.0.1\n",
			want: &Report{
				Values: map[string][]string{
					"lynis_version":                     {"3.0.8"},
					"uncommon_network_protocol_enabled": {"dccp", "sctp"},
					"tests_executed":                    {"HRDN-7231|KRNL-6000|"},
					"tests_skipped":                     {"MALW-3288|"},
					"localhost-mapped-to":               {"127.0.0.1"},
				},
				Lists:    map[string][]string{"real_user": {"root,0"}},
				Warnings: []Finding{{Test: "FIRE-4512", Text: "iptables module(s) loaded, but no rules active", Details: "-", Solution: "-"}},
				Suggestions: []Finding{{Test: "KRNL-6000", Text: "One or more sysctl values differ from the scan profile and could be tweaked",
					Details: "", Solution: "Change sysctl value or disable test (skip-test=KRNL-6000:<sysctl-key>)"}},
				Details: []Detail{{Test: "KRNL-6000", Service: "sysctl", Fields: map[string]string{
					"desc": "Restrict access to kernel symbols", "field": "kernel.kptr_restrict", "prefval": "2", "value": "0"}}},
				Executed: []string{"HRDN-7231", "KRNL-6000"},
				Skipped:  []string{"MALW-3288"},
			},
		},
		{
			name: "a finding text holding the separator",
			in:   "suggestion[]=CUST-0001|use a|b here|detail|solution|\n",
			want: &Report{Values: map[string][]string{}, Lists: map[string][]string{},
				Suggestions: []Finding{{Test: "CUST-0001", Text: "use a|b here", Details: "detail", Solution: "solution"}}},
		},
		{
			name: "a detail value holding a semicolon and CRLF line ends",
			in:   "details[]=SSH-7408|sshd|desc:a;b;field:Port;value:22;|\r\n",
			want: &Report{Values: map[string][]string{}, Lists: map[string][]string{},
				Details: []Detail{{Test: "SSH-7408", Service: "sshd", Fields: map[string]string{"desc": "a;b", "field": "Port", "value": "22"}}}},
		},
		{
			name: "a value holding =",
			in:   "auditor=[Not Specified]\nbinary_paths=a=b\n",
			want: &Report{Values: map[string][]string{"auditor": {"[Not Specified]"}, "binary_paths": {"a=b"}}, Lists: map[string][]string{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseReport(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("report (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseReportErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"no equals sign", "lynis_version=3.0.8\nthis is not a report line\n", "line 2: no '='"},
		{"empty key", "=value\n", "line 1: empty key"},
		{"bad key", "a b=c\n", "line 1: key \"a b\""},
		{"finding without test", "warning[]=|text|-|-|\n", "line 1: warning: want TEST-ID"},
		{"finding without text", "suggestion[]=AUTH-9230\n", "line 1: suggestion: want TEST-ID"},
		{"detail without fields", "details[]=KRNL-6000|sysctl\n", "line 1: details: want TEST-ID"},
		{"detail pair without name", "details[]=KRNL-6000|sysctl|novalue|\n", "line 1: details: \"novalue\": want name:value"},
		{"line too long", "k=" + strings.Repeat("x", MaxLine+1) + "\n", "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseReport(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one holding %q", err, tt.want)
			}
		})
	}
}
