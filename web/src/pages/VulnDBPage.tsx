// The vulnerability database: its advisories and index, the last fleet
// match, a warning when it is empty or stale, its sources (configured for
// sync, imported, or both: records, last sync, errors), an import of a file
// (responder) with the upload's progress and then the job's, polled until
// it ends, "sync now" (responder), the recent jobs, and a search of the
// advisories whose records open as JSON.
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { getAdvisory, importVulnDB, listAdvisories, syncVulnDB, vulnDBJob, vulnDBStatus } from '../api/risk';
import { vulnSeverities, type Advisory, type VulnDBStatus, type VulnJob } from '../api/types';
import { Drawer, Section } from '../components/Drawer';
import { ExpandRow, useOpenRows } from '../components/ExpandRow';
import { Empty, ErrorBanner, Loading } from '../components/feedback';
import { Modal } from '../components/Modal';
import { RelTime } from '../components/time';
import { UploadStatus, useUpload } from '../components/upload';
import { useI18n } from '../i18n';
import { bytes, count } from '../lib/format';
import { useLoad } from '../lib/hooks';
import { useJobWatch } from '../lib/jobWatch';
import { checkSourceName, dateOnly, freshness, runningJob, sourceRows, suggestSource } from '../lib/risk';
import { usePaged } from '../lib/usePaged';
import { allows, useSession } from '../session';
import { PagedFrame } from './AssetViews';
import { AdvisoryView } from './VulnPage';
import { FreshnessBanner, JobProgress, jobSource, JobStateBadge, useJobWords, useSeverityName, VulnSeverityBadge } from './RiskViews';

/** How often the page reads the database's state while a job runs. */
const statusPollMs = 2000;

export function VulnDBPage() {
  const { t } = useI18n();
  const session = useSession();
  const responder = allows(session, 'responder');
  const status = useLoad((signal) => vulnDBStatus(signal), []);
  const [importing, setImporting] = useState(false);
  const [watched, setWatched] = useState<VulnJob | null>(null);
  const [syncError, setSyncError] = useState<unknown>(null);
  const [syncing, setSyncing] = useState(false);
  const s = status.data;
  const running = runningJob(s?.jobs) ?? (watched?.state === 'running' ? watched : null);
  const configured = (s?.sources ?? []).filter((src) => src.configured && !src.disabled).length;

  const sync = async () => {
    setSyncing(true);
    setSyncError(null);
    try {
      setWatched(await syncVulnDB());
      status.refresh();
    } catch (err) {
      setSyncError(err);
    } finally {
      setSyncing(false);
    }
  };

  return (
    <div className="page" data-testid="vulndb-page">
      <ErrorBanner error={status.error} onRetry={status.refresh} />
      {s === undefined && !status.error && <Loading />}
      {s && <FreshnessBanner status={s} />}
      {s && <DBStats s={s} />}
      <div className="toolbar">
        <p className="page-intro">{t('vulndb.intro')}</p>
        <div className="toolbar-spacer" />
        <button type="button" className="btn btn-small" onClick={status.refresh} disabled={status.loading}>
          {t('action.refresh')}
        </button>
        <button
          type="button"
          className="btn btn-small"
          onClick={() => void sync()}
          disabled={!responder || syncing || !!running || configured === 0}
          title={!responder ? t('error.needResponder') : configured === 0 && s ? t('vulndb.noSources') : running ? t('vulndb.busy') : ''}
          data-testid="vulndb-sync"
        >
          {syncing ? t('common.working') : t('vulndb.sync')}
        </button>
        <button
          type="button"
          className="btn btn-primary btn-small"
          onClick={() => setImporting(true)}
          disabled={!responder}
          title={responder ? '' : t('error.needResponder')}
          data-testid="vulndb-import"
        >
          {t('vulndb.import')}
        </button>
      </div>
      <ErrorBanner error={syncError} />
      {running && !importing && (
        <WatchedJob
          key={running.id}
          first={running}
          onEnd={(j) => {
            setWatched(j);
            status.refresh();
          }}
        />
      )}
      {s && <Sources s={s} />}
      {s && <Jobs jobs={(s.jobs ?? []).filter((j) => j.id !== running?.id)} />}
      <AdvisorySearch sources={Object.keys(s?.advisories ?? {}).sort()} />
      {importing && (
        <ImportDialog
          sources={sourceRows(s ?? emptyStatus).map((r) => r.name)}
          onClose={() => setImporting(false)}
          onStarted={(job) => {
            setWatched(job);
            status.refresh();
          }}
          onEnded={(j) => {
            setWatched(j);
            status.refresh();
          }}
        />
      )}
      {running && <StatusPoll refresh={status.refresh} />}
    </div>
  );
}

