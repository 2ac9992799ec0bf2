// The inventory's building blocks, shared by the inventory page and an
// agent's inventory tab: kind tiles, item tables whose columns follow the
// kind, an item's detail, and the history of changes with their diffs.
import { useState, type ReactNode } from 'react';
import type { Asset, AssetChange, AssetKindCount } from '../api/types';
import { Facts } from '../components/Drawer';
import { Empty, ErrorBanner, Loading } from '../components/feedback';
import { ExpandRow, useOpenRows } from '../components/ExpandRow';
import { FieldTree } from '../components/FieldTree';
import { JsonView } from '../components/JsonView';
import { RelTime } from '../components/time';
import { useI18n } from '../i18n';
import { count } from '../lib/format';
import { actionName, changeLine, columnsFor, diffFields, kindName, kindOne, showValue, versionChange, type AssetColumn, type Cell } from '../lib/inventory';
import { formatTime } from '../lib/time';
import type { Paged } from '../lib/usePaged';
import { Link } from '../router';

/** agentInventoryPath is the agent drawer's inventory tab. */
export function agentInventoryPath(agentId: string): string {
  return `/agents/${encodeURIComponent(agentId)}?tab=inventory`;
}

/** clusterPrefix starts the id the center keeps a Kubernetes cluster's objects under. */
const clusterPrefix = 'k8s:';

/** HostLink names an item's host and opens the agent's inventory; a cluster's objects have no agent page. */
export function HostLink({ agentId, hostname }: { agentId: string; hostname?: string }) {
  if (agentId.startsWith(clusterPrefix)) {
    return (
      <span className="host-cluster" title={agentId}>
        {hostname || agentId}
      </span>
    );
  }
  return (
    <span onClick={(e) => e.stopPropagation()} onKeyDown={(e) => e.stopPropagation()}>
      <Link to={agentInventoryPath(agentId)} className="host-link" title={agentId}>
        {hostname || agentId}
      </Link>
    </span>
  );
}

interface TilesProps {
  kinds: AssetKindCount[];
  /** The kind chosen, '' for all. */
  value: string;
  onPick: (kind: string) => void;
  /** Show on how many hosts each kind is (the fleet's tiles). */
  hosts?: boolean;
  testId?: string;
}

/** KindTiles shows the items per kind, the chosen kind pressed; a click picks a kind (again: all). */
export function KindTiles({ kinds, value, onPick, hosts, testId }: TilesProps) {
  const { t } = useI18n();
  const total = kinds.reduce((n, k) => n + k.items, 0);
  const tile = (kind: string, label: string, items: number, agents?: number) => (
    <button
      key={kind || 'all'}
      type="button"
      className={`inv-tile ${value === kind ? 'inv-tile-active' : ''}`}
      aria-pressed={value === kind}
      data-kind={kind || 'all'}
      onClick={() => onPick(value === kind ? '' : kind)}
    >
      <span className="inv-tile-label">{label}</span>
      <span className="inv-tile-value" data-testid="tile-count">
        {count(items)}
      </span>
      {hosts && agents !== undefined && <span className="inv-tile-sub">{agents === 1 ? t('inv.onHost') : t('inv.onHosts', { n: agents })}</span>}
    </button>
  );
  return (
    <div className="inv-tiles" data-testid={testId}>
      {tile('', t('inv.allKinds'), total)}
      {kinds.map((k) => tile(k.kind, kindName(t, k.kind), k.items, k.agents))}
    </div>
  );
}

function CellView({ cell }: { cell: Cell }) {
  const tone = cell.tone === 'bad' ? 'text-bad' : cell.tone === 'warn' ? 'text-warn' : '';
  return (
    <>
      <div className={`inv-cell ${cell.mono ? 'mono' : ''} ${tone}`.trim()} title={cell.title ?? (cell.text.length > 40 ? cell.text : undefined)}>
        {cell.text || <span className="muted">—</span>}
      </div>
      {cell.sub && (
        <div className="sub inv-cell" title={cell.sub}>
          {cell.sub}
        </div>
      )}
    </>
  );
}

function Cells({ asset, cols }: { asset: Asset; cols: AssetColumn[] }) {
  const { t } = useI18n();
  return (
    <>
      {cols.map((c) =>
        c.id === 'host' ? (
          <td key={c.id} className="nowrap">
            <HostLink agentId={asset.agent_id} hostname={asset.hostname} />
          </td>
        ) : (
          <td key={c.id} className={`inv-c-${c.id}`} data-col={c.id}>
            <CellView cell={c.cell(asset, t)} />
          </td>
        ),
      )}
    </>
  );
}

