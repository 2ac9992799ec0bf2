// Parts of the agent drawer that change the agent or show what the center
// sends it: labels (responder), the effective policy, and deletion (admin).
import { useState } from 'react';
import { agentPolicy, deleteAgent, setAgentLabels } from '../api/endpoints';
import type { Agent } from '../api/types';
import { Labels } from '../components/badges';
import { Facts, Section } from '../components/Drawer';
import { ErrorBanner, Loading } from '../components/feedback';
import { JsonView } from '../components/JsonView';
import { LabelsEditor } from '../components/LabelsEditor';
import { Confirm } from '../components/Modal';
import { useI18n } from '../i18n';
import { summarizePolicy } from '../lib/effectivePolicy';
import { useLoad } from '../lib/hooks';
import { labelsFromRows, rowsFromLabels, type LabelRow } from '../lib/labels';
import { Link } from '../router';
import { allows, useSession } from '../session';

export function AgentLabelsSection({ agent, onSaved }: { agent: Agent; onSaved: (a: Agent) => void }) {
  const { t } = useI18n();
  const session = useSession();
  const permitted = allows(session, 'responder');
  const [rows, setRows] = useState<LabelRow[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const check = rows ? labelsFromRows(rows) : null;

  const save = async () => {
    if (!check || check.issues.length > 0) return;
    setBusy(true);
    setError(null);
    try {
      const a = await setAgentLabels(agent.id, check.labels);
      setRows(null);
      onSaved(a);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Section
      title={t('agents.col.labels')}
      actions={
        rows === null && (
          <button
            type="button"
            className="btn btn-small"
            disabled={!permitted}
            title={permitted ? '' : t('error.needResponder')}
            onClick={() => {
              setError(null);
              setRows(rowsFromLabels(agent.labels));
            }}
            data-testid="edit-labels"
          >
            {t('action.edit')}
          </button>
        )
      }
    >
      <ErrorBanner error={error} />
      {rows === null ? (
        <div data-testid="agent-labels">
          <Labels labels={agent.labels} />
        </div>
      ) : (
        <>
          <LabelsEditor rows={rows} onChange={setRows} issues={check?.issues ?? []} testId="labels-editor" />
          <p className="hint">{t('agent.labelsHint')}</p>
          <div className="btn-row">
            <button type="button" className="btn btn-primary btn-small" onClick={() => void save()} disabled={busy || (check?.issues.length ?? 0) > 0} data-testid="save-labels">
              {busy ? t('common.working') : t('action.save')}
            </button>
            <button type="button" className="btn btn-small" onClick={() => setRows(null)} disabled={busy}>
              {t('action.cancel')}
            </button>
          </div>
        </>
      )}
    </Section>
  );
}

/** AgentPolicySection shows the policy the center sends this agent; version reloads it (after a label change). */
export function AgentPolicySection({ id, version }: { id: string; version: string }) {
  const { t } = useI18n();
  const [showJson, setShowJson] = useState(false);
  const policy = useLoad((signal) => agentPolicy(id, signal), [id, version], 15000);
  const s = summarizePolicy(policy.data);
  return (
    <Section
      title={t('agent.policy')}
      actions={
        <button type="button" className="btn btn-small btn-ghost" onClick={() => setShowJson(!showJson)} disabled={!policy.data} data-testid="policy-json-toggle">
          {showJson ? t('agent.policyHideJson') : t('agent.policyShowJson')}
        </button>
      }
    >
      <ErrorBanner error={policy.error} onRetry={policy.refresh} />
      {policy.data === undefined && !policy.error && <Loading />}
      {s && (
        <div data-testid="agent-policy">
          <Facts
            rows={[
              [
                t('agent.policyName'),
                s.storedRevision > 0 ? (
                  <Link to={`/policies/${encodeURIComponent(s.name)}`}>
                    <span className="mono" data-policy-name={s.name}>
                      {s.name}
                    </span>
                  </Link>
                ) : (
                  <span data-policy-name={s.name}>{t('agent.policyDefault')}</span>
                ),
              ],
              [t('agent.policyRevision'), s.storedRevision > 0 ? String(s.storedRevision) : '—'],
              [t('agent.policyHeartbeat'), s.heartbeatSeconds ? t('dur.s', { n: s.heartbeatSeconds }) : ''],
              [t('agent.policyBudget'), `${s.cpuPercent} % CPU · ${s.memoryMb} MB`],
              [t('agent.policySpool'), s.spoolMaxMb ? `${s.spoolMaxMb} MB` : ''],
              [t('agent.policyRate'), s.maxEventsPerSecond ? String(s.maxEventsPerSecond) : t('agent.policyNoLimit')],
              [
                t('agent.policyPlugins'),
                s.plugins.length === 0
                  ? t('agent.policyPluginsDefault')
                  : s.plugins.map((p) => `${p.name}${p.enabled ? '' : ` (${t('pluginState.disabled')})`}`).join(', '),
              ],
            ]}
          />
          {showJson && <JsonView value={policy.data} label={t('agent.policyJson')} />}
        </div>
      )}
    </Section>
  );
}

export function AgentDeleteSection({ agent, onDeleted }: { agent: Agent; onDeleted: () => void }) {
  const { t } = useI18n();
  const session = useSession();
  const [confirming, setConfirming] = useState(false);
  if (!allows(session, 'admin')) return null;
  return (
    <Section title={t('agent.danger')}>
      <div className="danger-row">
        <p className="hint">{t('agent.deleteHint')}</p>
        <button type="button" className="btn btn-danger" onClick={() => setConfirming(true)} data-testid="delete-agent">
          {t('agent.delete')}
        </button>
      </div>
      {confirming && (
        <Confirm
          title={t('agent.deleteTitle', { host: agent.hostname || agent.id })}
          confirmLabel={t('agent.deleteConfirm')}
          onClose={() => setConfirming(false)}
          onConfirm={async () => {
            await deleteAgent(agent.id);
            onDeleted();
          }}
        >
          <p>{t('agent.deleteText', { host: agent.hostname || agent.id, id: agent.id })}</p>
          <p className="strong">{t('agent.deleteRevoked')}</p>
        </Confirm>
      )}
    </Section>
  );
}
