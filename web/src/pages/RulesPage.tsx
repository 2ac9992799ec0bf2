// Detection rules: the loaded rules with their filters, the rules and
// files that were not loaded (problems), and the imported rule files, on
// three tabs; importing rule files (responder) from any of them.
import { useState } from 'react';
import { deleteRuleFile, listRuleFiles, listRules, ruleProblems } from '../api/detect';
import { ruleKinds, ruleLevels, ruleSources, ruleStatuses, type RuleFile } from '../api/types';
import { LevelBadge, SeverityBadge } from '../components/badges';
import { useQueryFilter } from '../components/FilterBar';
import { ConfirmDelete, DeleteButton } from '../components/listActions';
import { PagedTable, RefreshButton } from '../components/PagedList';
import { Tabs } from '../components/Tabs';
import { TechniqueList } from '../components/Techniques';
import { AbsTime } from '../components/time';
import { useI18n, type MessageKey } from '../i18n';
import { bytes } from '../lib/format';
import { usePaged } from '../lib/usePaged';
import { Link, navigate } from '../router';
import { allows, useSession } from '../session';
import { RuleImportDialog } from './RuleImportDialog';
import { ruleWord } from './ruleWords';

export type RulesView = 'rules' | 'problems' | 'files';

const viewPath: Record<RulesView, string> = { rules: '/rules', problems: '/rules/problems', files: '/rule-files' };

export function RulesPage({ view }: { view: RulesView }) {
  const { t } = useI18n();
  const session = useSession();
  const canImport = allows(session, 'responder');
  const [importing, setImporting] = useState(false);
  const [generation, setGeneration] = useState(0);
  return (
    <div className="page">
      <div className="toolbar">
        <Tabs
          label={t('nav.rules')}
          testId="rules-tabs"
          value={view}
          onChange={(v) => navigate(viewPath[v])}
          tabs={[
            { key: 'rules', label: t('rules.tab.rules') },
            { key: 'problems', label: t('rules.tab.problems') },
            { key: 'files', label: t('rules.tab.files') },
          ]}
        />
        <div className="toolbar-spacer" />
        <button
          type="button"
          className="btn btn-primary btn-small"
          onClick={() => setImporting(true)}
          disabled={!canImport}
          title={canImport ? t('import.hint') : t('error.needResponder')}
          data-testid="import-rules"
        >
          {t('import.open')}
        </button>
      </div>
      {view === 'rules' && <RuleList key={generation} />}
      {view === 'problems' && <ProblemList key={generation} />}
      {view === 'files' && <FileList key={generation} canDelete={canImport} />}
      {importing && (
        <RuleImportDialog
          onClose={() => setImporting(false)}
          onImported={() => setGeneration((g) => g + 1)}
        />
      )}
    </div>
  );
}

const ruleKeys = ['q', 'kind', 'level', 'status', 'source', 'technique', 'disabled'] as const;

function RuleList() {
  const { t } = useI18n();
  const { applied, form, set, apply, reset } = useQueryFilter('/rules', ruleKeys, () => undefined);
  const rules = usePaged((cursor, signal) => listRules({ ...applied, cursor }, signal), ruleKeys.map((k) => applied[k]));
  const select = (k: (typeof ruleKeys)[number], all: MessageKey, values: readonly string[], label: (v: string) => string) => (
    <select name={k} aria-label={t(`rules.filter.${k}` as MessageKey)} value={form[k]} onChange={set(k)}>
      <option value="">{t(all)}</option>
      {values.map((v) => (
        <option key={v} value={v}>
          {label(v)}
        </option>
      ))}
    </select>
  );
  return (
    <>
      <form className="toolbar toolbar-wrap" onSubmit={apply} data-testid="rules-filter">
        <input name="q" type="search" className="w-search" placeholder={t('rules.filter.q')} aria-label={t('rules.filter.q')} value={form.q} onChange={set('q')} />
        <input name="technique" className="w-small mono" placeholder={t('rules.filter.technique')} aria-label={t('rules.filter.technique')} value={form.technique} onChange={set('technique')} />
        {select('kind', 'rules.allKinds', ruleKinds, (v) => t(`rule.kind.${v}` as MessageKey))}
        {select('level', 'rules.allLevels', ruleLevels, (v) => t(`level.${v}` as MessageKey))}
        {select('status', 'rules.allStatuses', ruleStatuses, (v) => t(`rule.status.${v}` as MessageKey))}
        {select('source', 'rules.allSources', ruleSources, (v) => t(`rule.source.${v}` as MessageKey))}
        {select('disabled', 'rules.enabledAndDisabled', ['false', 'true'], (v) => (v === 'true' ? t('rules.onlyDisabled') : t('rules.onlyEnabled')))}
        <button type="submit" className="btn btn-primary btn-small">
          {t('action.apply')}
        </button>
        <button type="button" className="btn btn-ghost btn-small" onClick={reset}>
          {t('action.reset')}
        </button>
        <div className="toolbar-spacer" />
        <span className="count" data-testid="rules-count">
          {t('rules.count', { n: rules.items.length })}
        </span>
        <RefreshButton list={rules} />
      </form>
      <PagedTable
        list={rules}
        empty={t('rules.empty')}
        testId="rules-table"
        moreTestId="load-more"
        columns={[t('rules.col.rule'), t('rules.col.level'), t('rules.col.severity'), t('alerts.col.techniques'), t('rules.col.kind'), t('rules.col.source'), t('rules.col.state')]}
      >
        {rules.items.map((r) => {
          const open = () => navigate(`/rules/${encodeURIComponent(r.id)}`);
          return (
            <tr key={r.id} data-rule-id={r.id} data-disabled={r.disabled} className={`clickable ${r.disabled ? 'row-off' : ''}`} tabIndex={0} onClick={open} onKeyDown={(e) => e.key === 'Enter' && open()}>
              <td>
                <Link to={`/rules/${encodeURIComponent(r.id)}`} className="strong">
                  {r.title}
                </Link>
                <div className="sub mono">{r.id}</div>
              </td>
              <td>
                <LevelBadge level={r.level} />
              </td>
              <td>
                <SeverityBadge severity={r.severity} />
                {r.setting?.severity && <span className="override-mark" title={t('rules.severityChosen')}>✎</span>}
              </td>
              <td className="small">
                <TechniqueList ids={r.techniques} links={false} />
              </td>
              <td className="small">
                <div>{ruleWord(t, 'kind', r.kind)}</div>
                {r.status && <div className="sub">{ruleWord(t, 'status', r.status)}</div>}
              </td>
              <td className="small">
                <div>{ruleWord(t, 'source', r.source)}</div>
                <div className="sub mono file-cell" title={`${r.file}:${r.line}`}>
                  {r.file}
                </div>
              </td>
              <td>
                {r.disabled ? <span className="badge rule-off">{t('rules.disabled')}</span> : <span className="badge status-online">{t('rules.enabled')}</span>}
                {!r.disabled && !r.alerts && (
                  <div className="sub" title={t('rules.noAlertsHint')}>
                    {t('rules.noAlerts')}
                  </div>
                )}
              </td>
            </tr>
          );
        })}
      </PagedTable>
    </>
  );
}

