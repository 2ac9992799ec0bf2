// What an alert carries as evidence: the event that raised it (its main
// fields and the document), the correlation (what was counted, over which
// group, how many and which values, when), what it keeps of its rule, and
// anything else as JSON.
import type { EcsEvent } from '../api/types';
import { Facts } from '../components/Drawer';
import { EventFields, EventKind } from '../components/EventRow';
import { Empty } from '../components/feedback';
import { JsonView } from '../components/JsonView';
import { AbsTime } from '../components/time';
import { useI18n } from '../i18n';
import { text } from '../lib/ecs';
import { formatTime } from '../lib/time';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Correlation is the evidence of an alert of a correlation rule. */
export interface Correlation {
  type: string;
  group: Record<string, string>;
  count: number;
  values: string[];
  first: string;
  last: string;
  timespan: string;
}

/** readEvidence splits an alert's evidence into its event, correlation, rule and the rest. */
export function readEvidence(evidence: Record<string, unknown> | null | undefined): {
  event: EcsEvent | null;
  correlation: Correlation | null;
  rule: Record<string, unknown> | null;
  other: Record<string, unknown>;
} {
  const ev = evidence ?? {};
  const { event, correlation, rule, ...other } = ev;
  let corr: Correlation | null = null;
  if (isObject(correlation)) {
    const group = isObject(correlation.group) ? Object.fromEntries(Object.entries(correlation.group).map(([k, v]) => [k, String(v)])) : {};
    corr = {
      type: String(correlation.type ?? ''),
      group,
      count: Number(correlation.count ?? 0),
      values: Array.isArray(correlation.values) ? correlation.values.map(String) : [],
      first: String(correlation.first ?? ''),
      last: String(correlation.last ?? ''),
      timespan: String(correlation.timespan ?? ''),
    };
  }
  return { event: isObject(event) ? event : null, correlation: corr, rule: isObject(rule) ? rule : null, other };
}

export function AlertEvidence({ evidence }: { evidence: Record<string, unknown> | null | undefined }) {
  const { t } = useI18n();
  const { event, correlation, rule, other } = readEvidence(evidence);
  const hasOther = Object.keys(other).length > 0;
  if (!event && !correlation && !rule && !hasOther) return <Empty>{t('alert.noEvidence')}</Empty>;
  return (
    <div className="evidence" data-testid="alert-evidence">
      {correlation && (
        <div className="evidence-block" data-testid="evidence-correlation">
          <h4>{t('evidence.correlation')}</h4>
          <Facts
            rows={[
              [t('evidence.type'), <span className="tag">{correlation.type}</span>],
              [
                t('evidence.group'),
                Object.keys(correlation.group).length === 0 ? (
                  ''
                ) : (
                  <span className="chips">
                    {Object.entries(correlation.group).map(([k, v]) => (
                      <span key={k} className="chip">
                        <span className="chip-k mono">{k}</span>
                        <span className="chip-v mono">{v}</span>
                      </span>
                    ))}
                  </span>
                ),
              ],
              [t('evidence.count'), <span className="strong" data-testid="correlation-count">{correlation.count}</span>],
              [
                t('evidence.values'),
                correlation.values.length === 0 ? (
                  ''
                ) : (
                  <span className="chips">
                    {correlation.values.map((v) => (
                      <span key={v} className="tag mono">
                        {v}
                      </span>
                    ))}
                  </span>
                ),
              ],
              [t('evidence.window'), correlation.first ? `${formatTime(correlation.first)} → ${formatTime(correlation.last)}${correlation.timespan ? ` (${t('evidence.timespan', { d: correlation.timespan })})` : ''}` : ''],
            ]}
          />
        </div>
      )}
      {event && (
        <div className="evidence-block" data-testid="evidence-event">
          <h4>{correlation ? t('evidence.lastEvent') : t('evidence.event')}</h4>
          <div className="evidence-event-head">
            <EventKind event={event} />
            <span className="muted small">
              <AbsTime value={text(event, '@timestamp')} />
            </span>
            <span className="mono small muted">{text(event, 'event.id')}</span>
          </div>
          <EventFields event={event} />
          <JsonView value={event} label={t('timeline.document')} />
        </div>
      )}
      {rule && (
        <div className="evidence-block" data-testid="evidence-rule">
          <h4>{t('evidence.rule')}</h4>
          <Facts
            rows={[
              [t('rule.kind'), text(rule, 'kind')],
              [t('rule.level'), text(rule, 'level')],
              [t('rule.status'), text(rule, 'status')],
              [t('rule.source'), text(rule, 'source')],
              [t('rule.file'), text(rule, 'file') ? <span className="mono small">{`${text(rule, 'file')}${text(rule, 'line') ? `:${text(rule, 'line')}` : ''}`}</span> : ''],
            ]}
          />
        </div>
      )}
      {hasOther && <JsonView value={other} label={t('evidence.other')} />}
    </div>
  );
}
