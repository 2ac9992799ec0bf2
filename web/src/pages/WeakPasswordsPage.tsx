// Weak passwords: accounts and services found with a weak, empty, default
// or guessable password, or none at all, filtered by target, type,
// severity, host and text (kept in the URL). A password is never shown:
// only its masked hint and length. Admins also manage the word lists the
// checks try (listed, uploaded from a text file, deleted).
import { useState } from 'react';
import { listAgents } from '../api/endpoints';
import { deleteWordlist, listWeakPasswords, listWordlists, putWordlist } from '../api/risk';
import type { Wordlist } from '../api/types';
import { ErrorBanner, Loaded } from '../components/feedback';
import { FilterForm, FilterSelect, hostOptions, optionsOf, useLinkFilter, useSearchText } from '../components/FilterBar';
import { ConfirmDelete, DeleteButton } from '../components/listActions';
import { Modal } from '../components/Modal';
import { ListToolbar, reloadable } from '../components/PagedList';
import { RequireRole } from '../components/RequireRole';
import { Tabs } from '../components/Tabs';
import { RelTime } from '../components/time';
import { useI18n, type MessageKey } from '../i18n';
import { bytes, count } from '../lib/format';
import { useLoad } from '../lib/hooks';
import { hasRole } from '../lib/roles';
import { checkWordlist, weakSeverities, weakTargets, weakTypes, wordlistLimits, type WordlistCheck } from '../lib/risk';
import { usePaged } from '../lib/usePaged';
import { checkName } from '../lib/validate';
import { navigate } from '../router';
import { useSession } from '../session';
import { PagedFrame } from './AssetViews';
import { useSeverityName, useWeakWords, WeakPasswordTable } from './RiskViews';

/** Weak passwords per page. */
export const weakPageSize = 100;

const filterKeys = ['target', 'type', 'severity', 'agent_id', 'q'] as const;

export function WeakPasswordsPage({ view }: { view: 'findings' | 'wordlists' }) {
  const { t } = useI18n();
  const session = useSession();
  const admin = hasRole(session?.role, 'admin');
  return (
    <div className="page">
      {(admin || view === 'wordlists') && (
        <Tabs
          label={t('weak.views')}
          testId="weak-tabs"
          value={view}
          onChange={(v) => navigate(v === 'wordlists' ? '/weak-passwords/wordlists' : '/weak-passwords')}
          tabs={[
            { key: 'findings', label: t('weak.tab.findings') },
            { key: 'wordlists', label: t('weak.tab.wordlists') },
          ]}
        />
      )}
      <div className={admin || view === 'wordlists' ? 'inv-page-body' : ''}>
        {view === 'wordlists' ? (
          <RequireRole need="admin">
            <Wordlists />
          </RequireRole>
        ) : (
          <WeakFindings />
        )}
      </div>
    </div>
  );
}

function WeakFindings() {
  const { t } = useI18n();
  const words = useWeakWords();
  const sevName = useSeverityName();
  const { filter, set, filtered } = useLinkFilter('/weak-passwords', filterKeys);
  const agents = useLoad((signal) => listAgents({}, signal), []);
  const list = usePaged((cursor, signal) => listWeakPasswords({ ...filter, cursor, limit: weakPageSize }, signal), [filter.target, filter.type, filter.severity, filter.agent_id, filter.q]);
  const search = useSearchText(filter.q, (q) => set({ q }), list.reload);
  const select = (k: 'target' | 'type' | 'severity', all: MessageKey, options: readonly string[], name: (s: string) => string) => (
    <FilterSelect name={k} label={t(`weak.filter.${k}` as MessageKey)} all={t(all)} value={filter[k]} onChange={(v) => set({ [k]: v })} options={optionsOf(options, name)} />
  );

  return (
    <>
      <p className="page-intro risk-intro">{t('weak.intro')}</p>
      <FilterForm testId="weak-filter" search={search} filtered={filtered} path="/weak-passwords" list={list} count={{ testId: 'weak-count', all: 'weak.count', more: 'weak.countMore' }}>
        {select('target', 'weak.filter.allTargets', weakTargets, words.target)}
        {select('type', 'weak.filter.allTypes', weakTypes, words.type)}
        {select('severity', 'alerts.allSeverities', weakSeverities, sevName)}
        <FilterSelect name="agent_id" label={t('risk.filter.host')} all={t('risk.filter.allHosts')} value={filter.agent_id} onChange={(agent_id) => set({ agent_id })} options={hostOptions(agents.data?.items)} />
        <input name="q" type="search" className="w-search" placeholder={t('weak.filter.q')} aria-label={t('weak.filter.q')} {...search.input} />
      </FilterForm>
      <PagedFrame list={list} empty={filtered ? t('weak.noMatch') : t('weak.none')} moreTestId="more-weak">
        <div className="table-wrap">
          <WeakPasswordTable items={list.items} withHost testId="weak-table" />
        </div>
      </PagedFrame>
    </>
  );
}

