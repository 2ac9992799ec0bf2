// The audit log (admin): filters by actor, action prefix and time, cursor
// paging, each entry expandable to its detail.
import { Fragment, useState, type FormEvent } from 'react';
import { listAudit } from '../api/admin';
import { Empty, ErrorBanner, Loading } from '../components/feedback';
import { JsonView } from '../components/JsonView';
import { AbsTime } from '../components/time';
import { useI18n, type MessageKey } from '../i18n';
import { auditActions, auditResultClass } from '../lib/audit';
import { toLocalInput, toRFC3339 } from '../lib/time';
import { usePaged } from '../lib/usePaged';
import { navigate, useLocation, withQuery } from '../router';

const keys = ['actor', 'action', 'since', 'until'] as const;
type Filter = Record<(typeof keys)[number], string>;

export function AuditPage() {
  const { t } = useI18n();
  const { query } = useLocation();
  const applied = Object.fromEntries(keys.map((k) => [k, query.get(k) ?? ''])) as Filter;
  const [form, setForm] = useState<Filter>({ ...applied, since: toLocalInput(applied.since), until: toLocalInput(applied.until) });
  const [open, setOpen] = useState<Record<number, boolean>>({});
  const entries = usePaged((cursor, signal) => listAudit({ ...applied, cursor }, signal), keys.map((k) => applied[k]));

  const set = (k: keyof Filter) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  const apply = (e: FormEvent) => {
    e.preventDefault();
    setOpen({});
    navigate(
      withQuery('/audit', {
        actor: form.actor.trim(),
        action: form.action.trim(),
        since: toRFC3339(form.since),
        until: toRFC3339(form.until),
      }),
    );
  };
  const reset = () => {
    setForm({ actor: '', action: '', since: '', until: '' });
    setOpen({});
    navigate('/audit');
  };
  const resultKey = (r: string): MessageKey | null => (['ok', 'denied', 'error'].includes(r) ? (`audit.result.${r}` as MessageKey) : null);

  return (
    <div className="page">
      <form className="toolbar toolbar-wrap" onSubmit={apply} data-testid="audit-filter">
        <input name="actor" className="w-small" placeholder={t('audit.actor')} aria-label={t('audit.actor')} value={form.actor} onChange={set('actor')} />
        <input name="action" list="audit-actions" className="w-small" placeholder={t('audit.action')} aria-label={t('audit.action')} title={t('audit.actionHint')} value={form.action} onChange={set('action')} />
        <datalist id="audit-actions">
          {auditActions.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        <label className="inline">
          <span>{t('events.since')}</span>
          <input name="since" type="datetime-local" value={form.since} onChange={set('since')} />
        </label>
        <label className="inline">
          <span>{t('events.until')}</span>
          <input name="until" type="datetime-local" value={form.until} onChange={set('until')} />
        </label>
        <button type="submit" className="btn btn-primary btn-small">
          {t('action.apply')}
        </button>
        <button type="button" className="btn btn-ghost btn-small" onClick={reset}>
          {t('action.reset')}
        </button>
        <div className="toolbar-spacer" />
        <span className="count">{t('audit.count', { n: entries.items.length })}</span>
        <button type="button" className="btn btn-small" onClick={entries.reload} disabled={entries.loading}>
          {t('action.refresh')}
        </button>
      </form>
      <ErrorBanner error={entries.error} onRetry={entries.reload} />
      {entries.initial ? (
        <Loading />
      ) : entries.items.length === 0 && !entries.error ? (
        <Empty>{t('audit.empty')}</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="audit-table">
            <thead>
              <tr>
                <th className="c-toggle" />
                <th>{t('audit.col.time')}</th>
                <th>{t('audit.col.actor')}</th>
                <th>{t('audit.col.action')}</th>
                <th>{t('audit.col.target')}</th>
                <th>{t('audit.col.result')}</th>
                <th>{t('audit.col.source')}</th>
              </tr>
            </thead>
            <tbody>
              {entries.items.map((a, i) => {
                const k = a.id ?? i;
                const isOpen = !!open[k];
                const rk = resultKey(a.result);
                const toggle = () => setOpen({ ...open, [k]: !isOpen });
                return (
                  <Fragment key={k}>
                    <tr
                      className={`clickable ${isOpen ? 'selected' : ''}`}
                      data-audit-id={a.id}
                      data-action={a.action}
                      data-result={a.result}
                      tabIndex={0}
                      onClick={toggle}
                      onKeyDown={(ev) => ev.key === 'Enter' && toggle()}
                      aria-expanded={isOpen}
                    >
                      <td className="c-toggle">{isOpen ? '▾' : '▸'}</td>
                      <td className="nowrap mono small">
                        <AbsTime value={a.at} />
                      </td>
                      <td>
                        <div>{a.actor}</div>
                        {a.role && <div className="sub">{t(`role.${a.role}` as MessageKey)}</div>}
                      </td>
                      <td className="mono small">{a.action}</td>
                      <td className="mono small target-cell" title={a.target}>
                        {a.target || <span className="muted">—</span>}
                      </td>
                      <td>
                        <span className={`badge ${auditResultClass(a.result)}`}>{rk ? t(rk) : a.result}</span>
                      </td>
                      <td className="mono small">{a.source_ip || <span className="muted">—</span>}</td>
                    </tr>
                    {isOpen && (
                      <tr className="expanded">
                        <td colSpan={7}>
                          {a.detail && Object.keys(a.detail).length > 0 ? (
                            <JsonView value={a.detail} label={t('audit.detail')} />
                          ) : (
                            <span className="muted">{t('audit.noDetail')}</span>
                          )}
                        </td>
                      </tr>
                    )}
                  </Fragment>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {entries.nextCursor && (
        <div className="more">
          <button type="button" className="btn" onClick={entries.loadMore} disabled={entries.loading} data-testid="load-more">
            {entries.loading ? t('common.loading') : t('action.loadMore')}
          </button>
        </div>
      )}
    </div>
  );
}
