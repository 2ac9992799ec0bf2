// Routes and the signed-in gate.
import { useCallback, useEffect } from 'react';
import { onUnauthorized } from './api/client';
import { logout } from './api/endpoints';
import { Layout } from './components/Layout';
import { useI18n } from './i18n';
import { AgentsPage } from './pages/AgentsPage';
import { AlertsPage } from './pages/AlertsPage';
import { EventsPage } from './pages/EventsPage';
import { LoginPage } from './pages/LoginPage';
import { match, navigate, useLocation } from './router';
import { clearSession, useSession } from './session';

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
  if (path === '/login' || !session) {
    title = t('login.title');
  } else if (path === '/agents' || agent) {
    page = <AgentsPage selected={agent?.id} />;
    title = t('nav.agents');
  } else if (path === '/alerts' || alert) {
    page = <AlertsPage selected={alert?.id} />;
    title = t('nav.alerts');
  } else if (path === '/events') {
    page = <EventsPage />;
    title = t('nav.events');
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
