// Routes and the signed-in gate.
import { useCallback, useEffect, type ReactElement } from 'react';
import { onUnauthorized } from './api/client';
import { logout, me } from './api/endpoints';
import { Layout } from './components/Layout';
import { RequireRole } from './components/RequireRole';
import { useI18n, type MessageKey } from './i18n';
import { isRole } from './lib/roles';
import { AgentsPage } from './pages/AgentsPage';
import { AlertsPage } from './pages/AlertsPage';
import { AttackPage } from './pages/AttackPage';
import { ExceptionsPage } from './pages/ExceptionsPage';
import { IncidentPage } from './pages/IncidentPage';
import { IncidentsPage } from './pages/IncidentsPage';
import { RulePage } from './pages/RulePage';
import { RulesPage } from './pages/RulesPage';
import { ApiTokensPage } from './pages/ApiTokensPage';
import { AuditPage } from './pages/AuditPage';
import { CompliancePage } from './pages/CompliancePage';
import { CompliancePolicyPage } from './pages/CompliancePolicyPage';
import { EventsPage } from './pages/EventsPage';
import { IntelPage } from './pages/IntelPage';
import { InventoryPage } from './pages/InventoryPage';
import { JoinTokensPage } from './pages/JoinTokensPage';
import { LoginBaselinesPage } from './pages/LoginBaselinesPage';
import { LoginPage } from './pages/LoginPage';
import { NotifyChannelsPage } from './pages/NotifyChannelsPage';
import { PatchesPage } from './pages/PatchesPage';
import { PoliciesPage } from './pages/PoliciesPage';
import { RiskPage } from './pages/RiskPage';
import { VulnDBPage } from './pages/VulnDBPage';
import { VulnPage } from './pages/VulnPage';
import { VulnsPage } from './pages/VulnsPage';
import { WeakPasswordsPage } from './pages/WeakPasswordsPage';
import { UsersPage } from './pages/UsersPage';
import { match, navigate, useLocation } from './router';
import { clearSession, refreshWho, useSession } from './session';

/** How often the console asks GET /me for the caller's current role. */
const whoAmIMs = 60_000;

/** Admin pages: path, title and page. */
const adminPages: Record<string, [MessageKey, () => ReactElement]> = {
  '/join-tokens': ['nav.joinTokens', () => <JoinTokensPage />],
  '/users': ['nav.users', () => <UsersPage />],
  '/api-tokens': ['nav.apiTokens', () => <ApiTokensPage />],
  '/audit': ['nav.audit', () => <AuditPage />],
};

