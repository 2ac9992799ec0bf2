// The timeline of an incident (事件还原): the related events of its hosts in
// time order, each marked with the alerts it raised, filtered by category,
// host or to the alerted ones, over a span around the alerts the user
// chooses; a row opens to the event's fields and document.
import { useMemo, useState } from 'react';
import type { Alert, Timeline, TimelineEntry } from '../api/types';
import { SeverityBadge } from '../components/badges';
import { EventFields } from '../components/EventRow';
import { ExpandRow, useOpenRows } from '../components/ExpandRow';
import { Empty } from '../components/feedback';
import { JsonView } from '../components/JsonView';
import { AbsTime, useSpanText } from '../components/time';
import { useI18n } from '../i18n';
import { parseDuration } from '../lib/duration';
import { formatTime } from '../lib/time';
import { alertsById, entryCategories, filterEntries, sortEntries, timelineSpans } from '../lib/timeline';
import { Link } from '../router';

interface Props {
  timeline: Timeline;
  before: string;
  after: string;
  onSpan: (before: string, after: string) => void;
}

export function IncidentTimeline({ timeline, before, after, onSpan }: Props) {
  const { t } = useI18n();
  const open = useOpenRows<string>();
  const spanText = useSpanText();
  const spanLabel = (s: string) => spanText(parseDuration(s) ?? 0);
  const [alertedOnly, setAlertedOnly] = useState(false);
  const [category, setCategory] = useState('');
  const [agentId, setAgentId] = useState('');
  const entries = useMemo(() => sortEntries(timeline.entries), [timeline.entries]);
  const alerts = useMemo(() => alertsById(timeline.alerts), [timeline.alerts]);
  const categories = useMemo(() => entryCategories(entries), [entries]);
  const hosts = useMemo(() => {
    const m = new Map<string, string>();
    for (const e of entries) if (!m.has(e.agent_id)) m.set(e.agent_id, e.hostname || e.agent_id);
    return [...m];
  }, [entries]);
  const shown = filterEntries(entries, { alertedOnly, category, agentId });
  const alerted = entries.filter((e) => (e.alert_ids ?? []).length > 0).length;
  const manyHosts = hosts.length > 1;
  const spanOptions = timelineSpans.includes(before as (typeof timelineSpans)[number]) ? timelineSpans : [before, ...timelineSpans];
  const afterOptions = timelineSpans.includes(after as (typeof timelineSpans)[number]) ? timelineSpans : [after, ...timelineSpans];

  return (
    <div data-testid="incident-timeline">
      <div className="toolbar toolbar-wrap">
        <label className="inline">
          <span>{t('timeline.before')}</span>
          <select name="before" value={before} onChange={(e) => onSpan(e.target.value, after)}>
            {spanOptions.map((s) => (
              <option key={s} value={s}>
                {spanLabel(s)}
              </option>
            ))}
          </select>
        </label>
        <label className="inline">
          <span>{t('timeline.after')}</span>
          <select name="after" value={after} onChange={(e) => onSpan(before, e.target.value)}>
            {afterOptions.map((s) => (
              <option key={s} value={s}>
                {spanLabel(s)}
              </option>
            ))}
          </select>
        </label>
        <select name="category" aria-label={t('events.category')} value={category} onChange={(e) => setCategory(e.target.value)}>
          <option value="">{t('timeline.allCategories')}</option>
          {categories.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
        {manyHosts && (
          <select name="host" aria-label={t('alerts.col.host')} value={agentId} onChange={(e) => setAgentId(e.target.value)}>
            <option value="">{t('incidents.allHosts')}</option>
            {hosts.map(([id, name]) => (
              <option key={id} value={id}>
                {name}
              </option>
            ))}
          </select>
        )}
        <label className="check-inline">
          <input type="checkbox" name="alerted-only" checked={alertedOnly} onChange={(e) => setAlertedOnly(e.target.checked)} />
          <span>{t('timeline.alertedOnly')}</span>
        </label>
        <div className="toolbar-spacer" />
        <span className="count" data-testid="timeline-count">
          {t('timeline.count', { n: entries.length, alerted, shown: shown.length })}
        </span>
      </div>
      <p className="hint">
        {t('timeline.span', { since: formatTime(timeline.since), until: formatTime(timeline.until) })}
      </p>
      {timeline.truncated && <div className="warn-banner">{t('timeline.truncated')}</div>}
      {shown.length === 0 ? (
        <Empty>{entries.length === 0 ? t('timeline.empty') : t('timeline.noneShown')}</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table tl-table" data-testid="timeline-table">
            <thead>
              <tr>
                <th className="c-toggle" />
                <th>{t('events.col.time')}</th>
                {manyHosts && <th>{t('events.col.host')}</th>}
                <th>{t('timeline.col.kind')}</th>
                <th>{t('timeline.col.what')}</th>
                <th>{t('timeline.col.alerts')}</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((e, i) => {
                const k = e.event_id || `${e.time}-${i}`;
                const marks = (e.alert_ids ?? []).map((id) => alerts.get(id) ?? ({ id } as Alert));
                return (
                  <ExpandRow
                    key={k}
                    open={open.isOpen(k)}
                    onToggle={() => open.toggle(k)}
                    data={{ 'data-event-id': e.event_id, 'data-category': e.category, 'data-alerted': marks.length > 0 ? 'true' : undefined }}
                    span={manyHosts ? 6 : 5}
                    className={marks.length > 0 ? 'tl-alerted' : undefined}
                    detail={() => <EntryDetail entry={e} />}
                  >
                    <td className="nowrap mono small tl-time">
                      <span className={marks.length > 0 ? 'tl-dot tl-dot-alert' : 'tl-dot'} />
                      {formatTime(e.time)}
                    </td>
                    {manyHosts && <td className="nowrap">{e.hostname || <span className="mono small">{e.agent_id}</span>}</td>}
                    <td className="nowrap">
                      <span className="tag">{e.category || '—'}</span> <span className="mono small">{e.action}</span>
                    </td>
                    <td className="tl-summary mono small" title={e.summary}>
                      {e.summary}
                    </td>
                    <td>
                      <AlertMarks alerts={marks} />
                    </td>
                  </ExpandRow>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

/** AlertMarks shows the alerts an entry raised: severity and title, each a link to the alert. */
export function AlertMarks({ alerts }: { alerts: Alert[] }) {
  if (alerts.length === 0) return null;
  return (
    <div className="tl-marks">
      {alerts.map((a) => (
        <Link key={a.id} to={`/alerts/${encodeURIComponent(a.id)}`} className="tl-mark" title={a.title || a.id}>
          {a.severity && <SeverityBadge severity={a.severity} />}
          <span className="tl-mark-title">{a.title || a.id}</span>
        </Link>
      ))}
    </div>
  );
}

function EntryDetail({ entry }: { entry: TimelineEntry }) {
  const { t } = useI18n();
  return (
    <div className="tl-detail">
      <div className="tl-detail-head">
        <AbsTime value={entry.time} /> · <span className="mono small">{entry.event_id}</span>
        {entry.agent_id && (
          <>
            {' · '}
            <Link to={`/agents/${encodeURIComponent(entry.agent_id)}`}>{entry.hostname || entry.agent_id}</Link>
          </>
        )}
      </div>
      <EventFields event={entry.event ?? {}} />
      <JsonView value={entry.event} label={t('timeline.document')} />
    </div>
  );
}
