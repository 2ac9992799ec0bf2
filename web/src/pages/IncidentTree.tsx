// The process trees of an incident with their command lines: branches open
// and close (all, none, or only the paths to the alerts), the processes
// that raised alerts stand out, and a row opens to its details (its
// executable, ids, chain of parents and alerts).
import { Fragment, useMemo, useState, type CSSProperties } from 'react';
import type { Alert, Timeline } from '../api/types';
import { Empty } from '../components/feedback';
import { useI18n } from '../i18n';
import { allBranches, ancestry, indexTree, processName, quietBranches, visibleTreeRows, type TreeIndex } from '../lib/incidentTree';
import { formatTime } from '../lib/time';
import { alertsById } from '../lib/timeline';
import { AlertMarks } from './IncidentTimeline';

/** From this many processes the tree opens on the paths to its alerts only. */
export const largeTree = 100;

export function IncidentTree({ timeline }: { timeline: Timeline }) {
  const { t } = useI18n();
  const index = useMemo(() => indexTree(timeline.processes), [timeline.processes]);
  const alerts = useMemo(() => alertsById(timeline.alerts), [timeline.alerts]);
  // A large tree opens on the paths to its alerts.
  const [closed, setClosed] = useState<ReadonlySet<string>>(() => (index.order.length > largeTree ? quietBranches(index) : new Set()));
  const [detail, setDetail] = useState<string | null>(null);
  const rows = visibleTreeRows(index, closed);
  const alerted = [...index.entries.values()].filter((e) => e.alerted).length;
  const toggle = (key: string) => {
    const next = new Set(closed);
    if (!next.delete(key)) next.add(key);
    setClosed(next);
  };

  if (index.order.length === 0) return <Empty>{t('tree.empty')}</Empty>;
  return (
    <div data-testid="incident-tree">
      <div className="toolbar toolbar-wrap">
        <button type="button" className="btn btn-small" onClick={() => setClosed(new Set())} data-testid="tree-expand">
          {t('proc.expandAll')}
        </button>
        <button type="button" className="btn btn-small" onClick={() => setClosed(allBranches(index))} data-testid="tree-collapse">
          {t('proc.collapseAll')}
        </button>
        <button type="button" className="btn btn-small" onClick={() => setClosed(quietBranches(index))} data-testid="tree-alert-paths">
          {t('tree.alertPaths')}
        </button>
        <div className="toolbar-spacer" />
        <span className="count" data-testid="tree-count">
          {t('tree.count', { n: index.order.length, alerted, shown: rows.length })}
        </span>
      </div>
      <div className="table-wrap">
        <table className="table proc-table itree" data-testid="process-tree">
          <thead>
            <tr>
              <th>{t('proc.col.process')}</th>
              <th className="num">{t('proc.col.pid')}</th>
              <th>{t('proc.col.user')}</th>
              <th>{t('proc.col.command')}</th>
              <th className="num">{t('tree.col.events')}</th>
              <th>{t('timeline.col.alerts')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ entry: e, open, hasChildren }) => {
              const n = e.node;
              const marks = (n.alert_ids ?? []).map((id) => alerts.get(id) ?? ({ id } as Alert));
              const isDetail = detail === e.key;
              const name = processName(n) || '?';
              return (
                <Fragment key={e.key}>
                  <tr
                    className={`clickable proc-row ${e.alerted ? 'itree-alerted' : ''} ${!e.alerted && e.alertedBelow > 0 ? 'itree-path' : ''} ${isDetail ? 'selected' : ''}`}
                    data-pid={n.pid}
                    data-key={e.key}
                    data-depth={e.depth}
                    data-alerted={e.alerted ? 'true' : undefined}
                    aria-expanded={hasChildren ? open : undefined}
                    tabIndex={0}
                    onClick={() => setDetail(isDetail ? null : e.key)}
                    onKeyDown={(ev) => ev.key === 'Enter' && setDetail(isDetail ? null : e.key)}
                  >
                    <td className="proc-name-cell" style={{ '--depth': e.depth } as CSSProperties}>
                      <div className="proc-name">
                        {hasChildren ? (
                          <button
                            type="button"
                            className="proc-toggle"
                            aria-label={open ? t('proc.collapse') : t('proc.expand')}
                            onClick={(ev) => {
                              ev.stopPropagation();
                              toggle(e.key);
                            }}
                          >
                            {open ? '▾' : '▸'}
                          </button>
                        ) : (
                          <span className="proc-leaf" />
                        )}
                        <span className="proc-pname" title={n.executable || name}>
                          {name}
                        </span>
                        {e.alerted && <span className="badge itree-badge">⚠ {t('tree.alerted', { n: marks.length })}</span>}
                        {!open && e.children.length > 0 && (
                          <span className="proc-kids" title={t('tree.hidden')}>
                            +{e.children.length}
                            {e.alertedBelow > 0 ? ` · ⚠ ${e.alertedBelow}` : ''}
                          </span>
                        )}
                      </div>
                    </td>
                    <td className="num mono small">{n.pid ?? '—'}</td>
                    <td className="small nowrap">{n.user || <span className="muted">—</span>}</td>
                    <td className="proc-cmd">
                      <div className="proc-cmd-text mono small" title={n.command_line || n.executable}>
                        {n.command_line || n.executable || <span className="muted">—</span>}
                      </div>
                    </td>
                    <td className="num small">{n.events}</td>
                    <td>
                      <AlertMarks alerts={marks} />
                    </td>
                  </tr>
                  {isDetail && (
                    <tr className="expanded">
                      <td colSpan={6}>
                        <ProcessFacts index={index} id={e.key} />
                      </td>
                    </tr>
                  )}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function ProcessFacts({ index, id }: { index: TreeIndex; id: string }) {
  const { t } = useI18n();
  const e = index.entries.get(id);
  if (!e) return null;
  const n = e.node;
  const chain = ancestry(index, id);
  return (
    <div className="proc-detail" data-testid="tree-detail">
      <div className="proc-cmdline">
        <div className="proc-detail-label">{t('proc.col.command')}</div>
        <pre className="mono">{n.command_line || '—'}</pre>
      </div>
      <dl className="facts facts-inline">
        <div className="fact">
          <dt>{t('proc.executable')}</dt>
          <dd className="mono small">{n.executable || '—'}</dd>
        </div>
        <div className="fact">
          <dt>{t('proc.entityId')}</dt>
          <dd className="mono small">{n.entity_id || '—'}</dd>
        </div>
        <div className="fact">
          <dt>{t('proc.started')}</dt>
          <dd className="mono small">{formatTime(n.start) || n.start || '—'}</dd>
        </div>
      </dl>
      <div className="proc-ancestry" data-testid="tree-ancestry">
        <span className="proc-detail-label">{t('proc.ancestry')}</span>{' '}
        <span className="mono small">{chain.map((x) => `${processName(x.node) || '?'} (${x.node.pid ?? '?'})`).join(' › ')}</span>
      </div>
    </div>
  );
}
