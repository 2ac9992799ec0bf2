// What an alert carries as evidence: the event that raised it (its main
// fields and the document), the threat intelligence it matched and the
// login baseline's verdict when the center added them, the correlation
// (what was counted, over which group, how many and which values, when),
// what it keeps of its rule, and anything else as JSON.
import type { EcsEvent, Severity } from '../api/types';
import { SeverityBadge } from '../components/badges';
import { Facts } from '../components/Drawer';
import { EventFields, EventKind } from '../components/EventRow';
import { Empty } from '../components/feedback';
import { JsonView } from '../components/JsonView';
import { AbsTime } from '../components/time';
import { useI18n, type MessageKey } from '../i18n';
import { text } from '../lib/ecs';
import { anomalies, hourLabel, readIntelEvidence, readLoginVerdict, type IntelEvidence, type LoginVerdict } from '../lib/intel';
import { formatTime } from '../lib/time';
import { Link, withQuery } from '../router';

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
      {event && <IntelBlock evidence={readIntelEvidence(event)} />}
      {event && <LoginBlock verdict={readLoginVerdict(event)} />}
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

/** The ECS confidence words of an enrichment, said in the user's language. */
const confidenceWords = ['Low', 'Medium', 'High'];

/** IntelBlock shows the indicators an event matched: the event's field, the value, the source, the description and the confidence. */
export function IntelBlock({ evidence }: { evidence: IntelEvidence | null }) {
  const { t } = useI18n();
  if (!evidence) return null;
  const confidence = (c: string) => (confidenceWords.includes(c) ? t(`evidence.intel.confidence.${c.toLowerCase()}` as MessageKey) : c);
  return (
    <div className="evidence-block intel-evidence" data-testid="evidence-intel">
      <h4>
        {t('evidence.intel')} {evidence.severity && <SeverityBadge severity={evidence.severity as Severity} />}
      </h4>
      {evidence.matches.length > 0 ? (
        <table className="table table-compact" data-testid="intel-matches">
          <thead>
            <tr>
              <th>{t('evidence.intel.field')}</th>
              <th>{t('evidence.intel.value')}</th>
              <th>{t('evidence.intel.source')}</th>
              <th>{t('evidence.intel.description')}</th>
              <th>{t('evidence.intel.confidence')}</th>
            </tr>
          </thead>
          <tbody>
            {evidence.matches.map((m, i) => (
              <tr key={`${m.id}-${m.field}-${i}`} data-field={m.field} data-indicator-id={m.id}>
                <td className="mono small">{m.field || '—'}</td>
                <td className="mono">{m.value ? <Link to={withQuery('/intel', { q: m.value, source: m.source, id: m.id })}>{m.value}</Link> : '—'}</td>
                <td>{m.source ? <span className="tag">{m.source}</span> : '—'}</td>
                <td>
                  {m.description || <span className="muted">—</span>}
                  {m.reference && /^https?:\/\//i.test(m.reference) && (
                    <div className="sub">
                      <a href={m.reference} target="_blank" rel="noreferrer noopener">
                        {m.reference}
                      </a>
                    </div>
                  )}
                </td>
                <td className="nowrap">{m.confidence ? confidence(m.confidence) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <Facts
          rows={[
            [t('evidence.intel.field'), <span className="mono small">{evidence.fields.join(', ')}</span>],
            [t('evidence.intel.source'), evidence.sources.join(', ')],
          ]}
        />
      )}
    </div>
  );
}

/** LoginBlock shows the login baseline's verdict: learning or learned, and once learned whether the source, its network or the hour is new. */
export function LoginBlock({ verdict }: { verdict: LoginVerdict | null }) {
  const { t } = useI18n();
  if (!verdict) return null;
  const learned = verdict.status === 'learned';
  const found = anomalies(verdict);
  const yesNo = (v: boolean | undefined, key: string) =>
    v === undefined ? (
      ''
    ) : (
      <span className={v ? 'badge sev-high' : 'badge status-online'} data-flag={key} data-value={String(v)}>
        {v ? t('common.yes') : t('common.no')}
      </span>
    );
  return (
    <div className="evidence-block login-evidence" data-testid="evidence-login" data-status={verdict.status}>
      <h4>{t('evidence.login')}</h4>
      <div className={learned && found.length > 0 ? 'warn-banner' : 'hint'} data-testid="login-verdict">
        {!learned
          ? t('evidence.login.learning')
          : found.length === 0
            ? t('evidence.login.usual')
            : t('evidence.login.unusual', { what: found.map((k) => t(`evidence.login.sign.${k}` as MessageKey)).join(t('evidence.login.and')) })}
      </div>
      <Facts
        rows={[
          [t('evidence.login.status'), learned ? t('baseline.status.learned') : verdict.status === 'learning' ? t('baseline.status.learning') : verdict.status],
          [t('evidence.login.newSource'), yesNo(verdict.newSource, 'new_source')],
          [t('evidence.login.newNetwork'), yesNo(verdict.newNetwork, 'new_network')],
          [t('evidence.login.unusualHour'), yesNo(verdict.unusualHour, 'unusual_hour')],
          [t('evidence.login.hour'), verdict.hour === null ? '' : hourLabel(verdict.hour)],
          [t('evidence.login.learnedLogins'), verdict.logins === null ? '' : String(verdict.logins)],
          [t('evidence.login.knownSources'), verdict.knownSources === null ? '' : String(verdict.knownSources)],
        ]}
      />
    </div>
  );
}
