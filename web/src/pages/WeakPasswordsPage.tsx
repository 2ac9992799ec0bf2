// Weak passwords: accounts and services found with a weak, empty, default
// or guessable password, or none at all, filtered by target, type,
// severity, host and text (kept in the URL). A password is never shown:
// only its masked hint and length. Admins also manage the word lists the
// checks try (listed, uploaded from a text file, deleted).
import { useState, type FormEvent } from 'react';
import { listAgents } from '../api/endpoints';
import { deleteWordlist, listWeakPasswords, listWordlists, putWordlist } from '../api/risk';
import type { Wordlist } from '../api/types';
import { ErrorBanner, Empty, Loading } from '../components/feedback';
import { DeleteButton } from '../components/listActions';
import { Confirm, Modal } from '../components/Modal';
import { RefreshButton } from '../components/PagedList';
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
import { navigate, useLocation, withQuery } from '../router';
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
  const { query } = useLocation();
  const words = useWeakWords();
  const sevName = useSeverityName();
  const filter = Object.fromEntries(filterKeys.map((k) => [k, query.get(k) ?? ''])) as Record<(typeof filterKeys)[number], string>;
  const [text, setText] = useState(filter.q);
  const agents = useLoad((signal) => listAgents({}, signal), []);
  const list = usePaged((cursor, signal) => listWeakPasswords({ ...filter, cursor, limit: weakPageSize }, signal), [filter.target, filter.type, filter.severity, filter.agent_id, filter.q]);
  const set = (k: (typeof filterKeys)[number], v: string) => navigate(withQuery('/weak-passwords', { ...filter, [k]: v }), true);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (text.trim() === filter.q) list.reload();
    else set('q', text.trim());
  };
  const any = filterKeys.some((k) => filter[k] !== '');
  const select = (k: 'target' | 'type' | 'severity', all: MessageKey, options: readonly string[], name: (s: string) => string) => (
    <select name={k} aria-label={t(`weak.filter.${k}` as MessageKey)} value={filter[k]} onChange={(e) => set(k, e.target.value)}>
      <option value="">{t(all)}</option>
      {filter[k] && !options.includes(filter[k]) && <option value={filter[k]}>{filter[k]}</option>}
      {options.map((o) => (
        <option key={o} value={o}>
          {name(o)}
        </option>
      ))}
    </select>
  );

  return (
    <>
      <p className="page-intro risk-intro">{t('weak.intro')}</p>
      <form className="toolbar toolbar-wrap" onSubmit={submit} role="search" data-testid="weak-filter">
        {select('target', 'weak.filter.allTargets', weakTargets, words.target)}
        {select('type', 'weak.filter.allTypes', weakTypes, words.type)}
        {select('severity', 'alerts.allSeverities', weakSeverities, sevName)}
        <select name="agent_id" aria-label={t('risk.filter.host')} value={filter.agent_id} onChange={(e) => set('agent_id', e.target.value)}>
          <option value="">{t('risk.filter.allHosts')}</option>
          {filter.agent_id && !(agents.data?.items ?? []).some((a) => a.id === filter.agent_id) && <option value={filter.agent_id}>{filter.agent_id}</option>}
          {(agents.data?.items ?? []).map((a) => (
            <option key={a.id} value={a.id}>
              {a.hostname || a.id}
            </option>
          ))}
        </select>
        <input name="q" type="search" className="w-search" placeholder={t('weak.filter.q')} aria-label={t('weak.filter.q')} value={text} onChange={(e) => setText(e.target.value)} autoComplete="off" />
        <button type="submit" className="btn btn-primary btn-small">
          {t('action.apply')}
        </button>
        {any && (
          <button
            type="button"
            className="btn btn-ghost btn-small"
            onClick={() => {
              setText('');
              navigate('/weak-passwords', true);
            }}
          >
            {t('action.reset')}
          </button>
        )}
        <div className="toolbar-spacer" />
        {!list.initial && (
          <span className="count" data-testid="weak-count">
            {list.nextCursor ? t('weak.countMore', { n: list.items.length }) : t('weak.count', { n: list.items.length })}
          </span>
        )}
        <RefreshButton list={list} />
      </form>
      <PagedFrame list={list} empty={any ? t('weak.noMatch') : t('weak.none')} moreTestId="more-weak">
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
      <div className="toolbar">
        <p className="page-intro">{t('wordlists.intro', { words: count(wordlistLimits.words), size: bytes(wordlistLimits.bytes) })}</p>
        <div className="toolbar-spacer" />
        <span className="count" data-testid="wordlist-total">
          {t('wordlists.total', { n: count(total), max: count(wordlistLimits.words) })}
        </span>
        <button type="button" className="btn btn-small" onClick={lists.refresh} disabled={lists.loading}>
          {t('action.refresh')}
        </button>
        <button type="button" className="btn btn-primary btn-small" onClick={() => setUploading(true)} data-testid="upload-wordlist">
          {t('wordlists.upload')}
        </button>
      </div>
      <ErrorBanner error={lists.error} onRetry={lists.refresh} />
      {lists.data === undefined && !lists.error ? (
        <Loading />
      ) : items.length === 0 ? (
        !lists.error && <Empty>{t('wordlists.none')}</Empty>
      ) : (
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
      )}
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
        <Confirm
          title={t('wordlists.deleteTitle', { name: deleting.name })}
          confirmLabel={t('action.delete')}
          danger
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await deleteWordlist(deleting.name);
            lists.refresh();
          }}
        >
          {t('wordlists.deleteText', { name: deleting.name, n: count(deleting.count) })}
        </Confirm>
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
