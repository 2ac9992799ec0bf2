// An agent's recent events: the newest page, a category filter, and, while
// live, what the center stores after it (followed with the ascending cursor
// of the events listing), newest on top; older pages on demand.
import { useReducer, useRef, useState } from 'react';
import { listEvents } from '../api/endpoints';
import { EventRow, useEventColumns } from '../components/EventRow';
import { useOpenRows } from '../components/ExpandRow';
import { Empty, ErrorBanner, Loading } from '../components/feedback';
import { LiveSwitch } from '../components/LiveSwitch';
import { useI18n, type MessageKey } from '../i18n';
import { applyNewer, applyOlder, eventKey, followQuery, startFollow, type FollowState } from '../lib/eventFollow';
import { usePoller } from '../lib/poller';

/** The ECS categories an agent's events come in. */
export const hostEventCategories = ['process', 'network', 'file', 'authentication', 'session', 'iam', 'configuration', 'driver', 'host', 'package'] as const;

/** How often live events are asked for. */
export const hostEventsPollMs = 5000;
/** The first page, and each page of older events. */
export const hostEventsPage = 50;
/** The most events kept in the list; older ones are dropped as new ones come. */
export const hostEventsMax = 500;
/** A page of followed events, and how many such pages one refresh reads at most. */
const followPage = 200;
const followPagesPerRefresh = 5;

export function HostEventsTab({ agentId }: { agentId: string }) {
  const [category, setCategory] = useState('');
  const [live, setLive] = useState(true);
  // A new category starts the list over.
  return <HostEventsList key={category} agentId={agentId} category={category} setCategory={setCategory} live={live} setLive={setLive} />;
}

interface ListProps {
  agentId: string;
  category: string;
  setCategory: (c: string) => void;
  live: boolean;
  setLive: (on: boolean) => void;
}

function HostEventsList({ agentId, category, setCategory, live, setLive }: ListProps) {
  const { t } = useI18n();
  const columns = useEventColumns('agent');
  const open = useOpenRows<string>();
  const state = useRef<FollowState | null>(null);
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const [error, setError] = useState<unknown>(null);
  const [olderBusy, setOlderBusy] = useState(false);
  const set = (s: FollowState) => {
    state.current = s;
    rerender();
  };
  const filter = { agent_id: agentId, category: category || undefined };

  const poll = usePoller<void>(
    {
      intervalMs: hostEventsPollMs,
      live,
      load: async (signal) => {
        if (!state.current) {
          const first = await listEvents({ ...filter, limit: hostEventsPage }, signal);
          if (!signal.aborted) set(startFollow(first));
          return;
        }
        for (let i = 0; i < followPagesPerRefresh; i++) {
          const page = await listEvents({ ...filter, ...followQuery(state.current!), limit: followPage }, signal);
          if (signal.aborted) return;
          set(applyNewer(state.current!, page, hostEventsMax));
          if ((page.items ?? []).length < followPage) return;
        }
      },
      onData: () => setError(null),
      onError: setError,
    },
    [agentId, category],
  );

  const loadOlder = async () => {
    const s = state.current;
    if (!s?.older) return;
    setOlderBusy(true);
    try {
      const page = await listEvents({ ...filter, limit: hostEventsPage, cursor: s.older });
      if (state.current) set(applyOlder(state.current, page));
      setError(null);
    } catch (err) {
      setError(err);
    } finally {
      setOlderBusy(false);
    }
  };

  const s = state.current;
  return (
    <div className="host-tab" data-testid="agent-events">
      <div className="toolbar toolbar-wrap host-toolbar">
        <select name="category" aria-label={t('events.category')} value={category} onChange={(e) => setCategory(e.target.value)} data-testid="event-category">
            <option value="">{t('ev.allCategories')}</option>
            {hostEventCategories.map((c) => (
              <option key={c} value={c}>
                {t(`ev.cat.${c}` as MessageKey)}
              </option>
            ))}
        </select>
        <div className="toolbar-spacer" />
        {s && (
          <span className="count" data-testid="event-count">
            {t('ev.count', { n: s.events.length })}
          </span>
        )}
        <LiveSwitch live={live} onChange={setLive} busy={poll.busy} failing={!!error} seconds={hostEventsPollMs / 1000} />
        <button type="button" className="btn btn-small" onClick={poll.refresh} disabled={poll.busy} data-testid="refresh-events">
          {poll.busy ? t('common.loading') : t('action.refresh')}
        </button>
      </div>
      <ErrorBanner error={error} onRetry={poll.refresh} />
      {!s ? (
        !error && <Loading />
      ) : s.events.length === 0 ? (
        <Empty>{category ? t('ev.emptyCategory', { category: t(`ev.cat.${category}` as MessageKey) }) : t('ev.empty')}</Empty>
      ) : (
        <>
          <div className="table-scroll">
            <table className="table table-compact ev-table" data-testid="agent-events-table">
              <thead>
                <tr>
                  <th className="c-toggle" />
                  {columns.map((c, i) => (
                    <th key={i}>{c}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {s.events.map((e) => {
                  const k = eventKey(e);
                  return <EventRow key={k} event={e} variant="agent" open={open.isOpen(k)} onToggle={() => open.toggle(k)} fresh={s.fresh.has(k)} />;
                })}
              </tbody>
            </table>
          </div>
          {s.trimmed > 0 && <p className="hint host-note">{t('ev.trimmed', { n: s.events.length })}</p>}
          {s.older && (
            <div className="more">
              <button type="button" className="btn btn-small" onClick={() => void loadOlder()} disabled={olderBusy} data-testid="older-events">
                {olderBusy ? t('common.loading') : t('ev.older')}
              </button>
            </div>
          )}
        </>
      )}
    </div>
  );
}