const emptyStatus: VulnDBStatus = { advisories: {}, known_exploited: 0, sources: [], service: { hosts_matched: 0, host_errors: 0 }, jobs: [] };

/** StatusPoll reads the database's state again now and then while mounted (while a job runs). */
function StatusPoll({ refresh }: { refresh: () => void }) {
  useEffect(() => {
    const id = setInterval(refresh, statusPollMs);
    return () => clearInterval(id);
  }, [refresh]);
  return null;
}

/** DBStats shows the database's figures. */
function DBStats({ s }: { s: VulnDBStatus }) {
  const { t } = useI18n();
  const f = freshness(s, Date.now());
  const idx = s.service?.index ?? {};
  const stat = (label: string, value: ReactNode, testId?: string, warn?: boolean) => (
    <div className={`stat ${warn ? 'stat-warn' : ''}`} data-testid={testId}>
      <div className="stat-label">{label}</div>
      <div className="stat-value">{value}</div>
    </div>
  );
  return (
    <div className="panel panel-body">
      <div className="stats" data-testid="vulndb-stats">
        {stat(t('vulndb.advisories'), count(f.advisories), 'stat-advisories', f.empty)}
        {stat(t('vulndb.kevEntries'), count(s.known_exploited ?? 0), 'stat-kev')}
        {stat(
          t('vulndb.indexed'),
          <>
            {count(idx.advisories ?? 0)}
            <div className="sub">{t('vulndb.indexedPackages', { p: count(idx.packages ?? 0) })}</div>
          </>,
          'stat-index',
        )}
        {stat(t('vulndb.lastSync'), f.lastSync ? <RelTime value={f.lastSync} /> : t('time.never'), 'stat-last-sync', f.stale)}
        {stat(
          t('vulndb.lastMatch'),
          f.lastMatch ? (
            <>
              <RelTime value={f.lastMatch} />
              {s.service.last_fleet_match_took && <span className="sub"> · {s.service.last_fleet_match_took}</span>}
            </>
          ) : (
            t('time.never')
          ),
          'stat-last-match',
        )}
        {stat(t('vulndb.hostsMatched'), count(s.service?.hosts_matched ?? 0), 'stat-hosts-matched')}
        {stat(t('vulndb.hostErrors'), count(s.service?.host_errors ?? 0), 'stat-host-errors', (s.service?.host_errors ?? 0) > 0)}
        {stat(t('vulndb.indexBuilt'), s.service?.index_built_at ? <RelTime value={s.service.index_built_at} /> : t('time.never'), 'stat-index-built')}
      </div>
      {s.service?.last_error && (
        <div className="warn-banner top-gap" role="alert">
          {t('vulndb.lastError', { error: s.service.last_error })}
        </div>
      )}
    </div>
  );
}

