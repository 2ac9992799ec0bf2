// The inventory's history across the fleet, newest first: filtered by kind,
// action, text and time (kept in the URL), each change opening to the diff
// of the item's fields.
import { listAssetChanges } from '../api/endpoints';
import { assetActions, assetKinds } from '../api/types';
import { TimeRangeActions, useQueryFilter } from '../components/FilterBar';
import { useI18n } from '../i18n';
import { actionName, kindName } from '../lib/inventory';
import { usePaged } from '../lib/usePaged';
import { ChangeTable, PagedFrame } from './AssetViews';

const keys = ['kind', 'action', 'q', 'since', 'until'] as const;

export function InventoryChanges() {
  const { t } = useI18n();
  const { applied, form, set, apply, reset } = useQueryFilter('/inventory/changes', keys, () => undefined);
  const changes = usePaged((cursor, signal) => listAssetChanges({ ...applied, cursor }, signal), keys.map((k) => applied[k]));

  return (
    <>
      <form className="toolbar toolbar-wrap" onSubmit={apply} data-testid="changes-filter">
        <select name="kind" aria-label={t('inv.col.kind')} value={form.kind} onChange={set('kind')}>
          <option value="">{t('inv.allKinds')}</option>
          {assetKinds.map((k) => (
            <option key={k} value={k}>
              {kindName(t, k)}
            </option>
          ))}
        </select>
        <select name="action" aria-label={t('inv.col.action')} value={form.action} onChange={set('action')}>
          <option value="">{t('inv.allActions')}</option>
          {assetActions.map((a) => (
            <option key={a} value={a}>
              {actionName(t, a)}
            </option>
          ))}
        </select>
        <input name="q" type="search" className="w-search" placeholder={t('inv.changesText')} aria-label={t('inv.changesText')} value={form.q} onChange={set('q')} />
        <TimeRangeActions since={form.since} until={form.until} set={set} onReset={reset} />
        <div className="toolbar-spacer" />
        <span className="count" data-testid="change-count">
          {t('inv.changeCount', { n: changes.items.length })}
        </span>
      </form>
      <PagedFrame list={changes} empty={t('inv.noChanges')} moreTestId="more-changes">
        <div className="table-wrap">
          <ChangeTable items={changes.items} withHost testId="changes-table" />
        </div>
      </PagedFrame>
    </>
  );
}
