// The audit log (admin): filters by actor, action prefix and time, cursor
// paging, each entry expandable to its detail.
import { listAudit } from '../api/admin';
import { ExpandRow, useOpenRows } from '../components/ExpandRow';
import { TimeRangeActions, useQueryFilter } from '../components/FilterBar';
import { JsonView } from '../components/JsonView';
import { PagedTable, RefreshButton } from '../components/PagedList';
import { AbsTime } from '../components/time';
import { useI18n, type MessageKey } from '../i18n';
import { auditActions, auditResultClass } from '../lib/audit';
import { usePaged } from '../lib/usePaged';

const keys = ['actor', 'action', 'since', 'until'] as const;

export function AuditPage() {
  const { t } = useI18n();
  const open = useOpenRows<number>();
  const { applied, form, set, apply, reset } = useQueryFilter('/audit', keys, open.closeAll);
  const entries = usePaged((cursor, signal) => listAudit({ ...applied, cursor }, signal), keys.map((k) => applied[k]));
  const resultKey = (r: string): MessageKey | null => (['ok', 'denied', 'error'].includes(r) ? (`audit.result.${r}` as MessageKey) : null);

  return (
    <div className="page">
      <form className="toolbar toolbar-wrap" onSubmit={apply} data-testid="audit-filter">
        <input name="actor" className="w-small" placeholder={t('audit.actor')} aria-label={t('audit.actor')} value={form.actor} onChange={set('actor')} />
        <input name="action" list="audit-actions" className="w-small" placeholder={t('audit.action')} aria-label={t('audit.action')} title={t('audit.actionHint')} value={form.action} onChange={set('action')} />
        <datalist id="audit-actions">
          {auditActions.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        <TimeRangeActions since={form.since} until={form.until} set={set} onReset={reset} />
        <div className="toolbar-spacer" />
        <span className="count">{t('audit.count', { n: entries.items.length })}</span>
        <RefreshButton list={entries} />
      </form>
      <PagedTable
        list={entries}
        empty={t('audit.empty')}
        testId="audit-table"
        moreTestId="load-more"
        columns={[{ className: 'c-toggle' }, t('audit.col.time'), t('audit.col.actor'), t('audit.col.action'), t('audit.col.target'), t('audit.col.result'), t('audit.col.source')]}
      >
        {entries.items.map((a, i) => {
          const k = a.id ?? i;
          const rk = resultKey(a.result);
          return (
            <ExpandRow
              key={k}
              open={open.isOpen(k)}
              onToggle={() => open.toggle(k)}
              data={{ 'data-audit-id': a.id, 'data-action': a.action, 'data-result': a.result }}
              span={7}
              detail={() =>
                a.detail && Object.keys(a.detail).length > 0 ? <JsonView value={a.detail} label={t('audit.detail')} /> : <span className="muted">{t('audit.noDetail')}</span>
              }
            >
              <td className="nowrap mono small">
                <AbsTime value={a.at} />
              </td>
              <td>
                <div>{a.actor}</div>
                {a.role && <div className="sub">{t(`role.${a.role}` as MessageKey)}</div>}
              </td>
              <td className="mono small">{a.action}</td>
              <td className="mono small target-cell" title={a.target}>
                {a.target || <span className="muted">—</span>}
              </td>
              <td>
                <span className={`badge ${auditResultClass(a.result)}`}>{rk ? t(rk) : a.result}</span>
              </td>
              <td className="mono small">{a.source_ip || <span className="muted">—</span>}</td>
            </ExpandRow>
          );
        })}
      </PagedTable>
    </div>
  );
}