/** Sources lists the feeds of the database. */
function Sources({ s }: { s: VulnDBStatus }) {
  const { t } = useI18n();
  const rows = sourceRows(s);
  return (
    <div className="panel">
      <Section title={t('vulndb.sources')}>
        {rows.length === 0 ? (
          <Empty>{t('vulndb.noSourcesYet')}</Empty>
        ) : (
          <div className="table-scroll">
            <table className="table table-compact" data-testid="vulndb-sources">
              <thead>
                <tr>
                  <th>{t('vulndb.col.source')}</th>
                  <th>{t('vulndb.col.how')}</th>
                  <th className="num">{t('vulndb.col.advisories')}</th>
                  <th className="num">{t('vulndb.col.records')}</th>
                  <th className="num">{t('vulndb.col.rejected')}</th>
                  <th>{t('vulndb.col.synced')}</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.name} data-source={r.name} className={r.disabled ? 'row-off' : ''}>
                    <td>
                      <div className="strong mono">{r.name}</div>
                      {r.url && (
                        <div className="sub mono source-url" title={r.url}>
                          {r.url}
                        </div>
                      )}
                      {r.error && (
                        <div className="text-bad small source-error" data-testid="source-error">
                          {r.error}
                        </div>
                      )}
                    </td>
                    <td className="nowrap">
                      {r.configured && <span className="badge status-enrolled">{t('vulndb.configured')}</span>} {r.imported && <span className="badge">{t('vulndb.imported')}</span>}{' '}
                      {r.disabled && <span className="badge status-stopped">{t('vulndb.disabled')}</span>}
                    </td>
                    <td className="num">{count(r.advisories)}</td>
                    <td className="num">{count(r.records)}</td>
                    <td className="num">{r.rejected > 0 ? <span className="text-warn">{count(r.rejected)}</span> : <span className="muted">0</span>}</td>
                    <td className="nowrap">
                      <RelTime value={r.syncedAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
    </div>
  );
}

/** WatchedJob follows a running job until it ends. */
function WatchedJob({ first, onEnd }: { first: VulnJob; onEnd: (j: VulnJob) => void }) {
  const { t } = useI18n();
  const { job, error } = useJobWatch(first.id, vulnDBJob, { first, onEnd });
  return (
    <div className="panel panel-body" data-testid="running-job">
      <div className="strong section-gap">{t('vulndb.runningJob')}</div>
      <ErrorBanner error={error} />
      {job && <JobProgress job={job} testId="job-progress" />}
    </div>
  );
}

/** Jobs lists the recent jobs; a row opens to its counts, problems and error. */
function Jobs({ jobs }: { jobs: VulnJob[] }) {
  const { t } = useI18n();
  const words = useJobWords();
  const rows = useOpenRows<string>();
  return (
    <div className="panel">
      <Section title={t('vulndb.jobs')}>
        {jobs.length === 0 ? (
          <Empty>{t('vulndb.noJobs')}</Empty>
        ) : (
          <div className="table-scroll">
            <table className="table table-compact" data-testid="vulndb-jobs">
              <thead>
                <tr>
                  <th className="c-toggle" />
                  <th>{t('vulndb.col.state')}</th>
                  <th>{t('vulndb.col.job')}</th>
                  <th>{t('vulndb.col.result')}</th>
                  <th>{t('vulndb.col.started')}</th>
                  <th>{t('vulndb.col.author')}</th>
                </tr>
              </thead>
              <tbody>
                {jobs.map((j) => (
                  <ExpandRow key={j.id} open={rows.isOpen(j.id)} onToggle={() => rows.toggle(j.id)} span={6} data={{ 'data-job-id': j.id, 'data-state': j.state }} detail={() => <JobProgress job={j} />}>
                    <td className="nowrap">
                      <JobStateBadge state={j.state} />
                    </td>
                    <td>
                      {words.kind(j.kind)}
                      {jobSource(j) && <span className="mono"> {jobSource(j)}</span>}
                      {j.state === 'running' && j.phase && <span className="sub"> · {words.phase(j.phase)}</span>}
                    </td>
                    <td className="small">
                      {j.error ? (
                        <span className="text-bad">{j.error}</span>
                      ) : (
                        t('vulndb.jobResult', { added: count(j.added), updated: count(j.updated), unchanged: count(j.unchanged), rejected: count(j.rejected) })
                      )}
                    </td>
                    <td className="nowrap">
                      <RelTime value={j.started_at} />
                    </td>
                    <td>{j.author || <span className="muted">{t('vulndb.schedule')}</span>}</td>
                  </ExpandRow>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
    </div>
  );
}

/** The kinds of files an import takes. */
const acceptImport = '.zip,.json,application/zip,application/json';

/** ImportDialog sends a file to import, showing how much was sent, then follows the job it started until it ends. */
function ImportDialog({ sources, onClose, onStarted, onEnded }: { sources: string[]; onClose: () => void; onStarted: (j: VulnJob) => void; onEnded: (j: VulnJob) => void }) {
  const { t } = useI18n();
  const [file, setFile] = useState<File | null>(null);
  const [source, setSource] = useState('');
  const upload = useUpload();
  const [started, setStarted] = useState<VulnJob | null>(null);
  const { job, error: watchError } = useJobWatch(started?.id ?? null, vulnDBJob, { first: started, onEnd: onEnded });
  const sourceOk = checkSourceName(source);
  const { sent, uploading } = upload;
  const ready = !!file && sourceOk && !uploading && !started;

  const send = async () => {
    if (!file || !ready) return;
    await upload.send(
      file,
      (onProgress, signal) => importVulnDB(file, source, onProgress, signal),
      (j) => {
        setStarted(j);
        onStarted(j);
      },
    );
  };
  const close = () => {
    upload.abort();
    onClose();
  };
  const finished = job && job.state !== 'running';

  return (
    <Modal
      title={t('vulndb.importTitle')}
      onClose={close}
      testId="vulndb-import-dialog"
      wide
      footer={
        <>
          <button type="button" className="btn" onClick={close} data-testid="import-close">
            {finished ? t('action.done') : uploading ? t('action.cancel') : started ? t('action.close') : t('action.cancel')}
          </button>
          {!started && (
            <button type="button" className="btn btn-primary" onClick={() => void send()} disabled={!ready} data-testid="import-send">
              {uploading ? t('common.working') : t('vulndb.importSend')}
            </button>
          )}
        </>
      }
    >
      <p className="hint">{t('vulndb.importIntro')}</p>
      <ErrorBanner error={upload.error} />
      <div className="form">
        <label>
          <span>{t('vulndb.importFile')}</span>
          <input
            name="file"
            type="file"
            accept={acceptImport}
            disabled={uploading || !!started}
            data-testid="import-file"
            onChange={(e) => {
              const f = e.target.files?.[0] ?? null;
              setFile(f);
              if (f && !source) setSource(suggestSource(f.name));
            }}
          />
          {file && <small className="hint">{t('vulndb.importSize', { size: bytes(file.size) })}</small>}
        </label>
        <label>
          <span>{t('vulndb.importSource')}</span>
          <input
            name="source"
            list="vulndb-source-names"
            className={`mono ${source && !sourceOk ? 'invalid' : ''}`}
            value={source}
            disabled={uploading || !!started}
            onChange={(e) => setSource(e.target.value)}
            placeholder="Debian"
            autoComplete="off"
          />
          <datalist id="vulndb-source-names">
            {[...new Set([...sources, 'kev'])].map((n) => (
              <option key={n} value={n} />
            ))}
          </datalist>
          <small className={source && !sourceOk ? 'field-error' : 'hint'}>{t('vulndb.importSourceHint')}</small>
        </label>
      </div>
      {sent && (
        <UploadStatus
          sent={sent}
          testId="upload-progress"
          title={started || sent.loaded >= sent.total ? t('vulndb.uploaded') : t('vulndb.uploading')}
          bytesKey="vulndb.uploadBytes"
          bytesTestId="upload-bytes"
          barLabel={t('vulndb.uploading')}
          barTestId="upload-bar"
        />
      )}
      <ErrorBanner error={watchError} />
      {job && <JobProgress job={job} testId="import-job" />}
      {job && job.state === 'running' && <p className="hint">{t('vulndb.importBackground')}</p>}
      {finished && job.state === 'done' && (
        <div className="ok-banner" data-testid="import-done">
          {t('vulndb.importDone', { added: count(job.added), updated: count(job.updated), unchanged: count(job.unchanged), rejected: count(job.rejected) })}
        </div>
      )}
    </Modal>
  );
}

/** AdvisorySearch finds advisories by id or alias, text, ecosystem, source and severity; a row opens its record. */
function AdvisorySearch({ sources }: { sources: string[] }) {
  const { t } = useI18n();
  const sevName = useSeverityName();
  const empty = { id: '', q: '', ecosystem: '', source: '', severity: '' };
  const [form, setForm] = useState(empty);
  const [applied, setApplied] = useState(empty);
  const [open, setOpen] = useState<string | null>(null);
  const list = usePaged((cursor, signal) => listAdvisories({ ...applied, cursor }, signal), [JSON.stringify(applied)]);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const next = Object.fromEntries(Object.entries(form).map(([k, v]) => [k, v.trim()])) as typeof form;
    if (JSON.stringify(next) === JSON.stringify(applied)) list.reload();
    else setApplied(next);
  };
  return (
    <div className="panel">
      <Section title={t('vulndb.search')}>
        <form className="toolbar toolbar-wrap" onSubmit={submit} role="search" data-testid="advisory-search">
          <input name="id" className="mono w-field" placeholder={t('vulndb.searchId')} aria-label={t('vulndb.searchId')} value={form.id} onChange={set('id')} autoComplete="off" />
          <input name="q" type="search" className="w-search" placeholder={t('vulndb.searchText')} aria-label={t('vulndb.searchText')} value={form.q} onChange={set('q')} autoComplete="off" />
          <input name="ecosystem" className="w-field" placeholder={t('risk.filter.ecosystem')} aria-label={t('risk.filter.ecosystem')} value={form.ecosystem} onChange={set('ecosystem')} autoComplete="off" />
          <select name="source" aria-label={t('vulndb.col.source')} value={form.source} onChange={set('source')}>
            <option value="">{t('vulndb.allSources')}</option>
            {sources.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
          <select name="severity" aria-label={t('risk.col.severity')} value={form.severity} onChange={set('severity')}>
            <option value="">{t('alerts.allSeverities')}</option>
            {vulnSeverities.map((v) => (
              <option key={v} value={v}>
                {sevName(v)}
              </option>
            ))}
          </select>
          <button type="submit" className="btn btn-primary btn-small" data-testid="advisory-search-submit">
            {t('inv.searchButton')}
          </button>
        </form>
        <PagedFrame list={list} empty={t('vulndb.noAdvisories')} moreTestId="more-advisories">
          <div className="table-scroll">
            <table className="table table-compact" data-testid="advisories-table">
              <thead>
                <tr>
                  <th>{t('vulndb.col.advisory')}</th>
                  <th>{t('risk.col.severity')}</th>
                  <th>{t('risk.aliases')}</th>
                  <th>{t('risk.col.packages')}</th>
                  <th>{t('vulndb.col.source')}</th>
                  <th>{t('vuln.modified')}</th>
                </tr>
              </thead>
              <tbody>
                {list.items.map((a) => (
                  <tr key={a.id} data-advisory-id={a.id} className="clickable" tabIndex={0} onClick={() => setOpen(a.id)} onKeyDown={(e) => e.key === 'Enter' && setOpen(a.id)}>
                    <td>
                      <div className="strong mono">{a.id}</div>
                      {a.summary && (
                        <div className="sub summary" title={a.summary}>
                          {a.summary}
                        </div>
                      )}
                    </td>
                    <td className="nowrap">
                      <VulnSeverityBadge severity={a.severity} score={a.score} />
                    </td>
                    <td className="small mono">
                      {(a.aliases ?? []).length === 0 ? (
                        <span className="muted">—</span>
                      ) : (
                        (a.aliases ?? []).map((x) => (
                          <div key={x} className="nowrap">
                            {x}
                          </div>
                        ))
                      )}
                    </td>
                    <td className="small">
                      {(a.packages ?? []).join(', ')}
                      <div className="sub">{(a.ecosystems ?? []).join(', ')}</div>
                    </td>
                    <td className="mono small">{a.source}</td>
                    <td className="nowrap small" title={a.modified}>
                      {dateOnly(a.modified)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </PagedFrame>
      </Section>
      {open && <AdvisoryDrawer id={open} onClose={() => setOpen(null)} />}
    </div>
  );
}

/** AdvisoryDrawer reads one advisory with its record. */
function AdvisoryDrawer({ id, onClose }: { id: string; onClose: () => void }) {
  const a = useLoad((signal) => getAdvisory(id, signal), [id]);
  return (
    <Drawer title={<span className="mono">{id}</span>} onClose={onClose} testId="advisory-drawer" wide>
      <ErrorBanner error={a.error} onRetry={a.refresh} />
      {!a.data && !a.error && <Loading />}
      {a.data && <AdvisoryOpen a={a.data} />}
    </Drawer>
  );
}

/** AdvisoryOpen shows an advisory with its record opened as JSON. */
function AdvisoryOpen({ a }: { a: Advisory }) {
  return (
    <div className="advisory-open" data-testid="advisory-open">
      <AdvisoryView a={a} recordOpen />
    </div>
  );
}
