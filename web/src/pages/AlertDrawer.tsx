// One alert: triage with a comment, its incident, its rule (with a link to
// the rule's page), its ATT&CK techniques with their names, the evidence
// (event, correlation), comments, and an exception made from it.
import { useState } from 'react';
import { ApiError } from '../api/client';
import { getRule } from '../api/detect';
import { getAlert, setAlertState } from '../api/endpoints';
import type { Alert, AlertState, Rule } from '../api/types';
import { LevelBadge, SeverityBadge, StateBadge } from '../components/badges';
import { Drawer, Facts, Section } from '../components/Drawer';
import { Empty, ErrorBanner, Loading, useErrorText } from '../components/feedback';
import { TechniqueList } from '../components/Techniques';
import { AbsTime, RelTime } from '../components/time';
import { useI18n, type MessageKey } from '../i18n';
import { eventMatchRows } from '../lib/exceptionMatch';
import { useLoad } from '../lib/hooks';
import { Link, navigate } from '../router';
import { allows, useSession } from '../session';
import { AlertEvidence, readEvidence } from './AlertEvidence';
import { ExceptionDialog } from './ExceptionDialog';

/** The moves triage offers from each state; "new" again is a reopen. */
export const transitions: Record<AlertState, AlertState[]> = {
  new: ['acknowledged', 'resolved', 'false_positive'],
  acknowledged: ['resolved', 'false_positive', 'new'],
  resolved: ['new'],
  false_positive: ['new'],
};

const actionKey: Record<AlertState, MessageKey> = {
  acknowledged: 'triage.acknowledge',
  resolved: 'triage.resolve',
  false_positive: 'triage.falsePositive',
  new: 'triage.reopen',
};

interface Props {
  id: string;
  onClose: () => void;
  onChanged: (a: Alert) => void;
}