/** Wordlists lists the uploaded word lists, uploads one from a text file and deletes them (admin). */
function Wordlists() {
  const { t } = useI18n();
  const lists = useLoad((signal) => listWordlists(signal), []);
  const [uploading, setUploading] = useState(false);
  const [deleting, setDeleting] = useState<Wordlist | null>(null);
  const items = lists.data?.items ?? [];
  const total = items.reduce((n, l) => n + l.count, 0);

  return (
    <>
      <ListToolbar
        intro={t('wordlists.intro', { words: count(wordlistLimits.words), size: bytes(wordlistLimits.bytes) })}
        count={t('wordlists.total', { n: count(total), max: count(wordlistLimits.words) })}
        countTestId="wordlist-total"
        list={reloadable(lists)}
        newLabel={t('wordlists.upload')}
        onNew={() => setUploading(true)}
        newTestId="upload-wordlist"
      />
      <Loaded load={lists} count={items.length} empty={t('wordlists.none')}>
        <div className="table-wrap">
          <table className="table" data-testid="wordlists-table">
            <thead>
              <tr>
                <th>{t('wordlists.col.name')}</th>
                <th className="num">{t('wordlists.col.words')}</th>
                <th>{t('wordlists.col.sha256')}</th>
                <th>{t('wordlists.col.author')}</th>
                <th>{t('wordlists.col.updated')}</th>
                <th className="c-actions" />
              </tr>
            </thead>
            <tbody>
              {items.map((l) => (
                <tr key={l.name} data-name={l.name}>
                  <td className="strong mono">{l.name}</td>
                  <td className="num" data-testid="wordlist-count">
                    {count(l.count)}
                  </td>
                  <td className="mono small muted" title={l.sha256}>
                    {l.sha256.slice(0, 12)}
                  </td>
                  <td>{l.author || <span className="muted">—</span>}</td>
                  <td className="nowrap">
                    <RelTime value={l.updated_at} />
                  </td>
                  <td className="c-actions">
                    <DeleteButton onClick={() => setDeleting(l)}>{t('action.delete')}</DeleteButton>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Loaded>
      {uploading && (
        <WordlistDialog
          names={items.map((l) => l.name)}
          others={(name) => items.filter((l) => l.name !== name).reduce((n, l) => n + l.count, 0)}
          onClose={() => setUploading(false)}
          onSaved={() => {
            setUploading(false);
            lists.refresh();
          }}
        />
      )}
      {deleting && (
        <ConfirmDelete
          item={deleting}
          keyOf={(l) => l.name}
          remove={deleteWordlist}
          onDeleted={lists.refresh}
          title={t('wordlists.deleteTitle', { name: deleting.name })}
          confirmLabel={t('action.delete')}
          onClose={() => setDeleting(null)}
        >
          {t('wordlists.deleteText', { name: deleting.name, n: count(deleting.count) })}
        </ConfirmDelete>
      )}
    </>
  );
}

const problemKeys: Record<Exclude<WordlistCheck['problem'], ''>, MessageKey> = {
  long: 'wordlists.problem.long',
  unprintable: 'wordlists.problem.unprintable',
  empty: 'wordlists.problem.empty',
  tooMany: 'wordlists.problem.tooMany',
  tooBig: 'wordlists.problem.tooBig',
};

/** WordlistDialog reads a text file, checks it as the center will and uploads it under a name. */
function WordlistDialog({ names, others, onClose, onSaved }: { names: string[]; others: (name: string) => number; onClose: () => void; onSaved: () => void }) {
  const { t } = useI18n();
  const [name, setName] = useState('');
  const [file, setFile] = useState<{ name: string; text: string; size: number } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const check = file ? checkWordlist(file.text, file.size) : null;
  const nameOk = checkName(name);
  const overTotal = check && !check.problem ? others(name) + check.words > wordlistLimits.words : false;
  const ready = nameOk && check !== null && check.problem === '' && !overTotal && !busy;

  const pick = async (f: File | undefined) => {
    setError(null);
    if (!f) {
      setFile(null);
      return;
    }
    // A file far too large is not read at all.
    const text = f.size > wordlistLimits.bytes ? '' : await f.text();
    setFile({ name: f.name, text, size: f.size });
    if (!name) {
      const stem = f.name.replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9._@-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 64);
      if (checkName(stem)) setName(stem);
    }
  };
  const save = async () => {
    if (!file || !ready) return;
    setBusy(true);
    setError(null);
    try {
      await putWordlist(name, file.text);
      onSaved();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Modal
      title={t('wordlists.uploadTitle')}
      onClose={busy ? () => undefined : onClose}
      testId="wordlist-dialog"
      footer={
        <>
          <button type="button" className="btn" onClick={onClose} disabled={busy}>
            {t('action.cancel')}
          </button>
          <button type="button" className="btn btn-primary" onClick={() => void save()} disabled={!ready} data-testid="wordlist-save">
            {busy ? t('common.working') : names.includes(name) ? t('wordlists.replace') : t('wordlists.uploadButton')}
          </button>
        </>
      }
    >
      <p className="hint">{t('wordlists.uploadIntro', { size: bytes(wordlistLimits.bytes), word: wordlistLimits.wordBytes })}</p>
      <ErrorBanner error={error} />
      <div className="form">
        <label>
          <span>{t('wordlists.file')}</span>
          <input name="file" type="file" accept=".txt,.lst,.dic,text/plain" data-testid="wordlist-file" onChange={(e) => void pick(e.target.files?.[0])} />
        </label>
        <label>
          <span>{t('wordlists.col.name')}</span>
          <input name="name" className={`mono ${name && !nameOk ? 'invalid' : ''}`} value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />
          <small className={name && !nameOk ? 'field-error' : 'hint'}>{t('form.nameHint')}</small>
        </label>
      </div>
      {check && (
        <div className={check.problem || overTotal ? 'warn-banner' : 'info-banner'} data-testid="wordlist-check">
          {check.problem
            ? t(problemKeys[check.problem], { line: check.badLine, n: count(check.words), max: count(wordlistLimits.words), size: bytes(wordlistLimits.bytes) })
            : overTotal
              ? t('wordlists.problem.overTotal', { n: count(others(name) + check.words), max: count(wordlistLimits.words) })
              : t('wordlists.checked', { n: count(check.words), skipped: count(check.skipped) })}
        </div>
      )}
      {names.includes(name) && <p className="hint">{t('wordlists.replaceHint', { name })}</p>}
    </Modal>
  );
}
