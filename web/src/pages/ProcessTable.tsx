// The process tree of an agent as a table: indented names with their
// open/close toggle, pid, user (privilege changes marked), command line,
// start and container, the signs worth a look, and a detail row per
// process. Only shows what it is given; ProcessesTab fetches and filters.
import { Fragment, type CSSProperties, type ReactNode } from 'react';
import { Facts } from '../components/Drawer';
import { AbsTime, RelTime } from '../components/time';
import { useI18n, type MessageKey } from '../i18n';
import {
  ancestors,
  isNetworkSocket,
  shortContainerId,
  stdioEnds,
  stdioName,
  type Proc,
  type ProcessTree,
  type Row,
  type Stdio,
} from '../lib/processes';

/** Highlight marks where query occurs in text, ignoring case. */
export function Highlight({ text, query }: { text: string; query: string }) {
  const q = query.trim().toLowerCase();
  if (!q || !text) return <>{text}</>;
  const lower = text.toLowerCase();
  const out: ReactNode[] = [];
  let at = 0;
  for (let i = lower.indexOf(q); i >= 0; i = lower.indexOf(q, i + q.length)) {
    if (i > at) out.push(text.slice(at, i));
    out.push(<mark key={i}>{text.slice(i, i + q.length)}</mark>);
    at = i + q.length;
  }
  if (at < text.length) out.push(text.slice(at));
  return <>{out}</>;
}

/** StdioText describes a stream as [which descriptor, what it is]: ["stdin", "tcp 10.0.1.11:51234 → 203.0.113.9:4444"]. */
export type StdioText = (s: Stdio) => [string, string];

export function useStdioText(): StdioText {
  const { t } = useI18n();
  return (s: Stdio) => {
    const name = stdioName(s.fd);
    const which = name ? t(`proc.fd.${name}` as MessageKey) : t('proc.fd.unknown');
    const what =
      s.kind === 'socket'
        ? [s.transport || t('proc.stdio.socket'), stdioEnds(s)].filter(Boolean).join(' ')
        : s.kind === 'pipe'
          ? t('proc.stdio.pipe')
          : s.text;
    return [which, what];
  };
}

/** groupStreams joins streams that lead to the same place: "stdin, stdout: tcp a → b". */
export function groupStreams(streams: Stdio[], describe: StdioText): string {
  const groups = new Map<string, string[]>();
  for (const s of streams) {
    const [which, what] = describe(s);
    groups.set(what, [...(groups.get(what) ?? []), which]);
  }
  return [...groups].map(([what, which]) => `${which.join(', ')}: ${what}`).join('; ');
}

/** useRiskText says in one sentence why a process is flagged. */
export function useRiskText(): (p: Proc) => string {
  const { t } = useI18n();
  const stdioText = useStdioText();
  return (p: Proc) => {
    const streams = groupStreams(p.stdio.filter(isNetworkSocket), stdioText);
    const vars = { name: p.name, pid: p.pid, user: p.user || String(p.euid ?? '?'), streams };
    if (p.risk === 'reverse-shell') return t('proc.risk.reverseShellText', vars);
    if (p.risk === 'interpreter-socket') return t('proc.risk.interpreterText', vars);
    if (p.risk === 'socket') return t('proc.risk.socketText', vars);
    return '';
  };
}

/** RiskBadge is the mark on a flagged process. */
export function RiskBadge({ proc }: { proc: Proc }) {
  const { t } = useI18n();
  const riskText = useRiskText();
  if (proc.risk === 'reverse-shell')
    return (
      <span className="badge proc-risk proc-risk-danger" data-risk={proc.risk} title={riskText(proc)}>
        ⚠ {t('proc.risk.reverseShell')}
      </span>
    );
  if (proc.risk === 'interpreter-socket')
    return (
      <span className="badge proc-risk proc-risk-warn" data-risk={proc.risk} title={riskText(proc)}>
        ⚠ {t('proc.risk.interpreter')}
      </span>
    );
  if (proc.risk === 'socket')
    return (
      <span className="badge proc-risk proc-risk-info" data-risk={proc.risk} title={riskText(proc)}>
        {t('proc.risk.socket')}
      </span>
    );
  return null;
}

