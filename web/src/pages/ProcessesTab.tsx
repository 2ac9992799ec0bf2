// An agent's live process tree: the "processes" command, refreshed on
// demand or every few seconds while live, filtered in the browser, with
// the open and closed processes kept across refreshes.
import { useMemo, useState } from 'react';
import { ApiError } from '../api/client';
import { sendCommand } from '../api/endpoints';
import type { CommandResponse } from '../api/types';
import { Empty, ErrorBanner, Loading } from '../components/feedback';
import { AbsTime, RelTime } from '../components/time';
import { useI18n, type MessageKey } from '../i18n';
import { usePoller } from '../lib/poller';
import {
  allCollapsed,
  allExpanded,
  buildTree,
  filterTree,
  isFlagged,
  parseProcesses,
  processesRole,
  processesTimeout,
  toggle,
  visibleRows,
  type Expansion,
  type Proc,
  type ProcessTable as Table,
  type ProcessTree,
} from '../lib/processes';
import { allows, useSession } from '../session';
import { LiveSwitch } from '../components/LiveSwitch';
import { ProcessTable, useRiskText } from './ProcessTable';

/** How often a live process tree refreshes. */
export const processesPollMs = 5000;

/** Snapshot is one answer of the agent, decoded. */
export interface Snapshot {
  table: Table;
  tree: ProcessTree;
  durationMs: number;
}

/** Failure is why the last refresh brought no table: the call failed, or the agent's answer did. */
export type Failure = { kind: 'call'; error: unknown } | { kind: 'agent'; error: string } | { kind: 'noReply' };

/** readReply takes this agent's result out of a command response. */
export function readReply(res: CommandResponse, agentId: string): Snapshot | Failure {
  const results = res.results ?? [];
  const r = results.find((x) => x.agent_id === agentId) ?? results[0];
  if (!r) return { kind: 'noReply' };
  if (!r.ok) return { kind: 'agent', error: r.error || '' };
  const table = parseProcesses(r.output);
  return { table, tree: buildTree(table.procs), durationMs: r.duration_ms };
}

/** NeedsRoleNotice tells a user whose role may not list processes which role it takes. */
export function NeedsRoleNotice({ detail }: { detail?: string }) {
  const { t } = useI18n();
  const session = useSession();
  return (
    <div className="needs-role needs-role-inline" data-testid="processes-forbidden" role="alert">
      <div className="needs-role-title">{t('access.needsRole', { role: t(`role.${processesRole}` as MessageKey) })}</div>
      <p>
        {session?.role
          ? t('proc.forbiddenAs', { role: t(`role.${session.role}` as MessageKey), need: t(`role.${processesRole}` as MessageKey) })
          : t('proc.forbidden', { need: t(`role.${processesRole}` as MessageKey) })}
      </p>
      {detail && <p className="sub mono">{detail}</p>}
    </div>
  );
}

/** AgentFailure says why the agent gave no table, the known reasons in words. */
export function AgentFailure({ failure, stale, onRetry }: { failure: Failure; stale: boolean; onRetry?: () => void }) {
  const { t } = useI18n();
  if (failure.kind === 'call') {
    if (failure.error instanceof ApiError && failure.error.status === 403) return <NeedsRoleNotice detail={failure.error.message} />;
    return <ErrorBanner error={failure.error} onRetry={onRetry} />;
  }
  let text: string;
  let hint = '';
  if (failure.kind === 'noReply') text = t('command.noReply');
  else if (failure.error === 'agent offline') {
    text = t('proc.offline');
    hint = t('proc.offlineHint');
  } else if (failure.error === 'timeout') {
    text = t('proc.timeout', { timeout: processesTimeout });
    hint = t('proc.timeoutHint');
  } else text = t('proc.agentError', { error: failure.error || '?' });
  return (
    <div className="proc-failure" role="alert" data-testid="processes-error" data-error={failure.kind === 'agent' ? failure.error : failure.kind}>
      <div className="proc-failure-title">
        <span className="badge status-lost">{t('command.failed')}</span>
        <span>{text}</span>
        {onRetry && (
          <button type="button" className="btn btn-small" onClick={onRetry}>
            {t('action.retry')}
          </button>
        )}
      </div>
      {(hint || stale) && <p className="hint">{[hint, stale ? t('proc.staleHint') : ''].filter(Boolean).join(' ')}</p>}
    </div>
  );
}

/** RiskSummary lists the flagged processes above the tree, each with a button to show it. */
export function RiskSummary({ procs, onShow }: { procs: Proc[]; onShow: (p: Proc) => void }) {
  const { t } = useI18n();
  const riskText = useRiskText();
  const flagged = procs.filter((p) => p.risk === 'reverse-shell' || p.risk === 'interpreter-socket');
  if (flagged.length === 0) return null;
  return (
    <div className="proc-alerts" data-testid="process-risks">
      {flagged.map((p) => (
        <div key={p.key} className={p.risk === 'reverse-shell' ? 'proc-alert proc-alert-danger' : 'proc-alert proc-alert-warn'} data-pid={p.pid}>
          <strong>{p.risk === 'reverse-shell' ? t('proc.risk.reverseShellTitle') : t('proc.risk.interpreterTitle')}</strong>
          <span className="proc-alert-text">{riskText(p)}</span>
          <button type="button" className="btn btn-small" onClick={() => onShow(p)}>
            {t('proc.show')}
          </button>
        </div>
      ))}
    </div>
  );
}

