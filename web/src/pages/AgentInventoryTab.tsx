// An agent's inventory: its items per kind and its collectors' sets (when
// each last changed and last reported), the items of a kind (or a search)
// opening to their fields, and the host's recent changes.
import { useState, type FormEvent } from 'react';
import { assetSummary, listAssetChanges, listAssets } from '../api/endpoints';
import { Section } from '../components/Drawer';
import { Empty, ErrorBanner, Loading } from '../components/feedback';
import { RelTime } from '../components/time';
import { useI18n } from '../i18n';
import { count } from '../lib/format';
import { useLoad } from '../lib/hooks';
import { countText, kindName, tableKind } from '../lib/inventory';
import { usePaged } from '../lib/usePaged';
import { AssetTable, ChangeTable, KindTiles, PagedFrame } from './AssetViews';
import { badQuery } from './InventoryPage';

/** Items per page in the tab, and the recent changes shown at first. */
export const hostItemsPage = 50;
export const hostChangesPage = 20;

export function AgentInventoryTab({ agentId }: { agentId: string }) {
  const { t } = useI18n();
  const [kind, setKind] = useState('');
  const [text, setText] = useState('');
  const [q, setQ] = useState('');
  const summary = useLoad((signal) => assetSummary(agentId, signal), [agentId]);
  const items = usePaged(
    (cursor, signal) => listAssets({ agent_id: agentId, kind: kind || undefined, q: q || undefined, cursor, limit: hostItemsPage }, signal),
    [agentId, kind, q],
  );
  const changes = usePaged((cursor, signal) => listAssetChanges({ agent_id: agentId, cursor, limit: hostChangesPage }, signal), [agentId]);
  const kinds = summary.data?.kinds ?? [];
  const sets = [...(summary.data?.sets ?? [])].sort((a, b) => a.collector.localeCompare(b.collector));
  const bad = badQuery(items.error);
  const shownKind = tableKind(kind, q, items.items);
  const search = (e: FormEvent) => {
    e.preventDefault();
    if (text.trim() === q) items.reload();
    else setQ(text.trim());
  };
  const refresh = () => {
    summary.refresh();
    items.reload();
    changes.reload();
  };

  return (
    <div className="host-tab inv-host" data-testid="agent-inventory">
      <ErrorBanner error={summary.error} onRetry={summary.refresh} />
      {summary.data === undefined && !summary.error ? (
        <Loading />
      ) : kinds.length === 0 && sets.length === 0 && !summary.error ? (
        <Empty>{t('inv.host.none')}</Empty>
      ) : (
        <>
          <Section
            title={t('inv.host.summary')}
            actions={
              <button type="button" className="btn btn-small" onClick={refresh} disabled={summary.loading} data-testid="refresh-inventory">
                {t('action.refresh')}
              </button>
            }
          >
            <div className="inv-host-summary">
              <KindTiles kinds={kinds} value={kind} onPick={setKind} testId="host-kind-tiles" />
              {sets.length > 0 && (
                <div className="table-scroll inv-sets">
                  <table className="table table-compact" data-testid="inventory-sets">
                    <thead>
                      <tr>
                        <th>{t('inv.col.collector')}</th>
                        <th className="num">{t('inv.col.items')}</th>
                        <th>{t('inv.col.changed')}</th>
                        <th>{t('inv.col.checked')}</th>
                        <th>{t('inv.col.digest')}</th>
                      </tr>
                    </thead>
                    <tbody>
                      {sets.map((s) => (
                        <tr key={s.collector} data-collector={s.collector}>
                          <td className="mono small">{s.collector}</td>
                          <td className="num">{count(s.items)}</td>
                          <td className="nowrap small" data-testid="set-changed">
                            <RelTime value={s.updated_at} />
                          </td>
                          <td className="nowrap small" data-testid="set-checked">
                            <RelTime value={s.checked_at} />
                          </td>
                          <td className="mono small muted" title={s.digest}>
                            {s.digest.slice(0, 12)}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </div>
          </Section>

          <Section title={kind ? kindName(t, kind) : t('inv.host.items')}>
            <form className="toolbar inv-host-search" onSubmit={search} role="search">
              <input
                name="host-q"
                type="search"
                className={`inv-q mono ${bad ? 'invalid' : ''}`}
                placeholder={t('inv.searchPlaceholder')}
                aria-label={t('inv.search')}
                value={text}
                onChange={(e) => setText(e.target.value)}
                spellCheck={false}
                autoComplete="off"
              />
              <button type="submit" className="btn btn-small">
                {t('inv.searchButton')}
              </button>
              <div className="toolbar-spacer" />
              {!items.initial && !items.error && (
                <span className="count" data-testid="host-asset-count">
                  {countText(t, items.items.length, !!items.nextCursor)}
                </span>
              )}
            </form>
            {bad ? (
              <div className="inv-search-error" role="alert" data-testid="host-search-error">
                <strong>{t('inv.badSearch')}</strong> <span className="mono">{bad}</span>
              </div>
            ) : (
              <PagedFrame list={items} empty={q || kind ? t('inv.noMatch') : t('inv.noItems')} moreTestId="more-host-assets">
                <div className="table-scroll">
                  <AssetTable items={items.items} kind={shownKind} withHost={false} testId="host-assets-table" compact />
                </div>
              </PagedFrame>
            )}
          </Section>

          <Section title={t('inv.host.changes')}>
            <PagedFrame list={changes} empty={t('inv.host.noChanges')} moreTestId="more-host-changes">
              <div className="table-scroll">
                <ChangeTable items={changes.items} withHost={false} testId="host-changes-table" compact />
              </div>
            </PagedFrame>
          </Section>
        </>
      )}
    </div>
  );
}
