package notify

import (
	"github.com/vigilsec/vigil/internal/store"
)

// Language selects the language of the texts a channel renders for
// people (robots and e-mail). Syslog and webhooks carry machine-readable
// fields and do not translate them.
type Language string

// Languages.
const (
	English Language = "en"
	Chinese Language = "zh"
)

// catalog holds the texts of one language. The words follow the
// console's.
type catalog struct {
	product     string
	footerAlert string
	severity    map[store.Severity]string
	state       map[string]string
	lSeverity   string
	lHost       string
	lAgent      string
	lRule       string
	lTechniques string
	lState      string
	lCount      string
	lFirstSeen  string
	lLastSeen   string
	lID         string
	lDesc       string
	lEvidence   string
	openConsole string
	// colon separates a label from its value in running text.
	colon     string
	more      string // "%d more"
	truncated string
	testTitle string
	testBody  string
}

var catalogs = map[Language]*catalog{
	English: {
		product:     "Vigil",
		footerAlert: "Vigil alert",
		severity: map[store.Severity]string{
			store.SeverityLow: "Low", store.SeverityMedium: "Medium",
			store.SeverityHigh: "High", store.SeverityCritical: "Critical",
		},
		state: map[string]string{
			string(store.AlertNew): "New", string(store.AlertAcknowledged): "Acknowledged",
			string(store.AlertResolved): "Resolved", string(store.AlertFalsePositive): "False positive",
		},
		lSeverity: "Severity", lHost: "Host", lAgent: "Agent", lRule: "Rule",
		lTechniques: "ATT&CK", lState: "State", lCount: "Count",
		lFirstSeen: "First seen", lLastSeen: "Last seen", lID: "Alert ID",
		lDesc: "Description", lEvidence: "Evidence", openConsole: "Open in the console",
		colon: ": ", more: "%d more", truncated: "(truncated)",
		testTitle: "Test notification",
		testBody:  "This is a test message from Vigil: the channel works.",
	},
	Chinese: {
		product:     "Vigil",
		footerAlert: "Vigil 告警",
		severity: map[store.Severity]string{
			store.SeverityLow: "低", store.SeverityMedium: "中",
			store.SeverityHigh: "高", store.SeverityCritical: "严重",
		},
		state: map[string]string{
			string(store.AlertNew): "新告警", string(store.AlertAcknowledged): "已确认",
			string(store.AlertResolved): "已解决", string(store.AlertFalsePositive): "误报",
		},
		lSeverity: "级别", lHost: "主机", lAgent: "代理", lRule: "规则",
		lTechniques: "ATT&CK", lState: "处置状态", lCount: "次数",
		lFirstSeen: "首次发生", lLastSeen: "最近发生", lID: "告警 ID",
		lDesc: "描述", lEvidence: "证据", openConsole: "在控制台中查看",
		colon: "：", more: "另有 %d 项", truncated: "（已截断）",
		testTitle: "测试通知",
		testBody:  "这是一条来自 Vigil 的测试消息：通知渠道工作正常。",
	},
}

// texts returns the catalog of lang, English when lang is unknown.
func texts(lang Language) *catalog {
	if c, ok := catalogs[lang]; ok {
		return c
	}
	return catalogs[English]
}

// severityName is the translated name of s, or s itself when unknown.
func (c *catalog) severityName(s store.Severity) string {
	if n, ok := c.severity[s]; ok {
		return n
	}
	return string(s)
}

// stateName is the translated name of an alert state, or the state itself.
func (c *catalog) stateName(s string) string {
	if n, ok := c.state[s]; ok {
		return n
	}
	return s
}