/** UserCell shows the effective user and uid, the uid change when there is one, and the login user when it differs. */
export function UserCell({ proc: p, query }: { proc: Proc; query: string }) {
  const { t } = useI18n();
  const ids = p.uid === null && p.euid === null ? '' : p.privilegeChange ? `${p.uid}→${p.euid}` : String(p.euid ?? p.uid);
  return (
    <div className={p.privilegeChange ? 'proc-user proc-priv' : 'proc-user'}>
      <span>{p.user ? <Highlight text={p.user} query={query} /> : <span className="muted">—</span>}</span>
      {ids && (
        <span className="proc-uid mono" title={p.privilegeChange ? t('proc.privChangeText', { uid: p.uid ?? '?', euid: p.euid ?? '?' }) : `uid ${ids}`}>
          {ids}
        </span>
      )}
      {p.privilegeChange && (
        <span className="badge proc-priv-badge" title={t('proc.privChangeText', { uid: p.uid ?? '?', euid: p.euid ?? '?' })} data-priv="true">
          {t('proc.privChange')}
        </span>
      )}
      {p.loginUser && p.loginUser !== p.user && (
        <span className="proc-login" title={t('proc.loginUser')}>
          {t('proc.loginAs', { user: p.loginUser })}
        </span>
      )}
    </div>
  );
}

interface TableProps {
  tree: ProcessTree;
  rows: Row[];
  /** The filter text, highlighted in the rows. */
  query: string;
  /** Processes whose detail row is open. */
  details: ReadonlySet<string>;
  onToggle: (key: string) => void;
  onDetails: (key: string) => void;
}

