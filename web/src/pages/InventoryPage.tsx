// The fleet's inventory: items per kind, a search in the inventory's search
// language with columns that follow the kind, each item's detail in a
// panel; and, on its own tab, the history of changes. Filters and the
// search are kept in the URL.
import { useState } from 'react';
import { ApiError } from '../api/client';
import { assetSummary, listAssets } from '../api/endpoints';
import { assetKinds, type Asset } from '../api/types';
import { Drawer } from '../components/Drawer';
import { Empty, ErrorBanner, Loading } from '../components/feedback';
import { useSearchText } from '../components/FilterBar';
import { Tabs } from '../components/Tabs';
import { useI18n, type MessageKey } from '../i18n';
import { useLoad } from '../lib/hooks';
import { countText, kindName, kindOne, tableKind } from '../lib/inventory';
import { usePaged } from '../lib/usePaged';
import { navigate, useLocation, withQuery } from '../router';
import { AssetDetail, AssetTable, assetKey, KindTiles, PagedFrame } from './AssetViews';
import { InventoryChanges } from './InventoryChanges';

/** Searches shown as examples under the search box. */
export const searchExamples = ['name:redis version<6', 'port:3000', 'kind:library log4j-core version<2.17'];

/** The terms of the search language, explained in the help. */
const searchHelp: [string[], MessageKey][] = [
  [['redis', '"Apache Tomcat"'], 'inv.help.word'],
  [['kind:package'], 'inv.help.kind'],
  [['name:redis', 'name:redis*'], 'inv.help.name'],
  [['version<6', 'version>=2.17'], 'inv.help.version'],
  [['port:3000'], 'inv.help.port'],
  [['agent:ID', 'collector:os/packages'], 'inv.help.agent'],
];

export const inventoryPageSize = 100;

export function InventoryPage({ view }: { view: 'items' | 'changes' }) {
  const { t } = useI18n();
  return (
    <div className="page">
      <Tabs
        label={t('inv.views')}
        testId="inventory-tabs"
        value={view}
        onChange={(v) => navigate(v === 'changes' ? '/inventory/changes' : '/inventory')}
        tabs={[
          { key: 'items', label: t('inv.tab.items') },
          { key: 'changes', label: t('inv.tab.changes') },
        ]}
      />
      <div className="inv-page-body">{view === 'changes' ? <InventoryChanges /> : <InventoryItems />}</div>
    </div>
  );
}

/** badQuery is the center's reason for refusing a search (a 400), or ''. */
export function badQuery(err: unknown): string {
  return err instanceof ApiError && err.status === 400 ? err.message : '';
}

function InventoryItems() {
  const { t } = useI18n();
  const { query } = useLocation();
  const q = query.get('q') ?? '';
  const kind = query.get('kind') ?? '';
  const [open, setOpen] = useState<Asset | null>(null);

  const go = (next: { q?: string; kind?: string }) => {
    setOpen(null);
    navigate(withQuery('/inventory', { q: next.q ?? q, kind: next.kind ?? kind }));
  };
  const summary = useLoad((signal) => assetSummary(undefined, signal), []);
  const items = usePaged((cursor, signal) => listAssets({ q: q || undefined, kind: kind || undefined, cursor, limit: inventoryPageSize }, signal), [q, kind]);
  // The box follows the URL (back and forward, an example picked); the same search again runs again (the URL does not change).
  const search = useSearchText(q, (text) => go({ q: text }), items.reload);
  const bad = badQuery(items.error);
  const shownKind = tableKind(kind, q, items.items);
  const kinds = summary.data?.kinds ?? [];

  return (
    <>
      <ErrorBanner error={summary.error} onRetry={summary.refresh} />
      {summary.data === undefined && !summary.error ? (
        <Loading />
      ) : kinds.length === 0 && !summary.error ? (
        <Empty>{t('inv.noInventory')}</Empty>
      ) : (
        <KindTiles kinds={kinds} value={kind} onPick={(k) => go({ kind: k })} hosts testId="kind-tiles" />
      )}

      <form className="inv-search" onSubmit={search.submit} data-testid="inventory-search" role="search">
        <input
          name="q"
          type="search"
          className={`inv-q mono ${bad ? 'invalid' : ''}`}
          placeholder={t('inv.searchPlaceholder')}
          aria-label={t('inv.search')}
          aria-invalid={bad ? true : undefined}
          spellCheck={false}
          {...search.input}
        />
        <select name="kind" aria-label={t('inv.col.kind')} value={kind} onChange={(e) => go({ kind: e.target.value })}>
          <option value="">{t('inv.allKinds')}</option>
          {assetKinds.map((k) => (
            <option key={k} value={k}>
              {kindName(t, k)}
            </option>
          ))}
        </select>
        <button type="submit" className="btn btn-primary btn-small">
          {t('inv.searchButton')}
        </button>
        {(q || kind) && (
          <button
            type="button"
            className="btn btn-ghost btn-small"
            onClick={() => {
              search.clear();
              go({ q: '', kind: '' });
            }}
          >
            {t('action.reset')}
          </button>
        )}
      </form>
      {bad && (
        <div className="inv-search-error" role="alert" data-testid="search-error">
          <strong>{t('inv.badSearch')}</strong> <span className="mono">{bad}</span>
        </div>
      )}
      <div className="inv-examples">
        <span className="muted small">{t('inv.examples')}</span>
        {searchExamples.map((ex) => (
          <button key={ex} type="button" className="chip chip-filter mono" data-example={ex} onClick={() => go({ q: ex, kind: '' })}>
            {ex}
          </button>
        ))}
        <details className="inv-help">
          <summary>{t('inv.syntax')}</summary>
          <table className="inv-help-table">
            <tbody>
              {searchHelp.map(([terms, key]) => (
                <tr key={key}>
                  <td>
                    {terms.map((term) => (
                      <code key={term} className="inv-term">
                        {term}
                      </code>
                    ))}
                  </td>
                  <td>{t(key)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="hint small">{t('inv.help.versions')}</p>
        </details>
      </div>

      {!bad && (
        <>
          <div className="toolbar inv-results-bar">
            <span className="strong">{shownKind ? kindName(t, shownKind) : t('inv.results')}</span>
            <div className="toolbar-spacer" />
            {!items.initial && !items.error && (
              <span className="count" data-testid="asset-count">
                {countText(t, items.items.length, !!items.nextCursor)}
              </span>
            )}
            <button
              type="button"
              className="btn btn-small"
              onClick={() => {
                summary.refresh();
                items.reload();
              }}
              disabled={items.loading}
            >
              {t('action.refresh')}
            </button>
          </div>
          <PagedFrame list={items} empty={q || kind ? t('inv.noMatch') : t('inv.noItems')} moreTestId="more-assets">
            <div className="table-wrap">
              <AssetTable items={items.items} kind={shownKind} withHost onOpen={setOpen} selected={open ? assetKey(open) : undefined} testId="assets-table" />
            </div>
          </PagedFrame>
        </>
      )}
      {open && (
        <Drawer
          testId="asset-drawer"
          onClose={() => setOpen(null)}
          title={open.name || open.key}
          subtitle={
            <span className="drawer-status">
              <span className="tag">{kindOne(t, open.kind)}</span>
              {open.version && <span className="mono">{open.version}</span>}
              <span>· {open.hostname || open.agent_id}</span>
            </span>
          }
        >
          <AssetDetail asset={open} />
        </Drawer>
      )}
    </>
  );
}