/** assetKey identifies an item in a listing. */
export function assetKey(a: Pick<Asset, 'agent_id' | 'collector' | 'kind' | 'key'>): string {
  return `${a.agent_id}\u0000${a.collector}\u0000${a.kind}\u0000${a.key}`;
}

interface TableProps {
  items: Asset[];
  /** The kind the columns follow ('' for several kinds). */
  kind: string;
  withHost: boolean;
  /** Called with the row clicked; without it rows open below themselves. */
  onOpen?: (a: Asset) => void;
  /** The item open in a panel. */
  selected?: string;
  testId: string;
  compact?: boolean;
}

/** AssetTable lists items with the columns of their kind. */
export function AssetTable({ items, kind, withHost, onOpen, selected, testId, compact }: TableProps) {
  const { t } = useI18n();
  const open = useOpenRows<string>();
  const cols = columnsFor(kind, withHost);
  return (
    <table className={`table inv-table ${compact ? 'table-compact' : ''}`} data-testid={testId} data-kind={kind || 'mixed'}>
      <thead>
        <tr>
          {!onOpen && <th className="c-toggle" />}
          {cols.map((c) => (
            <th key={c.id}>{t(c.label)}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {items.map((a) => {
          const k = assetKey(a);
          const data = { 'data-asset-key': a.key, 'data-asset-kind': a.kind, 'data-agent-id': a.agent_id };
          if (!onOpen) {
            return (
              <ExpandRow key={k} open={open.isOpen(k)} onToggle={() => open.toggle(k)} data={data} span={cols.length + 1} detail={() => <AssetDetail asset={a} inline />}>
                <Cells asset={a} cols={cols} />
              </ExpandRow>
            );
          }
          return (
            <tr
              key={k}
              {...data}
              className={`clickable ${selected === k ? 'selected' : ''}`}
              tabIndex={0}
              onClick={() => onOpen(a)}
              onKeyDown={(e) => e.key === 'Enter' && e.target === e.currentTarget && onOpen(a)}
            >
              <Cells asset={a} cols={cols} />
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** AssetDetail shows an item: what it is, where, since when, and its fields as a tree. */
export function AssetDetail({ asset: a, inline }: { asset: Asset; inline?: boolean }) {
  const { t } = useI18n();
  return (
    <div className={inline ? 'inv-detail inv-detail-inline' : 'inv-detail'} data-testid="asset-detail">
      <Facts
        rows={[
          [t('inv.col.kind'), kindOne(t, a.kind)],
          [t('inv.col.name'), a.name],
          [t('inv.col.version'), a.version ? <span className="mono">{a.version}</span> : ''],
          [t('inv.col.key'), <span className="mono">{a.key}</span>],
          [t('inv.col.collector'), <span className="mono">{a.collector}</span>],
          ...(inline ? [] : [[t('inv.col.host'), <HostLink agentId={a.agent_id} hostname={a.hostname} />] as [string, ReactNode]]),
          [t('inv.firstSeen'), <span title={formatTime(a.first_seen)}>{formatTime(a.first_seen)}</span>],
          [t('inv.updatedAt'), <RelTime value={a.updated_at} />],
        ]}
      />
      <h4 className="inv-sub-title">{t('inv.fields')}</h4>
      <FieldTree value={a.fields} testId="field-tree" />
      {a.fields && Object.keys(a.fields).length > 0 && (
        <details className="inv-json">
          <summary>{t('inv.asJson')}</summary>
          <JsonView value={a.fields} label={a.key} />
        </details>
      )}
    </div>
  );
}

/** ActionBadge colours an action: added green, changed blue, removed red. */
export function ActionBadge({ action }: { action: string }) {
  const { t } = useI18n();
  return (
    <span className={`badge inv-action inv-action-${action}`} data-action={action}>
      {actionName(t, action)}
    </span>
  );
}

/** ChangeDiff shows a change's fields path by path; unchanged ones on demand. */
export function ChangeDiff({ change: c }: { change: AssetChange }) {
  const { t } = useI18n();
  const [all, setAll] = useState(false);
  const diff = diffFields(c.before_fields, c.after_fields);
  const same = diff.filter((d) => d.change === 'same').length;
  const shown = all ? diff : diff.filter((d) => d.change !== 'same');
  return (
    <div className="inv-diff" data-testid="change-diff">
      <div className="inv-diff-head">
        <span className="mono small">
          {c.collector} · {c.key}
        </span>
        <span className="small muted">{formatTime(c.at)}</span>
        <div className="toolbar-spacer" />
        {same > 0 && (
          <button type="button" className="btn btn-ghost btn-small" onClick={() => setAll(!all)}>
            {all ? t('inv.diff.hideSame') : t('inv.diff.showSame', { n: same })}
          </button>
        )}
      </div>
      {diff.length === 0 ? (
        <p className="hint">{t('inv.noFields')}</p>
      ) : shown.length === 0 ? (
        <p className="hint">{t('inv.diff.noChange')}</p>
      ) : (
        <table className="table table-compact inv-diff-table">
          <thead>
            <tr>
              <th>{t('inv.diff.field')}</th>
              <th>{t('inv.diff.before')}</th>
              <th>{t('inv.diff.after')}</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((d) => (
              <tr key={d.path} className={`diff-${d.change}`} data-path={d.path} data-change={d.change}>
                <td className="mono small">{d.path}</td>
                <td className="mono small diff-before">{d.before === undefined ? <span className="muted">—</span> : showValue(d.before)}</td>
                <td className="mono small diff-after">{d.after === undefined ? <span className="muted">—</span> : showValue(d.after)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

interface ChangeTableProps {
  items: AssetChange[];
  withHost: boolean;
  testId: string;
  compact?: boolean;
}

/** ChangeTable lists changes, newest first: when, host, kind, item, versions, action; each opens to its diff. */
export function ChangeTable({ items, withHost, testId, compact }: ChangeTableProps) {
  const { t } = useI18n();
  const open = useOpenRows<string>();
  const span = withHost ? 7 : 6;
  return (
    <table className={`table inv-changes ${compact ? 'table-compact' : ''}`} data-testid={testId}>
      <thead>
        <tr>
          <th className="c-toggle" />
          <th>{t('inv.col.when')}</th>
          {withHost && <th>{t('inv.col.host')}</th>}
          <th>{t('inv.col.kind')}</th>
          <th>{t('inv.col.item')}</th>
          <th>{t('inv.col.versions')}</th>
          <th>{t('inv.col.action')}</th>
        </tr>
      </thead>
      <tbody>
        {items.map((c) => (
          <ExpandRow
            key={c.id}
            open={open.isOpen(c.id)}
            onToggle={() => open.toggle(c.id)}
            data={{ 'data-change-id': c.id, 'data-action': c.action, 'data-asset-kind': c.kind }}
            span={span}
            title={changeLine(t, c, withHost)}
            detail={() => <ChangeDiff change={c} />}
          >
            <td className="nowrap small">
              <RelTime value={c.at} />
            </td>
            {withHost && (
              <td className="nowrap">
                <HostLink agentId={c.agent_id} hostname={c.hostname} />
              </td>
            )}
            <td className="nowrap">
              <span className="tag">{kindOne(t, c.kind)}</span>
            </td>
            <td className="inv-c-item">
              <div className="inv-cell strong" title={c.name || c.key}>
                {c.name || c.key}
              </div>
              {c.name && c.key !== c.name && (
                <div className="sub mono inv-cell" title={c.key}>
                  {c.key}
                </div>
              )}
            </td>
            <td className="mono small inv-c-versions">{versionChange(c) || <span className="muted">—</span>}</td>
            <td>
              <ActionBadge action={c.action} />
            </td>
          </ExpandRow>
        ))}
      </tbody>
    </table>
  );
}

interface FrameProps<T> {
  list: Paged<T>;
  /** What an empty listing says. */
  empty: ReactNode;
  moreTestId: string;
  /** The table, shown once there are items. */
  children: ReactNode;
}

/** PagedFrame shows a listing's error, loading and empty states around its table, and "load more". */
export function PagedFrame<T>({ list, empty, moreTestId, children }: FrameProps<T>) {
  const { t } = useI18n();
  return (
    <>
      <ErrorBanner error={list.error} onRetry={list.reload} />
      {list.initial ? <Loading /> : list.items.length === 0 ? !list.error && <Empty>{empty}</Empty> : children}
      {list.nextCursor && (
        <div className="more">
          <button type="button" className="btn btn-small" onClick={list.loadMore} disabled={list.loading} data-testid={moreTestId}>
            {list.loading ? t('common.loading') : t('action.loadMore')}
          </button>
        </div>
      )}
    </>
  );
}
