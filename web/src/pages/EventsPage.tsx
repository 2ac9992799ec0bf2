// Events: filters, "load more" paging, each row expandable to its JSON.
import { Fragment, useState, type FormEvent } from 'react';
import { listAgents, listEvents } from '../api/endpoints';
import type { EcsEvent } from '../api/types';
import { Empty, ErrorBanner, Loading } from '../components/feedback';
import { JsonView } from '../components/JsonView';
import { useI18n } from '../i18n';
import { summary, text } from '../lib/ecs';
import { useLoad } from '../lib/hooks';
import { formatTime, toLocalInput, toRFC3339 } from '../lib/time';
import { usePaged } from '../lib/usePaged';
import { navigate, useLocation, withQuery } from '../router';

/** ECS categories offered as suggestions; any other value may be typed. */
const categories = ['process', 'network', 'file', 'authentication', 'session', 'package', 'host', 'configuration', 'iam', 'intrusion_detection', 'malware', 'driver'];

const keys = ['agent_id', 'category', 'action', 'q', 'since', 'until'] as const;
type Filter = Record<(typeof keys)[number], string>;

function eventKey(e: EcsEvent, i: number): string {
  return text(e, 'event.id') || `${text(e, '@timestamp')}-${i}`;
}

export function EventsPage() {
  const { t } = useI18n();
  const { query } = useLocation();
  const applied = Object.fromEntries(keys.map((k) => [k, query.get(k) ?? ''])) as Filter;
  const [form, setForm] = useState<Filter>({ ...applied, since: toLocalInput(applied.since), until: toLocalInput(applied.until) });
  const [open, setOpen] = useState<Record<string, boolean>>({});
  const events = usePaged((cursor, signal) => listEvents({ ...applied, cursor }, signal), keys.map((k) => applied[k]));
  const agents = useLoad((signal) => listAgents({}, signal), []);

  const set = (k: keyof Filter) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  const apply = (e: FormEvent) => {
    e.preventDefault();
    setOpen({});
    navigate(
      withQuery('/events', {
        agent_id: form.agent_id.trim(),
        category: form.category.trim(),
        action: form.action.trim(),
        q: form.q.trim(),
        since: toRFC3339(form.since),
        until: toRFC3339(form.until),
      }),
    );
  };
  const reset = () => {
    setForm({ agent_id: '', category: '', action: '', q: '', since: '', until: '' });
    setOpen({});
    navigate('/events');
  };

  return (
    <div className="page">
      <form className="toolbar toolbar-wrap" onSubmit={apply} data-testid="events-filter">
        <input name="agent_id" list="agent-ids" placeholder={t('events.agent')} aria-label={t('events.agent')} value={form.agent_id} onChange={set('agent_id')} />
        <datalist id="agent-ids">
          {(agents.data?.items ?? []).map((a) => (
            <option key={a.id} value={a.id}>
              {a.hostname}
            </option>
          ))}
        </datalist>
        <input name="category" list="categories" className="w-small" placeholder={t('events.category')} aria-label={t('events.category')} value={form.category} onChange={set('category')} />
        <datalist id="categories">
          {categories.map((c) => (
            <option key={c} value={c} />
          ))}
        </datalist>
        <input name="action" className="w-small" placeholder={t('events.action')} aria-label={t('events.action')} value={form.action} onChange={set('action')} />
        <input name="q" type="search" className="w-search" placeholder={t('events.text')} aria-label={t('events.text')} value={form.q} onChange={set('q')} />
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
        <span className="count">{t('events.count', { n: events.items.length })}</span>
      </form>
      <ErrorBanner error={events.error} onRetry={events.reload} />
      {events.initial ? (
        <Loading />
      ) : events.items.length === 0 && !events.error ? (
        <Empty>{t('events.empty')}</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="events-table">
            <thead>
              <tr>
                <th className="c-toggle" />
                <th>{t('events.col.time')}</th>
                <th>{t('events.col.host')}</th>
                <th>{t('events.col.category')}</th>
                <th>{t('events.col.action')}</th>
                <th>{t('events.col.outcome')}</th>
                <th>{t('events.col.summary')}</th>
              </tr>
            </thead>
            <tbody>
              {events.items.map((e, i) => {
                const k = eventKey(e, i);
                const isOpen = !!open[k];
                return (
                  <Fragment key={k}>
                    <tr
                      className={`clickable ${isOpen ? 'selected' : ''}`}
                      data-event-id={text(e, 'event.id')}
                      tabIndex={0}
                      onClick={() => setOpen({ ...open, [k]: !isOpen })}
                      onKeyDown={(ev) => ev.key === 'Enter' && setOpen({ ...open, [k]: !isOpen })}
                      aria-expanded={isOpen}
                    >
                      <td className="c-toggle">{isOpen ? '▾' : '▸'}</td>
                      <td className="nowrap mono small">{formatTime(text(e, '@timestamp'))}</td>
                      <td>
                        <div>{text(e, 'host.name') || <span className="muted">—</span>}</div>
                        <div className="sub mono">{text(e, 'agent.id')}</div>
                      </td>
                      <td>
                        <span className="tag">{text(e, 'event.category') || '—'}</span>
                      </td>
                      <td className="mono small">{text(e, 'event.action')}</td>
                      <td className={`small outcome-${text(e, 'event.outcome')}`}>{text(e, 'event.outcome') || '—'}</td>
                      <td className="summary mono small" title={summary(e)}>
                        {summary(e)}
                      </td>
                    </tr>
                    {isOpen && (
                      <tr className="expanded">
                        <td colSpan={7}>
                          <JsonView value={e} label={text(e, 'event.id') || 'event'} />
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
      {events.nextCursor && (
        <div className="more">
          <button type="button" className="btn" onClick={events.loadMore} disabled={events.loading} data-testid="load-more">
            {events.loading ? t('common.loading') : t('action.loadMore')}
          </button>
        </div>
      )}
    </div>
  );
}
