// The frame around every signed-in page: dark sidebar, header with the
// language switch, the user and sign-out.
import type { ReactNode } from 'react';
import { useI18n, type Lang, type MessageKey } from '../i18n';
import { Link, useLocation } from '../router';
import { hasRole } from '../lib/roles';
import { useSession } from '../session';
import { adminNav, detectNav, mainNav, riskNav, type NavEntry } from './nav';

export function Logo() {
  return (
    <svg className="logo" viewBox="0 0 32 32" aria-hidden="true">
      <path d="M16 2 4 7v8c0 7.5 5.1 13.3 12 15 6.9-1.7 12-7.5 12-15V7L16 2z" />
      <circle cx="16" cy="15" r="4.5" />
      <circle cx="16" cy="15" r="1.6" className="logo-pupil" />
    </svg>
  );
}

export function LanguageSwitch() {
  const { lang, setLang } = useI18n();
  const options: [Lang, string][] = [
    ['zh', '中文'],
    ['en', 'English'],
  ];
  return (
    <div className="lang-switch" role="group" aria-label="Language / 语言">
      {options.map(([l, name]) => (
        <button
          key={l}
          type="button"
          className={lang === l ? 'active' : ''}
          aria-pressed={lang === l}
          onClick={() => setLang(l)}
          lang={l === 'zh' ? 'zh-CN' : 'en'}
        >
          {name}
        </button>
      ))}
    </div>
  );
}

interface LayoutProps {
  title: string;
  onSignOut: () => void;
  children: ReactNode;
}

export function Layout({ title, onSignOut, children }: LayoutProps) {
  const { t } = useI18n();
  const { path } = useLocation();
  const session = useSession();
  const adminItems = adminNav.filter((n) => hasRole(session?.role, n.role ?? 'viewer'));
  const item = (n: NavEntry) => (
    <li key={n.to}>
      <Link to={n.to} className={[n.to, ...(n.also ?? [])].some((p) => path === p || path.startsWith(`${p}/`)) ? 'active' : ''}>
        {n.icon}
        <span>{t(n.key)}</span>
      </Link>
    </li>
  );
  return (
    <div className="shell">
      <nav className="sidebar">
        <div className="brand">
          <Logo />
          <div>
            <div className="brand-name">Vigil</div>
            <div className="brand-sub">{t('app.tagline')}</div>
          </div>
        </div>
        <ul className="nav">{mainNav.map(item)}</ul>
        <div className="nav-heading">{t('nav.detection')}</div>
        <ul className="nav" data-testid="detect-nav">
          {detectNav.map(item)}
        </ul>
        <div className="nav-heading">{t('nav.riskGroup')}</div>
        <ul className="nav" data-testid="risk-nav">
          {riskNav.map(item)}
        </ul>
        {adminItems.length > 0 && (
          <>
            <div className="nav-heading">{t('nav.admin')}</div>
            <ul className="nav" data-testid="admin-nav">
              {adminItems.map(item)}
            </ul>
          </>
        )}
      </nav>
      <div className="main">
        <header className="topbar">
          <h1>{title}</h1>
          <div className="topbar-right">
            <LanguageSwitch />
            {session && (
              <span className="user" title={session.kind === 'api' ? t('header.apiToken') : ''}>
                <span className="user-name">{session.name || t('header.unknownUser')}</span>
                {session.role && <span className="user-role">{t(`role.${session.role}` as MessageKey)}</span>}
              </span>
            )}
            <button type="button" className="btn btn-ghost" onClick={onSignOut}>
              {t('action.signOut')}
            </button>
          </div>
        </header>
        <main className="content">{children}</main>
      </div>
    </div>
  );
}
