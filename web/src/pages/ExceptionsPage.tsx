// Exceptions (allow-list entries): what each keeps detection from raising
// (rule, agent, match), why, until when (expired ones marked) and how often
// it did (hits, last hit); created, edited and deleted by analysts.
import { useMemo, useState } from 'react';
import { listAgents } from '../api/endpoints';
import { deleteException, listExceptions, listRules } from '../api/detect';
import type { RuleException } from '../api/types';
import { FilterSelect, hostOptions } from '../components/FilterBar';
import { ConfirmDelete, DeleteButton } from '../components/listActions';
import { ListToolbar, PagedTable } from '../components/PagedList';
import { AbsTime, RelTime, Until } from '../components/time';
import { useI18n } from '../i18n';
import { isExpired, rowsFromMatch } from '../lib/exceptionMatch';
import { useLoad, useNow } from '../lib/hooks';
import { formatTime } from '../lib/time';
import { usePaged } from '../lib/usePaged';
import { Link, navigate, useLocation, withQuery } from '../router';
import { allows, useSession } from '../session';
import { ExceptionDialog } from './ExceptionDialog';

export function ExceptionsPage() {
  const { t } = useI18n();
  const { query } = useLocation();
  const session = useSession();
  const now = useNow();
  const canEdit = allows(session, 'analyst');
  const filter = { rule_id: query.get('rule_id') ?? '', agent_id: query.get('agent_id') ?? '', active: query.get('active') === 'true' ? 'true' : '' };
  const created = query.get('created') ?? '';
  const list = usePaged((cursor, signal) => listExceptions({ ...filter, cursor }, signal), [filter.rule_id, filter.agent_id, filter.active]);
  const rules = useLoad((signal) => listRules({ limit: 1000 }, signal), []);
  const agents = useLoad((signal) => listAgents({}, signal), []);
  const ruleTitle = useMemo(() => new Map((rules.data?.items ?? []).map((r) => [r.id, r.title])), [rules.data]);
  const hostname = useMemo(() => new Map((agents.data?.items ?? []).map((a) => [a.id, a.hostname])), [agents.data]);
  const [editing, setEditing] = useState<RuleException | null>(null);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<RuleException | null>(null);
  const setFilter = (k: keyof typeof filter, v: string) => navigate(withQuery('/exceptions', { ...filter, [k]: v }), true);

  return (
    <div className="page">
      <ListToolbar
        intro={t('exceptions.intro')}
        count={t('exceptions.count', { n: list.items.length })}
        list={list}
        newLabel={t('exceptions.new')}
        onNew={() => setCreating(true)}
        newTestId="new-exception"
        newDisabled={!canEdit}
        newTitle={canEdit ? '' : t('error.needAnalyst')}
      />
      <div className="toolbar toolbar-wrap" data-testid="exceptions-filter">
        <FilterSelect
          name="rule_id"
          label={t('exception.rule')}
          all={t('exceptions.anyRule')}
          value={filter.rule_id}
          onChange={(v) => setFilter('rule_id', v)}
          options={(rules.data?.items ?? []).map((r) => ({ value: r.id, label: r.title }))}
          className="w-filter"
        />
        <FilterSelect name="agent_id" label={t('exception.agent')} all={t('exceptions.anyAgent')} value={filter.agent_id} onChange={(v) => setFilter('agent_id', v)} options={hostOptions(agents.data?.items)} />
        <label className="check-inline">
          <input type="checkbox" name="active" checked={filter.active === 'true'} onChange={(e) => setFilter('active', e.target.checked ? 'true' : '')} />
          <span>{t('exceptions.activeOnly')}</span>
        </label>
      </div>
      <PagedTable
        list={list}
        empty={t('exceptions.empty')}
        testId="exceptions-table"
        columns={[t('exceptions.col.scope'), t('exception.match'), t('exception.reason'), t('exceptions.col.expires'), { label: t('exceptions.col.hits'), className: 'num' }, t('exceptions.col.lastHit'), null]}
      >
        {list.items.map((e) => {
          const expired = isExpired(e, now);
          const rows = rowsFromMatch(e.match);
          return (
            <tr key={e.id} data-exception-id={e.id} data-expired={expired} className={`${expired ? 'row-off' : ''} ${created === e.id ? 'selected' : ''}`}>
              <td>
                <div>
                  {e.rule_id ? (
                    <Link to={`/rules/${encodeURIComponent(e.rule_id)}`}>{ruleTitle.get(e.rule_id) ?? e.rule_id}</Link>
                  ) : (
                    <span className="tag">{t('exception.everyRule')}</span>
                  )}
                </div>
                <div className="sub">
                  {e.agent_id ? (
                    <Link to={`/agents/${encodeURIComponent(e.agent_id)}`} className="mono">
                      {hostname.get(e.agent_id) || e.agent_id}
                    </Link>
                  ) : (
                    t('exception.everyAgent')
                  )}
                </div>
              </td>
              <td className="match-cell">
                {rows.length === 0 ? (
                  <span className="muted">{t('exceptions.matchAll')}</span>
                ) : (
                  rows.map((r) => (
                    <div key={r.field} className="match-line" title={`${r.field}: ${r.patterns.split('\n').join(' | ')}`}>
                      <span className="mono small match-k">{r.field}</span> <span className="mono small">{r.patterns.split('\n').join(' | ')}</span>
                    </div>
                  ))
                )}
              </td>
              <td className="reason-cell">
                <div>{e.reason}</div>
                <div className="sub">
                  {e.author} · <AbsTime value={e.created_at} />
                </div>
              </td>
              <td className="nowrap">
                {!e.expires_at ? (
                  <span className="muted">{t('exceptions.noExpiry')}</span>
                ) : expired ? (
                  <span className="badge rule-off" data-testid="expired" title={formatTime(e.expires_at)}>
                    {t('exceptions.expired')}
                  </span>
                ) : (
                  <Until value={e.expires_at} />
                )}
                {e.expires_at && <div className="sub"><AbsTime value={e.expires_at} /></div>}
              </td>
              <td className="num strong">{e.hits}</td>
              <td className="nowrap small">{e.last_hit ? <RelTime value={e.last_hit} /> : <span className="muted">{t('time.never')}</span>}</td>
              <td className="actions">
                {canEdit && (
                  <div className="btn-row">
                    <button type="button" className="btn btn-small" onClick={() => setEditing(e)} data-action="edit">
                      {t('action.edit')}
                    </button>
                    <DeleteButton onClick={() => setDeleting(e)}>{t('action.delete')}</DeleteButton>
                  </div>
                )}
              </td>
            </tr>
          );
        })}
      </PagedTable>
      {(creating || editing) && (
        <ExceptionDialog
          existing={editing ?? undefined}
          initial={
            editing
              ? { ruleId: editing.rule_id ?? '', agentId: editing.agent_id ?? '', rows: rowsFromMatch(editing.match), reason: editing.reason, expiresAt: editing.expires_at ?? '' }
              : { ruleId: filter.rule_id, agentId: filter.agent_id, rows: [{ field: '', patterns: '' }], reason: '', expiresAt: '' }
          }
          onClose={() => {
            setCreating(false);
            setEditing(null);
          }}
          onSaved={(x) => {
            const wasEditing = editing !== null;
            setCreating(false);
            setEditing(null);
            if (wasEditing) list.patch((items) => items.map((y) => (y.id === x.id ? x : y)));
            else navigate(withQuery('/exceptions', { ...filter, created: x.id }), true);
            if (!wasEditing) list.reload();
          }}
        />
      )}
      {deleting && (
        <ConfirmDelete item={deleting} list={list} remove={deleteException} title={t('exceptions.deleteTitle')} confirmLabel={t('action.delete')} onClose={() => setDeleting(null)}>
          {t('exceptions.deleteText', { reason: deleting.reason })}
        </ConfirmDelete>
      )}
    </div>
  );
}
