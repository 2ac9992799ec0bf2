package api

import (
	"net/http"
	"strings"

	"github.com/vigilsec/vigil/internal/store"
)

// apiPrefix is where the REST API lives.
const apiPrefix = "/api/v1/"

// noAuth marks routes that need no bearer token.
const noAuth store.Role = ""

// handlerFunc is one route's handler. It writes the answer on success and
// returns an error otherwise (an *apiError for what the client did wrong).
type handlerFunc func(s *server, w http.ResponseWriter, r *http.Request, c *call) error

// route is one entry of the route table, which both registers the routes
// and is checked against api/openapi.yaml.
type route struct {
	method string
	path   string
	// role is the least role allowed, or noAuth.
	role store.Role
	// action names the call in the audit log. Calls other than GET are
	// always audited; every refused call (403) is.
	action string
	handle handlerFunc
}

// pattern is the http.ServeMux pattern of the route.
func (rt route) pattern() string { return rt.method + " " + rt.path }

// routeTable lists every route the center serves.
func routeTable() []route {
	v := "/api/v1"
	return []route{
		{"GET", "/healthz", noAuth, "health", (*server).healthz},
		{"GET", "/metrics", store.RoleAdmin, "metrics.read", (*server).metrics},

		{"POST", v + "/login", noAuth, "login", (*server).login},
		{"POST", v + "/logout", store.RoleViewer, "logout", (*server).logout},
		{"GET", v + "/me", store.RoleViewer, "me", (*server).me},
		{"POST", v + "/enroll", noAuth, "", (*server).enroll},

		{"GET", v + "/agents", store.RoleViewer, "agent.list", (*server).listAgents},
		{"POST", v + "/agents/commands", store.RoleViewer, "command", (*server).execCommand},
		{"GET", v + "/agents/{id}", store.RoleViewer, "agent.get", (*server).getAgent},
		{"DELETE", v + "/agents/{id}", store.RoleAdmin, "agent.delete", (*server).deleteAgent},
		{"PUT", v + "/agents/{id}/labels", store.RoleResponder, "agent.labels", (*server).putAgentLabels},
		{"GET", v + "/agents/{id}/history", store.RoleViewer, "agent.history", (*server).agentHistory},
		{"GET", v + "/agents/{id}/policy", store.RoleViewer, "agent.policy", (*server).agentPolicy},

		{"GET", v + "/agent-policies", store.RoleViewer, "policy.list", (*server).listPolicies},
		{"GET", v + "/agent-policies/{name}", store.RoleViewer, "policy.get", (*server).getPolicy},
		{"PUT", v + "/agent-policies/{name}", store.RoleAdmin, "policy.put", (*server).putPolicy},
		{"DELETE", v + "/agent-policies/{name}", store.RoleAdmin, "policy.delete", (*server).deletePolicy},

		{"GET", v + "/events", store.RoleViewer, "event.list", (*server).listEvents},

		{"GET", v + "/assets", store.RoleViewer, "asset.list", (*server).listAssets},
		{"GET", v + "/assets/changes", store.RoleViewer, "asset.changes", (*server).listAssetChanges},
		{"GET", v + "/assets/summary", store.RoleViewer, "asset.summary", (*server).assetSummary},

		{"GET", v + "/vulns", store.RoleViewer, "vuln.list", (*server).listVulns},
		{"GET", v + "/vulns/hosts", store.RoleViewer, "vuln.hosts", (*server).vulnHosts},
		{"GET", v + "/vulns/cves", store.RoleViewer, "vuln.cves", (*server).vulnCVEs},
		{"GET", v + "/vulns/cves/{id}", store.RoleViewer, "vuln.cve", (*server).getVulnCVE},
		{"GET", v + "/patches", store.RoleViewer, "patch.list", (*server).listPatches},
		{"GET", v + "/weak-passwords", store.RoleViewer, "weak_password.list", (*server).listWeakPasswords},
		{"GET", v + "/weak-passwords/wordlists", store.RoleAdmin, "wordlist.list", (*server).listWordlists},
		{"PUT", v + "/weak-passwords/wordlists/{name}", store.RoleAdmin, "wordlist.put", (*server).putWordlist},
		{"DELETE", v + "/weak-passwords/wordlists/{name}", store.RoleAdmin, "wordlist.delete", (*server).deleteWordlist},
		{"GET", v + "/vulndb", store.RoleViewer, "vulndb.status", (*server).vulnDB},
		{"POST", v + "/vulndb/import", store.RoleResponder, "vulndb.import", (*server).importVulnDB},
		{"POST", v + "/vulndb/sync", store.RoleResponder, "vulndb.sync", (*server).syncVulnDB},
		{"GET", v + "/vulndb/jobs/{id}", store.RoleViewer, "vulndb.job", (*server).vulnDBJob},
		{"GET", v + "/vulndb/advisories", store.RoleViewer, "advisory.list", (*server).listAdvisories},
		{"GET", v + "/vulndb/advisories/{id}", store.RoleViewer, "advisory.get", (*server).getAdvisory},

		{"GET", v + "/compliance", store.RoleViewer, "compliance.list", (*server).listCompliance},
		{"GET", v + "/compliance/hosts/{id}", store.RoleViewer, "compliance.host", (*server).complianceHost},
		{"GET", v + "/compliance/scores", store.RoleViewer, "compliance.scores", (*server).complianceScores},
		{"GET", v + "/compliance/summaries", store.RoleViewer, "compliance.summaries", (*server).complianceSummaries},
		{"GET", v + "/compliance/groups", store.RoleViewer, "compliance.groups", (*server).complianceGroups},
		{"GET", v + "/compliance/checks", store.RoleViewer, "compliance.checks", (*server).complianceChecks},
		{"GET", v + "/compliance/drift", store.RoleViewer, "compliance.drift", (*server).complianceDrift},
		{"GET", v + "/compliance/report", store.RoleViewer, "compliance.report", (*server).complianceReport},
		{"GET", v + "/compliance/policies", store.RoleViewer, "compliance.policy.list", (*server).listCompliancePolicies},
		{"GET", v + "/compliance/policies/{id}", store.RoleViewer, "compliance.policy.get", (*server).getCompliancePolicy},
		{"PUT", v + "/compliance/policies/{id}", store.RoleAdmin, "compliance.policy.put", (*server).putCompliancePolicy},
		{"DELETE", v + "/compliance/policies/{id}", store.RoleAdmin, "compliance.policy.delete", (*server).deleteCompliancePolicy},
		{"PUT", v + "/compliance/policies/{id}/assignment", store.RoleAdmin, "compliance.assign", (*server).putComplianceAssignment},
		{"DELETE", v + "/compliance/policies/{id}/assignment", store.RoleAdmin, "compliance.unassign", (*server).deleteComplianceAssignment},
		{"GET", v + "/compliance/exceptions", store.RoleViewer, "compliance.exception.list", (*server).listComplianceExceptions},
		{"POST", v + "/compliance/exceptions", store.RoleAnalyst, "compliance.exception.create", (*server).createComplianceException},
		{"DELETE", v + "/compliance/exceptions/{id}", store.RoleAnalyst, "compliance.exception.delete", (*server).deleteComplianceException},

		{"GET", v + "/alerts", store.RoleViewer, "alert.list", (*server).listAlerts},
		{"GET", v + "/alerts/{id}", store.RoleViewer, "alert.get", (*server).getAlert},
		{"POST", v + "/alerts/{id}/state", store.RoleAnalyst, "alert.state", (*server).setAlertState},

		{"GET", v + "/incidents", store.RoleViewer, "incident.list", (*server).listIncidents},
		{"GET", v + "/incidents/{id}", store.RoleViewer, "incident.get", (*server).getIncident},
		{"POST", v + "/incidents/{id}/state", store.RoleAnalyst, "incident.state", (*server).setIncidentState},
		{"GET", v + "/incidents/{id}/alerts", store.RoleViewer, "incident.alerts", (*server).incidentAlerts},
		{"GET", v + "/incidents/{id}/timeline", store.RoleViewer, "incident.timeline", (*server).incidentTimeline},

		{"GET", v + "/rules", store.RoleViewer, "rule.list", (*server).listRules},
		{"GET", v + "/rules/problems", store.RoleViewer, "rule.problems", (*server).ruleProblems},
		{"POST", v + "/rules/import", store.RoleResponder, "rule.import", (*server).importRules},
		{"GET", v + "/rules/{id}", store.RoleViewer, "rule.get", (*server).getRule},
		{"GET", v + "/rules/{id}/source", store.RoleViewer, "rule.source", (*server).ruleSource},
		{"PUT", v + "/rules/{id}/setting", store.RoleResponder, "rule.setting", (*server).putRuleSetting},
		{"DELETE", v + "/rules/{id}/setting", store.RoleResponder, "rule.setting.delete", (*server).deleteRuleSetting},
		// Imported files live apart from /rules/{id}: a file's path may
		// end in any name, "setting" too.
		{"GET", v + "/rule-files", store.RoleViewer, "rulefile.list", (*server).listRuleFiles},
		{"DELETE", v + "/rule-files/{name...}", store.RoleResponder, "rulefile.delete", (*server).deleteRuleFile},

		{"GET", v + "/attack/coverage", store.RoleViewer, "attack.coverage", (*server).attackCoverage},

		{"GET", v + "/exceptions", store.RoleViewer, "exception.list", (*server).listExceptions},
		{"POST", v + "/exceptions", store.RoleAnalyst, "exception.create", (*server).createException},
		{"GET", v + "/exceptions/{id}", store.RoleViewer, "exception.get", (*server).getException},
		{"PUT", v + "/exceptions/{id}", store.RoleAnalyst, "exception.update", (*server).updateException},
		{"DELETE", v + "/exceptions/{id}", store.RoleAnalyst, "exception.delete", (*server).deleteException},

		{"GET", v + "/intel", store.RoleViewer, "intel.list", (*server).listIndicators},
		{"POST", v + "/intel", store.RoleAnalyst, "intel.add", (*server).addIndicators},
		{"POST", v + "/intel/import", store.RoleAnalyst, "intel.import", (*server).importIndicators},
		{"GET", v + "/intel/sources", store.RoleViewer, "intel.source.list", (*server).listIntelSources},
		{"DELETE", v + "/intel/sources/{name}", store.RoleAnalyst, "intel.source.delete", (*server).deleteIntelSource},
		{"GET", v + "/intel/check", store.RoleViewer, "intel.check", (*server).checkIndicator},
		{"GET", v + "/intel/{id}", store.RoleViewer, "intel.get", (*server).getIndicator},
		{"DELETE", v + "/intel/{id}", store.RoleAnalyst, "intel.delete", (*server).deleteIndicator},
		{"GET", v + "/baselines/logins", store.RoleViewer, "baseline.login.list", (*server).listLoginProfiles},
		{"DELETE", v + "/baselines/logins", store.RoleAnalyst, "baseline.login.reset", (*server).resetLoginProfiles},
		{"GET", v + "/notify/channels", store.RoleViewer, "notify.channel.list", (*server).listNotifyChannels},
		{"GET", v + "/notify/channels/{name}", store.RoleViewer, "notify.channel.get", (*server).getNotifyChannel},
		{"PUT", v + "/notify/channels/{name}", store.RoleAdmin, "notify.channel.put", (*server).putNotifyChannel},
		{"DELETE", v + "/notify/channels/{name}", store.RoleAdmin, "notify.channel.delete", (*server).deleteNotifyChannel},
		{"POST", v + "/notify/channels/{name}/test", store.RoleAdmin, "notify.channel.test", (*server).testNotifyChannel},

		{"GET", v + "/tokens", store.RoleAdmin, "token.list", (*server).listJoinTokens},
		{"POST", v + "/tokens", store.RoleAdmin, "token.create", (*server).createJoinToken},
		{"DELETE", v + "/tokens/{id}", store.RoleAdmin, "token.delete", (*server).deleteJoinToken},

		{"GET", v + "/api-tokens", store.RoleAdmin, "apitoken.list", (*server).listAPITokens},
		{"POST", v + "/api-tokens", store.RoleAdmin, "apitoken.create", (*server).createAPIToken},
		{"DELETE", v + "/api-tokens/{id}", store.RoleAdmin, "apitoken.delete", (*server).deleteAPIToken},

		{"GET", v + "/users", store.RoleAdmin, "user.list", (*server).listUsers},
		{"POST", v + "/users", store.RoleAdmin, "user.create", (*server).createUser},
		{"GET", v + "/users/{id}", store.RoleAdmin, "user.get", (*server).getUser},
		{"PATCH", v + "/users/{id}", store.RoleAdmin, "user.update", (*server).updateUser},
		{"DELETE", v + "/users/{id}", store.RoleAdmin, "user.delete", (*server).deleteUser},

		{"GET", v + "/audit", store.RoleAdmin, "audit.list", (*server).listAudit},
	}
}

// methods the API uses, for telling 405 from 404.
var methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

// unknownRoute answers requests no route matched: 405 when the path exists
// with other methods, else 404, both as JSON.
func (s *server) unknownRoute(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range methods {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != apiPrefix && pattern != "/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeErr(w, errorf(http.StatusMethodNotAllowed, "method %s not allowed on %s", r.Method, r.URL.Path))
		return
	}
	writeErr(w, errorf(http.StatusNotFound, "no route %s %s", r.Method, r.URL.Path))
}