export function ProcessTable({ tree, rows, query, details, onToggle, onDetails }: TableProps) {
  const { t } = useI18n();
  return (
    <div className="table-scroll">
      <table className="table table-compact proc-table" data-testid="process-tree" role="treegrid" aria-label={t('proc.title')}>
        <thead>
          <tr>
            <th>{t('proc.col.process')}</th>
            <th className="num">{t('proc.col.pid')}</th>
            <th>{t('proc.col.user')}</th>
            <th>{t('proc.col.command')}</th>
            <th>{t('proc.col.started')}</th>
            <th>{t('proc.col.container')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const n = tree.nodes.get(r.key);
            if (!n) return null;
            return (
              <ProcessRow
                key={r.key}
                row={r}
                proc={n.proc}
                ancestry={() => ancestors(tree, r.key).map((k) => tree.nodes.get(k)!.proc)}
                cycle={n.cycle}
                query={query}
                detail={details.has(r.key)}
                onToggle={() => onToggle(r.key)}
                onDetails={() => onDetails(r.key)}
              />
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

interface RowProps {
  row: Row;
  proc: Proc;
  /** The chain of parents, for the detail row. */
  ancestry: () => Proc[];
  cycle: boolean;
  query: string;
  detail: boolean;
  onToggle: () => void;
  onDetails: () => void;
}

function ProcessRow({ row, proc: p, ancestry, cycle, query, detail, onToggle, onDetails }: RowProps) {
  const { t } = useI18n();
  const classes = ['clickable', 'proc-row'];
  if (detail) classes.push('selected');
  if (row.context) classes.push('proc-context');
  if (p.risk === 'reverse-shell') classes.push('proc-row-danger');
  else if (p.risk === 'interpreter-socket') classes.push('proc-row-warn');
  return (
    <Fragment>
      <tr
        className={classes.join(' ')}
        data-pid={p.pid}
        data-key={p.key}
        data-depth={row.depth}
        data-risk={p.risk ?? undefined}
        aria-level={row.depth + 1}
        aria-expanded={row.childCount > 0 && !row.forced ? row.open : undefined}
        tabIndex={0}
        onClick={onDetails}
        onKeyDown={(e) => {
          if (e.target !== e.currentTarget) return;
          if (e.key === 'Enter') onDetails();
          else if (row.childCount > 0 && !row.forced && ((e.key === 'ArrowRight' && !row.open) || (e.key === 'ArrowLeft' && row.open))) onToggle();
        }}
      >
        <td className="proc-name-cell" style={{ '--depth': row.depth } as CSSProperties}>
          <div className="proc-name">
            {row.childCount > 0 && row.forced ? (
              <span className="proc-toggle proc-toggle-fixed" aria-hidden="true">
                ▾
              </span>
            ) : row.childCount > 0 ? (
              <button
                type="button"
                className="proc-toggle"
                aria-label={row.open ? t('proc.collapse') : t('proc.expand')}
                aria-expanded={row.open}
                title={row.open ? t('proc.collapse') : t('proc.expand')}
                data-toggle={p.key}
                onClick={(e) => {
                  e.stopPropagation();
                  onToggle();
                }}
              >
                {row.open ? '▾' : '▸'}
              </button>
            ) : (
              <span className="proc-leaf" aria-hidden="true" />
            )}
            <span className="proc-pname strong">
              <Highlight text={p.name || '?'} query={query} />
            </span>
            {row.childCount > 0 && !row.open && <span className="proc-kids">{row.childCount}</span>}
            <RiskBadge proc={p} />
            {cycle && (
              <span className="badge proc-risk-info" title={t('proc.cycleText')}>
                {t('proc.cycle')}
              </span>
            )}
          </div>
        </td>
        <td className="num mono">
          <Highlight text={String(p.pid)} query={/^\d+$/.test(query.trim()) ? query : ''} />
        </td>
        <td className="proc-user-cell">
          <UserCell proc={p} query={query} />
        </td>
        <td className="proc-cmd mono">
          <div className="proc-cmd-text" title={p.commandLine}>
            {p.commandLine ? <Highlight text={p.commandLine} query={query} /> : <span className="muted">[{p.name}]</span>}
          </div>
        </td>
        <td className="nowrap small">
          <RelTime value={p.start} />
        </td>
        <td className="mono small nowrap">{p.containerId ? <span title={p.containerId}>{shortContainerId(p.containerId)}</span> : <span className="muted">—</span>}</td>
      </tr>
      {detail && (
        <tr className="expanded proc-detail-row">
          <td colSpan={6}>
            <ProcessDetail proc={p} ancestry={ancestry()} />
          </td>
        </tr>
      )}
    </Fragment>
  );
}

/** ProcessDetail is everything the agent said about one process, and its ancestry (parent first). */
export function ProcessDetail({ proc: p, ancestry = [] }: { proc: Proc; ancestry?: Proc[] }) {
  const { t } = useI18n();
  const stdioText = useStdioText();
  const riskText = useRiskText();
  const mono = (v: string) => (v ? <span className="mono">{v}</span> : '');
  return (
    <div className="proc-detail" data-testid="process-detail">
      {p.risk && p.risk !== 'socket' && (
        <div className={p.risk === 'reverse-shell' ? 'proc-alert proc-alert-danger' : 'proc-alert proc-alert-warn'}>{riskText(p)}</div>
      )}
      <div className="proc-cmdline">
        <div className="proc-detail-label">{t('proc.col.command')}</div>
        <pre className="mono">{p.commandLine || '—'}</pre>
      </div>
      {ancestry.length > 0 && (
        <div className="proc-ancestry" data-testid="process-ancestry">
          <span className="proc-detail-label">{t('proc.ancestry')}</span>
          <span className="mono">
            {[...ancestry]
              .reverse()
              .map((a) => `${a.name || '?'} (${a.pid})`)
              .join(' › ')}
            {' › '}
            <strong>
              {p.name || '?'} ({p.pid})
            </strong>
          </span>
        </div>
      )}
      <Facts
        rows={[
          [t('proc.executable'), mono(p.executable)],
          [t('proc.cwd'), mono(p.cwd)],
          [t('proc.pidPpid'), mono(`${p.pid} / ${p.ppid}`)],
          [t('proc.started'), <AbsTime value={p.start} />],
          [t('proc.col.user'), `${p.user || '—'} (uid ${p.uid ?? '?'}, euid ${p.euid ?? '?'})`],
          [t('proc.loginUser'), p.loginUser],
          [t('proc.tty'), mono(p.tty)],
          [t('proc.col.container'), mono(p.containerId)],
          [t('proc.sha256'), mono(p.sha256)],
          [t('proc.stdio'), p.stdio.length === 0 ? t('proc.stdioNone') : <div className="mono">{p.stdio.map((s, i) => <div key={i}>{stdioText(s).join(': ')}</div>)}</div>],
          [t('proc.entityId'), mono(p.entityId)],
          [t('proc.parentEntityId'), mono(p.parentEntityId)],
        ]}
      />
    </div>
  );
}