export function ProcessesTab({ agentId }: { agentId: string }) {
  const session = useSession();
  if (!allows(session, processesRole)) return <NeedsRoleNotice />;
  return <ProcessesView agentId={agentId} />;
}

function ProcessesView({ agentId }: { agentId: string }) {
  const { t } = useI18n();
  const [live, setLive] = useState(false);
  const [snap, setSnap] = useState<Snapshot | null>(null);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [expansion, setExpansion] = useState<Expansion>(allExpanded);
  const [details, setDetails] = useState<ReadonlySet<string>>(new Set());
  const [query, setQuery] = useState('');
  const [flaggedOnly, setFlaggedOnly] = useState(false);

  const poll = usePoller<CommandResponse>(
    {
      intervalMs: processesPollMs,
      live,
      load: (signal) => sendCommand('processes', [agentId], processesTimeout, signal),
      onData: (res) => {
        const r = readReply(res, agentId);
        if ('kind' in r) setFailure(r);
        else {
          setSnap(r);
          setFailure(null);
        }
      },
      onError: (error) => {
        setFailure({ kind: 'call', error });
        // Asking again will not change the role.
        if (error instanceof ApiError && error.status === 403) setLive(false);
      },
    },
    [agentId],
  );

  const filtering = query.trim() !== '' || flaggedOnly;
  const filter = useMemo(
    () => (snap && filtering ? filterTree(snap.tree, query, flaggedOnly ? isFlagged : undefined) : undefined),
    [snap, query, flaggedOnly, filtering],
  );
  const rows = useMemo(() => (snap ? visibleRows(snap.tree, expansion, filter) : []), [snap, expansion, filter]);
  const flaggedCount = useMemo(() => (snap ? snap.table.procs.filter(isFlagged).length : 0), [snap]);
  const forbidden = failure?.kind === 'call' && failure.error instanceof ApiError && failure.error.status === 403;

  const showProcess = (p: Proc) => {
    setQuery(String(p.pid));
    setFlaggedOnly(false);
    setDetails(new Set([...details, p.key]));
  };

  return (
    <div className="host-tab" data-testid="processes-tab">
      <div className="toolbar toolbar-wrap host-toolbar">
        <input
          type="search"
          name="process-filter"
          className="w-filter"
          placeholder={t('proc.filter')}
          aria-label={t('proc.filter')}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          disabled={!snap}
        />
        <label className="check-inline" title={t('proc.flaggedOnlyHint')}>
          <input type="checkbox" name="flagged-only" checked={flaggedOnly} onChange={(e) => setFlaggedOnly(e.target.checked)} disabled={!snap} />
          <span>{t('proc.flaggedOnly', { n: flaggedCount })}</span>
        </label>
        <div className="btn-row">
          <button type="button" className="btn btn-small btn-ghost" onClick={() => setExpansion(allExpanded)} disabled={!snap || filtering} data-testid="expand-all">
            {t('proc.expandAll')}
          </button>
          <button type="button" className="btn btn-small btn-ghost" onClick={() => setExpansion(allCollapsed)} disabled={!snap || filtering} data-testid="collapse-all">
            {t('proc.collapseAll')}
          </button>
        </div>
        <div className="toolbar-spacer" />
        {snap && (
          <span className="count" data-testid="process-count">
            {t('proc.count', { n: snap.table.procs.length, shown: rows.length })}
            {filter && ` · ${t('proc.matching', { n: filter.matched.size })}`}
          </span>
        )}
        <LiveSwitch live={live} onChange={setLive} busy={poll.busy} failing={failure !== null} seconds={processesPollMs / 1000} />
        <button type="button" className="btn btn-small" onClick={poll.refresh} disabled={poll.busy || forbidden} data-testid="refresh-processes">
          {poll.busy ? t('common.loading') : t('action.refresh')}
        </button>
      </div>
      {snap && (
        <div className="host-meta" data-testid="processes-meta">
          <span>
            {t('proc.takenAt')} <strong><AbsTime value={snap.table.takenAt} /></strong> (<RelTime value={snap.table.takenAt} />)
          </span>
          {snap.table.mechanism && <span>{t('proc.mechanism', { m: snap.table.mechanism })}</span>}
          <span>{t('proc.answeredIn', { n: snap.durationMs })}</span>
          {snap.table.skipped > 0 && <span className="text-warn">{t('proc.skipped', { n: snap.table.skipped })}</span>}
        </div>
      )}
      {failure && <AgentFailure failure={failure} stale={snap !== null} onRetry={forbidden ? undefined : poll.refresh} />}
      {snap && <RiskSummary procs={snap.table.procs} onShow={showProcess} />}
      {!snap && !failure && <Loading />}
      {snap &&
        (snap.table.procs.length === 0 ? (
          <Empty>{t('proc.empty')}</Empty>
        ) : rows.length === 0 ? (
          <Empty>{t('proc.noMatch')}</Empty>
        ) : (
          <ProcessTable
            tree={snap.tree}
            rows={rows}
            query={query}
            details={details}
            onToggle={(k) => setExpansion(toggle(expansion, k))}
            onDetails={(k) => {
              const next = new Set(details);
              if (!next.delete(k)) next.add(k);
              setDetails(next);
            }}
          />
        ))}
    </div>
  );
}
