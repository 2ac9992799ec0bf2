// Sign-in: username and password (a console session), or an API token.
import { useState, type FormEvent } from 'react';
import { login, me } from '../api/endpoints';
import { ErrorBanner } from '../components/feedback';
import { LanguageSwitch, Logo } from '../components/Layout';
import { useI18n } from '../i18n';
import { navigate, useLocation } from '../router';
import { setSession } from '../session';

function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login') ? next : '/agents';
}

export function LoginPage() {
  const { t } = useI18n();
  const { query } = useLocation();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const next = safeNext(query.get('next'));

  const submitPassword = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const res = await login(username.trim(), password);
      setSession({
        token: res.token,
        name: res.user?.name ?? username.trim(),
        role: res.user?.role ?? '',
        kind: 'session',
        expiresAt: res.expires_at,
      });
      navigate(next, true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const submitToken = async (e: FormEvent) => {
    e.preventDefault();
    const value = token.trim();
    setBusy(true);
    setError(null);
    try {
      const who = await me(value);
      setSession({ token: value, name: who.name, role: who.role, kind: who.kind || 'api' });
      navigate(next, true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="login">
      <div className="login-lang">
        <LanguageSwitch />
      </div>
      <div className="login-card">
        <div className="login-brand">
          <Logo />
          <div>
            <div className="brand-name">Vigil</div>
            <div className="brand-sub">{t('app.tagline')}</div>
          </div>
        </div>
        <h1>{t('login.title')}</h1>
        {query.get('expired') && !error && <div className="info-banner">{t('login.expired')}</div>}
        <ErrorBanner error={error} />
        <form onSubmit={submitPassword} className="form" data-testid="login-password">
          <label>
            <span>{t('login.username')}</span>
            <input
              name="username"
              autoComplete="username"
              value={username}
              onChange={(e) => setUsername(e.target.value)}
              required
              autoFocus
            />
          </label>
          <label>
            <span>{t('login.password')}</span>
            <input
              name="password"
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              required
            />
          </label>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {t('login.submit')}
          </button>
        </form>
        <div className="divider">
          <span>{t('login.or')}</span>
        </div>
        <form onSubmit={submitToken} className="form" data-testid="login-token">
          <label>
            <span>{t('login.token')}</span>
            <input
              name="token"
              type="password"
              autoComplete="off"
              spellCheck={false}
              placeholder="vgt_…"
              value={token}
              onChange={(e) => setToken(e.target.value)}
              required
            />
          </label>
          <button type="submit" className="btn" disabled={busy}>
            {t('login.submitToken')}
          </button>
        </form>
        <p className="login-note">{t('login.note')}</p>
      </div>
    </div>
  );
}