export function App() {
  const { t } = useI18n();
  const { path } = useLocation();
  const session = useSession();

  useEffect(
    () =>
      onUnauthorized(() => {
        const here = window.location.pathname + window.location.search;
        navigate(here.startsWith('/login') ? here : `/login?expired=1&next=${encodeURIComponent(here)}`, true);
      }),
    [],
  );

  useEffect(() => {
    if (!session && path !== '/login') {
      const here = window.location.pathname + window.location.search;
      navigate(path === '/' ? '/login' : `/login?next=${encodeURIComponent(here)}`, true);
    } else if (session && (path === '/' || path === '/login')) {
      navigate('/agents', true);
    }
  }, [session, path]);

  // The role decides what the sidebar offers; a user's role may change
  // while signed in, so it is read again from the center now and then.
  const token = session?.token;
  useEffect(() => {
    if (!token) return;
    let stopped = false;
    const check = () =>
      me()
        .then((who) => !stopped && refreshWho(token, who.name, isRole(who.role) ? who.role : ''))
        .catch(() => undefined);
    void check();
    const id = setInterval(check, whoAmIMs);
    return () => {
      stopped = true;
      clearInterval(id);
    };
  }, [token]);

  const signOut = useCallback(() => {
    // Only a console session ends on the center; an API token stays valid.
    if (session?.kind === 'session') void logout().catch(() => undefined);
    clearSession();
    navigate('/login', true);
  }, [session]);

  let page = <NotFound />;
  let title = t('page.notFound');
  const agent = match('/agents/:id', path);
  const alert = match('/alerts/:id', path);
  const policy = match('/policies/:name', path);
  const incidentId = match('/incidents/:id', path)?.id;
  const ruleId = path === '/rules/problems' ? undefined : match('/rules/:id', path)?.id;
  const vulnId = match('/vulns/cves/:id', path)?.id;
  const compliancePolicy = match('/compliance/policies/:id', path)?.id;
  if (path === '/login' || !session) {
    title = t('login.title');
  } else if (path === '/agents' || agent) {
    page = <AgentsPage selected={agent?.id} />;
    title = t('nav.agents');
  } else if (path === '/alerts' || alert) {
    page = <AlertsPage selected={alert?.id} />;
    title = t('nav.alerts');
  } else if (path === '/incidents') {
    page = <IncidentsPage />;
    title = t('nav.incidents');
  } else if (incidentId) {
    page = <IncidentPage key={incidentId} id={incidentId} />;
    title = t('incident.title');
  } else if (path === '/rules' || path === '/rules/problems' || path === '/rule-files') {
    page = <RulesPage view={path === '/rules' ? 'rules' : path === '/rule-files' ? 'files' : 'problems'} />;
    title = t('nav.rules');
  } else if (ruleId) {
    page = <RulePage key={ruleId} id={ruleId} />;
    title = t('rule.title');
  } else if (path === '/exceptions') {
    page = <ExceptionsPage />;
    title = t('nav.exceptions');
  } else if (path === '/intel' || path === '/intel/sources') {
    page = <IntelPage view={path === '/intel/sources' ? 'sources' : 'indicators'} />;
    title = t('nav.intel');
  } else if (path === '/baselines/logins') {
    page = <LoginBaselinesPage />;
    title = t('nav.loginBaselines');
  } else if (path === '/attack') {
    page = <AttackPage />;
    title = t('nav.attack');
  } else if (path === '/inventory' || path === '/inventory/changes') {
    page = <InventoryPage view={path === '/inventory/changes' ? 'changes' : 'items'} />;
    title = t('nav.inventory');
  } else if (path === '/risk') {
    page = <RiskPage />;
    title = t('nav.risk');
  } else if (path === '/vulns' || path === '/vulns/cves') {
    page = <VulnsPage view={path === '/vulns/cves' ? 'cves' : 'findings'} />;
    title = t('nav.vulns');
  } else if (vulnId) {
    page = <VulnPage key={vulnId} id={vulnId} />;
    title = t('vuln.title');
  } else if (path === '/patches') {
    page = <PatchesPage />;
    title = t('nav.patches');
  } else if (path === '/weak-passwords' || path === '/weak-passwords/wordlists') {
    page = <WeakPasswordsPage view={path === '/weak-passwords/wordlists' ? 'wordlists' : 'findings'} />;
    title = t('nav.weak');
  } else if (path === '/compliance' || path === '/compliance/policies' || path === '/compliance/exceptions') {
    page = <CompliancePage view={path === '/compliance' ? 'overview' : path === '/compliance/policies' ? 'policies' : 'exceptions'} />;
    title = t('nav.compliance');
  } else if (compliancePolicy) {
    page = <CompliancePolicyPage key={compliancePolicy} id={compliancePolicy} />;
    title = t('cpol.title');
  } else if (path === '/vulndb') {
    page = <VulnDBPage />;
    title = t('nav.vulndb');
  } else if (path === '/events') {
    page = <EventsPage />;
    title = t('nav.events');
  } else if (path === '/policies' || policy) {
    page = <PoliciesPage selected={policy?.name} />;
    title = t('nav.policies');
  } else if (path === '/notify-channels') {
    page = <NotifyChannelsPage />;
    title = t('nav.notifyChannels');
  } else if (adminPages[path]) {
    const [key, render] = adminPages[path];
    page = <RequireRole need="admin">{render()}</RequireRole>;
    title = t(key);
  }
  useEffect(() => {
    document.title = `${title} · Vigil`;
  }, [title]);

  if (!session || path === '/login') return <LoginPage />;

  return (
    <Layout title={title} onSignOut={signOut}>
      {page}
    </Layout>
  );
}

function NotFound() {
  const { t } = useI18n();
  return <div className="empty">{t('page.notFoundText')}</div>;
}