function ProblemList() {
  const { t } = useI18n();
  const problems = usePaged((cursor, signal) => ruleProblems(cursor, signal), []);
  return (
    <>
      <div className="toolbar">
        <p className="page-intro">{t('problems.intro')}</p>
        <div className="toolbar-spacer" />
        <span className="count">{t('problems.count', { n: problems.items.length })}</span>
        <RefreshButton list={problems} />
      </div>
      <PagedTable list={problems} empty={t('problems.empty')} testId="problems-table" columns={[t('problems.col.where'), t('problems.col.rule'), t('problems.col.reason'), t('rules.col.source')]}>
        {problems.items.map((p, i) => (
          <tr key={`${p.file}:${p.line ?? 0}:${i}`} data-file={p.file} data-line={p.line ?? 0}>
            <td className="mono small nowrap">{p.line ? `${p.file}:${p.line}` : p.file}</td>
            <td>
              {p.title && <div>{p.title}</div>}
              {p.rule_id && <div className="sub mono">{p.rule_id}</div>}
              {!p.title && !p.rule_id && <span className="muted">—</span>}
            </td>
            <td className="problem-reason">{p.reason}</td>
            <td className="small">{ruleWord(t, 'source', p.source)}</td>
          </tr>
        ))}
      </PagedTable>
    </>
  );
}

function FileList({ canDelete }: { canDelete: boolean }) {
  const { t } = useI18n();
  const files = usePaged((cursor, signal) => listRuleFiles(cursor, signal), []);
  const [deleting, setDeleting] = useState<RuleFile | null>(null);
  return (
    <>
      <div className="toolbar">
        <p className="page-intro">{t('ruleFiles.intro')}</p>
        <div className="toolbar-spacer" />
        <span className="count">{t('ruleFiles.count', { n: files.items.length })}</span>
        <RefreshButton list={files} />
      </div>
      <PagedTable
        list={files}
        empty={t('ruleFiles.empty')}
        testId="rule-files-table"
        columns={[t('ruleFiles.col.name'), { label: t('ruleFiles.col.rules'), className: 'num' }, { label: t('ruleFiles.col.problems'), className: 'num' }, { label: t('ruleFiles.col.size'), className: 'num' }, t('ruleFiles.col.author'), t('ruleFiles.col.updated'), null]}
      >
        {files.items.map((f) => (
          <tr key={f.name} data-file={f.name}>
            <td>
              <div className="mono strong">{f.name}</div>
              <div className="sub mono" title={f.sha256}>
                sha256 {f.sha256.slice(0, 16)}…
              </div>
            </td>
            <td className="num">{f.rules}</td>
            <td className={`num ${f.problems > 0 ? 'text-bad' : ''}`}>
              {f.problems > 0 ? <Link to="/rules/problems">{f.problems}</Link> : f.problems}
            </td>
            <td className="num small">{bytes(f.size)}</td>
            <td>{f.author || <span className="muted">—</span>}</td>
            <td className="nowrap small">
              <AbsTime value={f.updated_at} />
            </td>
            <td className="actions">
              {canDelete && <DeleteButton onClick={() => setDeleting(f)}>{t('action.delete')}</DeleteButton>}
            </td>
          </tr>
        ))}
      </PagedTable>
      {deleting && (
        <ConfirmDelete
          item={deleting}
          keyOf={(f) => f.name}
          list={files}
          remove={deleteRuleFile}
          title={t('ruleFiles.deleteTitle', { name: deleting.name })}
          confirmLabel={t('action.delete')}
          onClose={() => setDeleting(null)}
        >
          {t('ruleFiles.deleteText', { name: deleting.name, n: deleting.rules })}
        </ConfirmDelete>
      )}
    </>
  );
}
