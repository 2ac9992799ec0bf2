// Package apitest holds fixtures shared by the tests of the center's API
// and of its clients: a small pack of Sigma rules to load as the shipped
// ones.
package apitest

import "testing/fstest"

// Ids of the rules of RulePack.
const (
	RuleCurlPipe   = "6f1d2a8e-0c4b-4e55-9a51-3c2f0e7d9b10"
	RuleToolPort   = "0b4a7c21-5d3e-4f86-a1c9-7e2d58b6f403"
	RuleSSHFailed  = "c3e9f1a0-2b7d-4c18-9e5a-40f6d2b8a711"
	RuleSSHBrute   = "9d2c4e6f-8a1b-4b3c-b5d7-e9f0a1c2d3e4"
	RuleShadowRead = "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b"
)

// RulePack returns a pack of shipped rules: three detection rules (one
// only for a correlation), a correlation, and a rule Vigil cannot
// evaluate, which is a problem.
func RulePack() fstest.MapFS {
	return fstest.MapFS{
		"linux/proc_creation_curl_pipe_shell.yml": {Data: []byte(`title: Download piped to a shell
id: ` + RuleCurlPipe + `
status: test
description: A download tool's output is run by a shell.
author: Vigil
references:
    - https://attack.mitre.org/techniques/T1059/004/
tags:
    - attack.execution
    - attack.t1059.004
    - attack.command_and_control
    - attack.t1105
logsource:
    product: linux
    category: process_creation
detection:
    selection:
        Image|endswith:
            - /curl
            - /wget
        CommandLine|contains: '| sh'
    condition: selection
falsepositives:
    - Installers run by administrators
level: high
`)},
		"linux/net_connection_tool_port.yml": {Data: []byte(`title: Connection to a common reverse shell port
id: ` + RuleToolPort + `
status: experimental
description: A process connects to port 4444, the default of many attack tools.
author: Vigil
tags:
    - attack.command_and_control
    - attack.t1571
logsource:
    product: linux
    category: network_connection
detection:
    selection:
        DestinationPort: 4444
    condition: selection
level: medium
`)},
		"linux/auth_ssh_bruteforce.yml": {Data: []byte(`title: SSH login failed
id: ` + RuleSSHFailed + `
name: ssh_failed_login
status: stable
description: sshd refused a password.
author: Vigil
tags:
    - attack.credential_access
    - attack.t1110.001
logsource:
    product: linux
    service: sshd
detection:
    keywords:
        - 'Failed password'
    condition: keywords
level: informational
---
title: SSH password guessing
id: ` + RuleSSHBrute + `
status: stable
description: Many failed SSH logins from one address.
author: Vigil
tags:
    - attack.credential_access
    - attack.t1110.001
correlation:
    type: event_count
    rules: ssh_failed_login
    group-by:
        - source.ip
    timespan: 5m
    condition:
        gte: 5
level: high
`)},
		"linux/file_access_shadow.yml": {Data: []byte(`title: Shadow file read
id: ` + RuleShadowRead + `
status: test
tags:
    - attack.credential_access
    - attack.t1003.008
logsource:
    product: linux
    category: file_access
detection:
    selection:
        TargetFilename: /etc/shadow
    condition: selection
level: high
`)},
	}
}

// RuleNetcat is the id of NetcatRule.
const RuleNetcat = "5a0e1c2d-3b4f-4a6b-8c7d-9e0f1a2b3c4d"

// NetcatRule is a rule file to import: a detection rule named
// netcat_listener, of level medium.
const NetcatRule = `title: Netcat listener
id: ` + RuleNetcat + `
name: netcat_listener
status: experimental
author: SOC team
tags:
    - attack.execution
    - attack.t1059
logsource:
    product: linux
    category: process_creation
detection:
    selection:
        Image|endswith: /nc
        CommandLine|contains: ' -l'
    condition: selection
level: medium
`
