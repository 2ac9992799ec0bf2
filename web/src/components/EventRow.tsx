// One event as a table row that opens to its JSON document, shared by the
// events page and an agent's events: time, kind, and the fields that tell
// what happened (process and command line, addresses, file, user, message).
import type { ReactNode } from 'react';
import type { EcsEvent } from '../api/types';
import { useI18n, type MessageKey } from '../i18n';
import { summary, text } from '../lib/ecs';
import { formatTime } from '../lib/time';
import { ExpandRow } from './ExpandRow';
import { JsonView } from './JsonView';

function endpoint(e: EcsEvent, side: 'source' | 'destination'): string {
  const ip = text(e, `${side}.ip`) || text(e, `${side}.address`);
  const port = text(e, `${side}.port`);
  if (!ip) return port ? `:${port}` : '';
  return port ? (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`) : ip;
}

interface Line {
  label: MessageKey;
  main: string;
  extra?: string;
  field: string;
}

/** eventLines picks the main fields of an event, in the order they tell the most. */
export function eventLines(e: EcsEvent): Line[] {
  const lines: Line[] = [];
  const exe = text(e, 'process.executable') || text(e, 'process.name');
  const cmd = text(e, 'process.command_line') || text(e, 'process.args').replace(/, /g, ' ');
  if (exe || cmd) {
    const pid = text(e, 'process.pid');
    lines.push({ label: 'ev.process', main: exe || cmd, extra: [exe && cmd && cmd !== exe ? cmd : '', pid ? `pid ${pid}` : ''].filter(Boolean).join(' · '), field: 'process' });
  }
  const src = endpoint(e, 'source');
  const dst = endpoint(e, 'destination');
  if (src || dst) {
    const transport = text(e, 'network.transport');
    lines.push({ label: 'ev.network', main: [src, dst].filter(Boolean).join(' → '), extra: [transport, text(e, 'network.direction')].filter(Boolean).join(' · '), field: 'network' });
  }
  const dns = text(e, 'dns.question.name');
  if (dns) lines.push({ label: 'ev.dns', main: dns, extra: text(e, 'dns.resolved_ip'), field: 'dns' });
  const path = text(e, 'file.path');
  if (path) {
    const prev = text(e, 'vigil.file.previous.path');
    lines.push({ label: 'ev.file', main: path, extra: prev && prev !== path ? `← ${prev}` : '', field: 'file' });
  }
  const user = text(e, 'user.name');
  if (user) {
    const target = text(e, 'user.target.name');
    lines.push({ label: 'ev.user', main: target ? `${user} → ${target}` : user, extra: text(e, 'vigil.auth.method'), field: 'user' });
  }
  return lines;
}

/** EventFields shows the message and the main fields of an event, each line cut to the cell with its full text on hover. */
export function EventFields({ event }: { event: EcsEvent }) {
  const { t } = useI18n();
  const message = text(event, 'message');
  const lines = eventLines(event);
  if (!message && lines.length === 0) {
    const s = summary(event);
    return s ? <div className="ev-line mono" title={s}>{s}</div> : <span className="muted">—</span>;
  }
  return (
    <div className="ev-fields">
      {message && (
        <div className="ev-message" title={message}>
          {message}
        </div>
      )}
      {lines.map((l) => (
        <div key={l.field} className="ev-line" data-field={l.field} title={[l.main, l.extra].filter(Boolean).join('\n')}>
          <span className="ev-k">{t(l.label)}</span>
          <span className="mono ev-v">{l.main}</span>
          {l.extra && <span className="mono ev-extra">{l.extra}</span>}
        </div>
      ))}
    </div>
  );
}

/** EventKind shows category and action (and the outcome when there is one) in one cell. */
export function EventKind({ event }: { event: EcsEvent }) {
  const outcome = text(event, 'event.outcome');
  return (
    <div className="ev-kind-line">
      <span className="tag">{text(event, 'event.category') || '—'}</span>
      <span className="mono small">{text(event, 'event.action')}</span>
      {outcome && <span className={`small outcome-${outcome}`}>{outcome}</span>}
    </div>
  );
}

interface RowProps {
  event: EcsEvent;
  open: boolean;
  onToggle: () => void;
  /** page: host, category, action and outcome columns; agent: one kind column, no host. */
  variant: 'page' | 'agent';
  /** The row just arrived (highlighted once). */
  fresh?: boolean;
}

/** eventColumns are the headers matching EventRow's cells (the toggle's first). */
export function useEventColumns(variant: RowProps['variant']): ReactNode[] {
  const { t } = useI18n();
  return variant === 'page'
    ? [t('events.col.time'), t('events.col.host'), t('events.col.category'), t('events.col.action'), t('events.col.outcome'), t('events.col.summary')]
    : [t('events.col.time'), t('ev.col.kind'), t('ev.col.details')];
}

export function EventRow({ event: e, open, onToggle, variant, fresh }: RowProps) {
  const id = text(e, 'event.id');
  return (
    <ExpandRow
      open={open}
      onToggle={onToggle}
      data={{ 'data-event-id': id, 'data-category': text(e, 'event.category') }}
      span={variant === 'page' ? 7 : 4}
      className={fresh ? 'ev-fresh' : undefined}
      detail={() => <JsonView value={e} label={id || 'event'} />}
    >
      <td className="nowrap mono small">{formatTime(text(e, '@timestamp'))}</td>
      {variant === 'page' ? (
        <>
          <td className="nowrap">
            <div>{text(e, 'host.name') || <span className="muted">—</span>}</div>
            <div className="sub mono">{text(e, 'agent.id')}</div>
          </td>
          <td>
            <span className="tag">{text(e, 'event.category') || '—'}</span>
          </td>
          <td className="mono small nowrap">{text(e, 'event.action')}</td>
          <td className={`small outcome-${text(e, 'event.outcome')}`}>{text(e, 'event.outcome') || '—'}</td>
        </>
      ) : (
        <td className="ev-kind">
          <EventKind event={e} />
        </td>
      )}
      <td className="ev-cell">
        <EventFields event={e} />
      </td>
    </ExpandRow>
  );
}
