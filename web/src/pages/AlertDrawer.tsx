// One alert: facts, triage with a comment, comments and evidence.
import { useState } from 'react';
import { getAlert, setAlertState } from '../api/endpoints';
import type { Alert, AlertState } from '../api/types';
import { SeverityBadge, StateBadge } from '../components/badges';
import { Drawer, Facts, Section } from '../components/Drawer';
import { Empty, ErrorBanner, Loading } from '../components/feedback';
import { JsonView } from '../components/JsonView';
import { AbsTime, RelTime } from '../components/time';
import { useI18n, type MessageKey } from '../i18n';
import { useLoad } from '../lib/hooks';
import { Link } from '../router';
import { allows, useSession } from '../session';

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
  // The alert the last action returned, shown until the next load is newer.
  const [override, setOverride] = useState<{ alert: Alert; at: number } | null>(null);
  const a =
    override && override.alert.id === id && (alert.updatedAt ?? 0) < override.at ? override.alert : alert.data;
  const permitted = allows(session, 'analyst');

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
            </div>
          </Section>
          <Section title={t('alert.details')}>
            <Facts
              rows={[
                [t('alerts.col.host'), a.hostname],
                [t('alert.agent'), a.agent_id ? <Link to={`/agents/${encodeURIComponent(a.agent_id)}`}>{a.agent_id}</Link> : ''],
                [t('alerts.col.techniques'), (a.techniques ?? []).join(', ')],
                [t('alerts.col.count'), String(a.count)],
                [t('alert.firstSeen'), <AbsTime value={a.created_at} />],
                [t('alerts.col.lastSeen'), <RelTime value={a.last_seen} />],
                [t('alert.updated'), <AbsTime value={a.updated_at} />],
                [t('alert.dedupKey'), a.dedup_key ? <span className="mono small">{a.dedup_key}</span> : ''],
                [t('alert.id'), <span className="mono small">{a.id}</span>],
              ]}
            />
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
            {a.evidence && Object.keys(a.evidence).length > 0 ? <JsonView value={a.evidence} /> : <Empty>{t('alert.noEvidence')}</Empty>}
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
    </Drawer>
  );
}