export function AlertDrawer({ id, onClose, onChanged }: Props) {
  const { t } = useI18n();
  const session = useSession();
  const alert = useLoad((signal) => getAlert(id, signal), [id], 10000);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<unknown>(null);
  const [excepting, setExcepting] = useState(false);
  // The alert the last action returned, shown until the next load is newer.
  const [override, setOverride] = useState<{ alert: Alert; at: number } | null>(null);
  const a =
    override && override.alert.id === id && (alert.updatedAt ?? 0) < override.at ? override.alert : alert.data;
  const permitted = allows(session, 'analyst');
  const ruleId = a?.rule_id ?? '';
  const rule = useLoad((signal) => (ruleId ? getRule(ruleId, signal) : Promise.resolve(null)), [ruleId]);

  const move = async (state: AlertState) => {
    setBusy(true);
    setActionError(null);
    try {
      const updated = await setAlertState(id, state, comment.trim());
      setComment('');
      if (updated && updated.id) {
        setOverride({ alert: updated, at: Date.now() });
        onChanged(updated);
      }
      alert.refresh();
    } catch (err) {
      setActionError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Drawer
      testId="alert-drawer"
      onClose={onClose}
      title={a?.title ?? id}
      subtitle={
        a && (
          <span className="drawer-status">
            <SeverityBadge severity={a.severity} /> <StateBadge state={a.state} />
            <span className="muted mono"> {a.rule_id}</span>
          </span>
        )
      }
    >
      <ErrorBanner error={alert.error} onRetry={alert.refresh} />
      {!a && !alert.error && <Loading />}
      {a && (
        <>
          {a.description && <p className="description">{a.description}</p>}
          <Section title={t('alert.triage')}>
            <ErrorBanner error={actionError} />
            <textarea
              name="comment"
              className="comment-input"
              rows={2}
              placeholder={t('triage.commentPlaceholder')}
              aria-label={t('triage.comment')}
              value={comment}
              onChange={(e) => setComment(e.target.value)}
              disabled={!permitted}
            />
            <div className="btn-row">
              {transitions[a.state]?.map((s) => (
                <button
                  key={s}
                  type="button"
                  data-action={s}
                  className={`btn btn-small ${s === 'acknowledged' ? 'btn-primary' : ''}`}
                  disabled={busy || !permitted}
                  title={permitted ? '' : t('error.needAnalyst')}
                  onClick={() => void move(s)}
                >
                  {t(actionKey[s])}
                </button>
              ))}
              {rule.data && (
                <button
                  type="button"
                  className="btn btn-small"
                  data-action="exception"
                  disabled={!permitted}
                  title={permitted ? t('alert.exceptionHint') : t('error.needAnalyst')}
                  onClick={() => setExcepting(true)}
                >
                  {t('alert.createException')}
                </button>
              )}
            </div>
          </Section>
          <Section title={t('alert.details')}>
            <Facts
              rows={[
                [t('alerts.col.host'), a.hostname],
                [t('alert.agent'), a.agent_id ? <Link to={`/agents/${encodeURIComponent(a.agent_id)}`}>{a.agent_id}</Link> : ''],
                [
                  t('alerts.col.incident'),
                  a.incident_id ? (
                    <span data-testid="alert-incident">
                      <Link to={`/incidents/${encodeURIComponent(a.incident_id)}`}>{a.incident_id}</Link>
                    </span>
                  ) : (
                    ''
                  ),
                ],
                [t('alerts.col.techniques'), <TechniqueList ids={a.techniques} names testId="alert-techniques" />],
                [t('alerts.col.count'), String(a.count)],
                [t('alert.firstSeen'), <AbsTime value={a.created_at} />],
                [t('alerts.col.lastSeen'), <RelTime value={a.last_seen} />],
                [t('alert.updated'), <AbsTime value={a.updated_at} />],
                [t('alert.dedupKey'), a.dedup_key ? <span className="mono small">{a.dedup_key}</span> : ''],
                [t('alert.id'), <span className="mono small">{a.id}</span>],
              ]}
            />
          </Section>
          <Section title={t('alert.rule')}>
            <RuleSummary ruleId={a.rule_id} rule={rule.data ?? null} error={rule.error} loading={rule.loading} />
          </Section>
          <Section title={t('alert.comments')}>
            {(a.comments ?? []).length === 0 ? (
              <Empty>{t('alert.noComments')}</Empty>
            ) : (
              <ol className="timeline" data-testid="alert-comments">
                {[...(a.comments ?? [])].reverse().map((c, i) => (
                  <li key={`${c.at}-${i}`}>
                    <div className="timeline-head">
                      <StateBadge state={c.state} />
                      <span className="strong">{c.author}</span>
                      <span className="muted">
                        <AbsTime value={c.at} />
                      </span>
                    </div>
                    {c.text && <div className="timeline-text">{c.text}</div>}
                  </li>
                ))}
              </ol>
            )}
          </Section>
          <Section title={t('alert.evidence')}>
            <AlertEvidence evidence={a.evidence} />
          </Section>
          {(a.event_ids ?? []).length > 0 && (
            <Section title={t('alert.events')}>
              <ul className="id-list mono small">
                {(a.event_ids ?? []).map((e) => (
                  <li key={e}>{e}</li>
                ))}
              </ul>
            </Section>
          )}
        </>
      )}
      {excepting && a && (
        <ExceptionDialog
          initial={{ ruleId: a.rule_id, agentId: a.agent_id, rows: eventMatchRows(readEvidence(a.evidence).event), reason: '', expiresAt: '' }}
          intro={t('exception.fromAlert', { title: a.title, host: a.hostname || a.agent_id })}
          onClose={() => setExcepting(false)}
          onSaved={(e) => {
            setExcepting(false);
            navigate(`/exceptions?created=${encodeURIComponent(e.id)}`);
          }}
        />
      )}
    </Drawer>
  );
}

/** RuleSummary names the alert's rule with a link to its page; a rule that is not loaded (the center's own alerts) is said so. */
function RuleSummary({ ruleId, rule, error, loading }: { ruleId: string; rule: Rule | null; error: unknown; loading: boolean }) {
  const { t } = useI18n();
  const errorText = useErrorText();
  if (!ruleId) return <Empty>{t('alert.noRule')}</Empty>;
  if (rule) {
    return (
      <div className="rule-summary" data-testid="alert-rule">
        <div>
          <Link to={`/rules/${encodeURIComponent(rule.id)}`} className="strong">
            {rule.title}
          </Link>{' '}
          <LevelBadge level={rule.level} /> {rule.disabled && <span className="badge rule-off">{t('rules.disabled')}</span>}
        </div>
        <div className="sub mono">{rule.id}</div>
        {(rule.falsepositives ?? []).length > 0 && (
          <div className="rule-fp">
            <span className="muted">{t('rule.falsePositives')}: </span>
            {(rule.falsepositives ?? []).join('; ')}
          </div>
        )}
      </div>
    );
  }
  if (loading) return <Loading />;
  const notLoaded = error instanceof ApiError && error.status === 404;
  return (
    <div className="rule-summary" data-testid="alert-rule">
      <span className="mono">{ruleId}</span>
      <div className="hint">{notLoaded ? t('alert.ruleNotLoaded') : error ? errorText(error) : ''}</div>
    </div>
  );
}
