// Threat intelligence: the indicators of compromise the center matches
// events against, filtered by type, source, text and expiry (kept in the
// URL) and read 100 at a time, one opening in a drawer; a value checked
// against them; indicators added by hand or imported from a feed, and
// deleted, by analysts; and the sources with their counts, a source
// deleted with all its indicators.
import { useState, type FormEvent, type ReactNode } from 'react';
import { checkIntel, deleteIndicator, deleteIntelSource, getIndicator, listIndicators, listIntelSources } from '../api/intel';
import type { Indicator, IntelCheck, IntelSource, Severity } from '../api/types';
import { indicatorTypes } from '../api/types';
import { SeverityBadge } from '../components/badges';
import { Drawer, Facts, Section } from '../components/Drawer';
import { Empty, ErrorBanner, Loading, useErrorText } from '../components/feedback';
import { FilterForm, FilterSelect, optionsOf, useSearchText } from '../components/FilterBar';
import { ConfirmDelete, DeleteButton } from '../components/listActions';
import { ListToolbar, PagedTable, reloadable } from '../components/PagedList';
import { Tabs } from '../components/Tabs';
import { TechniqueList } from '../components/Techniques';
import { AbsTime, RelTime, Until } from '../components/time';
import { useI18n, type MessageKey } from '../i18n';
import { count } from '../lib/format';
import { useLoad, useNow } from '../lib/hooks';
import { filterValues, indicatorQuery, isExpired, readIndicatorFilter, type IndicatorFilter } from '../lib/intel';
import { formatTime } from '../lib/time';
import { usePaged } from '../lib/usePaged';
import { Link, navigate, useLocation, withQuery } from '../router';
import { allows, useSession } from '../session';
import { AddIndicatorsDialog, ImportIntelDialog } from './IntelDialogs';
import { useTypeName } from './intelWords';

export function IntelPage({ view }: { view: 'indicators' | 'sources' }) {
  const { t } = useI18n();
  return (
    <div className="page">
      <Tabs
        label={t('intel.views')}
        testId="intel-tabs"
        value={view}
        onChange={(v) => navigate(v === 'sources' ? '/intel/sources' : '/intel')}
        tabs={[
          { key: 'indicators', label: t('intel.tab.indicators') },
          { key: 'sources', label: t('intel.tab.sources') },
        ]}
      />
      <div className="inv-page-body">{view === 'sources' ? <SourcesView /> : <IndicatorsView />}</div>
    </div>
  );
}

/** The buttons an analyst uses to add or import indicators; disabled, with the role they need, for others. */
export function WriteButtons({ canEdit, onAdd, onImport }: { canEdit: boolean; onAdd: () => void; onImport: () => void }) {
  const { t } = useI18n();
  const title = canEdit ? undefined : t('error.needAnalyst');
  return (
    <>
      <button type="button" className="btn btn-small" onClick={onImport} disabled={!canEdit} title={title} data-testid="intel-import">
        {t('intel.import')}
      </button>
      <button type="button" className="btn btn-primary btn-small" onClick={onAdd} disabled={!canEdit} title={title} data-testid="intel-add">
        {t('intel.add')}
      </button>
    </>
  );
}

function IndicatorsView() {
  const { t } = useI18n();
  const { query } = useLocation();
  const session = useSession();
  const canEdit = allows(session, 'analyst');
  const now = useNow();
  const typeName = useTypeName();
  const filter = readIndicatorFilter(query);
  const selected = query.get('id') ?? '';
  const [dialog, setDialog] = useState<'add' | 'import' | null>(null);
  const [deleting, setDeleting] = useState<Indicator | null>(null);
  const sources = useLoad((signal) => listIntelSources(signal), []);
  const list = usePaged((cursor, signal) => listIndicators(indicatorQuery(filter, cursor), signal), [filter.type, filter.source, filter.q, filter.expired]);
  const go = (f: IndicatorFilter, id = '') => navigate(withQuery('/intel', { ...filterValues(f), id }), true);
  const set = (over: Partial<IndicatorFilter>) => go({ ...filter, ...over });
  // The search follows the URL: a link to the page (from a check or an alert) changes it.
  const search = useSearchText(filter.q, (q) => set({ q }), list.reload);
  const any = filter.type !== '' || filter.source !== '' || filter.q !== '' || filter.expired;
  const sourceNames = (sources.data?.items ?? []).map((s) => s.name);
  const changed = () => {
    list.reload();
    sources.refresh();
  };

  return (
    <>
      <div className="toolbar">
        <p className="page-intro">{t('intel.intro')}</p>
        <div className="toolbar-spacer" />
        <WriteButtons canEdit={canEdit} onAdd={() => setDialog('add')} onImport={() => setDialog('import')} />
      </div>
      <CheckBox />
      <FilterForm testId="intel-filter" search={search} filtered={any} path="/intel" list={list} count={{ testId: 'intel-count', all: 'intel.count', more: 'intel.countMore' }}>
        <FilterSelect name="type" label={t('intel.filter.type')} all={t('intel.filter.allTypes')} value={filter.type} onChange={(type) => set({ type })} options={optionsOf(indicatorTypes, typeName)} />
        <FilterSelect name="source" label={t('intel.filter.source')} all={t('intel.filter.allSources')} value={filter.source} onChange={(source) => set({ source })} options={optionsOf(sourceNames)} />
        <input name="q" type="search" className="w-search" placeholder={t('intel.filter.q')} aria-label={t('intel.filter.q')} {...search.input} />
        <label className="check-inline">
          <input type="checkbox" name="expired" checked={filter.expired} onChange={(e) => set({ expired: e.target.checked })} />
          <span>{t('intel.filter.expired')}</span>
        </label>
      </FilterForm>
      <PagedTable list={list} empty={any ? t('intel.noMatch') : t('intel.none')} testId="intel-table" columns={indicatorColumns(t, canEdit)} moreTestId="more-intel">
        <IndicatorRows items={list.items} now={now} canEdit={canEdit} selected={selected} onOpen={(i) => go(filter, i.id)} onDelete={setDeleting} />
      </PagedTable>
      {selected && <IndicatorDrawer id={selected} canEdit={canEdit} onClose={() => go(filter)} onDelete={setDeleting} />}
      {dialog === 'add' && <AddIndicatorsDialog onClose={() => setDialog(null)} onStored={changed} />}
      {dialog === 'import' && <ImportIntelDialog sources={sourceNames} onClose={() => setDialog(null)} onStored={changed} />}
      {deleting && (
        <ConfirmDelete
          item={deleting}
          list={list}
          remove={deleteIndicator}
          onDeleted={() => {
            sources.refresh();
            if (selected === deleting.id) go(filter);
          }}
          title={t('intel.deleteTitle')}
          confirmLabel={t('action.delete')}
          onClose={() => setDeleting(null)}
        >
          {t('intel.deleteText', { value: deleting.value, source: deleting.source })}
        </ConfirmDelete>
      )}
    </>
  );
}

/** indicatorColumns are the indicator table's headers (an actions column for analysts). */
export function indicatorColumns(t: (k: MessageKey) => string, canEdit: boolean) {
  return [
    t('intel.col.value'),
    t('intel.col.type'),
    t('intel.col.source'),
    t('intel.col.severity'),
    { label: t('intel.col.confidence'), className: 'num' },
    { label: t('intel.col.hits'), className: 'num' },
    t('intel.col.lastHit'),
    t('intel.col.expires'),
    ...(canEdit ? [{ className: 'c-actions' }] : []),
  ];
}

interface RowsProps {
  items: Indicator[];
  now: number;
  canEdit: boolean;
  selected?: string;
  onOpen: (i: Indicator) => void;
  onDelete: (i: Indicator) => void;
}

/** IndicatorRows are the rows of the indicator table: a click opens one, analysts may delete. */
export function IndicatorRows({ items, now, canEdit, selected, onOpen, onDelete }: RowsProps) {
  const { t } = useI18n();
  const typeName = useTypeName();
  return (
    <>
      {items.map((i) => {
        const expired = isExpired(i, now);
        return (
          <tr
            key={i.id}
            className={['clickable', expired ? 'row-off' : '', selected === i.id ? 'selected' : ''].filter(Boolean).join(' ')}
            data-indicator-id={i.id}
            data-value={i.value}
            data-type={i.type}
            data-source={i.source}
            data-expired={expired}
            tabIndex={0}
            onClick={() => onOpen(i)}
            onKeyDown={(e) => e.key === 'Enter' && onOpen(i)}
          >
            <td className="intel-value">
              <div className="mono strong" title={i.value}>
                {i.value}
              </div>
              {i.description && <div className="sub">{i.description}</div>}
            </td>
            <td className="nowrap">{typeName(i.type)}</td>
            <td>
              <span className="tag">{i.source}</span>
            </td>
            <td>
              <SeverityBadge severity={i.severity as Severity} />
            </td>
            <td className="num">{i.confidence}</td>
            <td className="num strong">{count(i.hits)}</td>
            <td className="nowrap small">{i.last_hit_at ? <RelTime value={i.last_hit_at} /> : <span className="muted">{t('time.never')}</span>}</td>
            <td className="nowrap small">
              <Expiry indicator={i} expired={expired} />
            </td>
            {canEdit && (
              <td className="actions" onClick={(e) => e.stopPropagation()} onKeyDown={(e) => e.stopPropagation()}>
                <DeleteButton onClick={() => onDelete(i)}>{t('action.delete')}</DeleteButton>
              </td>
            )}
          </tr>
        );
      })}
    </>
  );
}

/** Expiry says when an indicator stops matching: never, in how long, or that it expired. */
function Expiry({ indicator, expired }: { indicator: Indicator; expired: boolean }) {
  const { t } = useI18n();
  if (!indicator.expires_at) return <span className="muted">{t('intel.noExpiry')}</span>;
  if (expired) {
    return (
      <span className="badge rule-off" data-testid="expired" title={formatTime(indicator.expires_at)}>
        {t('intel.expired')}
      </span>
    );
  }
  return <Until value={indicator.expires_at} />;
}

/** IndicatorDrawer reads one indicator and shows it; analysts may delete it. */
function IndicatorDrawer({ id, canEdit, onClose, onDelete }: { id: string; canEdit: boolean; onClose: () => void; onDelete: (i: Indicator) => void }) {
  const { t } = useI18n();
  const now = useNow();
  const one = useLoad((signal) => getIndicator(id, signal), [id]);
  const i = one.data;
  return (
    <Drawer testId="indicator-drawer" onClose={onClose} title={i ? <span className="mono">{i.value}</span> : t('intel.indicator')} subtitle={i && <SeverityBadge severity={i.severity as Severity} />}>
      <ErrorBanner error={one.error} onRetry={one.refresh} />
      {!i && !one.error && <Loading />}
      {i && (
        <Section
          title={t('intel.indicator')}
          actions={
            canEdit ? (
              <button type="button" className="btn btn-small btn-danger-ghost" onClick={() => onDelete(i)} data-testid="delete-indicator">
                {t('action.delete')}
              </button>
            ) : undefined
          }
        >
          <IndicatorFacts indicator={i} now={now} />
        </Section>
      )}
    </Drawer>
  );
}

/** IndicatorFacts shows everything the center keeps of an indicator. */
export function IndicatorFacts({ indicator: i, now }: { indicator: Indicator; now: number }) {
  const { t } = useI18n();
  const typeName = useTypeName();
  const expired = isExpired(i, now);
  const reference = i.reference && /^https?:\/\//i.test(i.reference) ? (
    <a href={i.reference} target="_blank" rel="noreferrer noopener">
      {i.reference}
    </a>
  ) : (
    i.reference ?? ''
  );
  const tags = (i.tags ?? []).length ? (
    <span className="chips">
      {(i.tags ?? []).map((tag) => (
        <span key={tag} className="tag">
          {tag}
        </span>
      ))}
    </span>
  ) : (
    ''
  );
  return (
    <div data-testid="indicator-facts">
      <Facts
        rows={[
          [t('intel.col.value'), <span className="mono">{i.value}</span>],
          [t('intel.col.type'), typeName(i.type)],
          [t('intel.col.source'), <Link to={withQuery('/intel', { source: i.source })}>{i.source}</Link>],
          [t('intel.col.severity'), <SeverityBadge severity={i.severity as Severity} />],
          [t('intel.col.confidence'), String(i.confidence)],
          [t('intel.description'), i.description ?? ''],
          [t('intel.tags'), tags],
          [t('intel.techniques'), (i.techniques ?? []).length ? <TechniqueList ids={i.techniques} /> : ''],
          [t('intel.reference'), reference],
          [t('intel.col.hits'), count(i.hits)],
          [t('intel.col.lastHit'), i.last_hit_at ? <AbsTime value={i.last_hit_at} /> : t('time.never')],
          [t('intel.col.expires'), <Expiry indicator={i} expired={expired} />],
          [t('intel.created'), <AbsTime value={i.created_at} />],
          [t('intel.updated'), i.updated_by ? t('intel.updatedBy', { at: formatTime(i.updated_at), who: i.updated_by }) : <AbsTime value={i.updated_at} />],
          [t('intel.id'), <span className="mono small">{i.id}</span>],
        ]}
      />
    </div>
  );
}

/** CheckBox checks a value against the indicators. */
function CheckBox() {
  const { t } = useI18n();
  const [value, setValue] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<IntelCheck | null>(null);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const v = value.trim();
    if (!v) return;
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      setResult(await checkIntel(v));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="panel intel-check" data-testid="intel-check">
      <div className="panel-body">
        <form className="toolbar toolbar-wrap" onSubmit={(e) => void submit(e)}>
          <label className="inline-field">
            <span className="strong">{t('intel.check.title')}</span>
            <input name="check" className="w-check mono" value={value} onChange={(e) => setValue(e.target.value)} placeholder={t('intel.check.placeholder')} aria-label={t('intel.check.title')} autoComplete="off" spellCheck={false} />
          </label>
          <button type="submit" className="btn btn-small" disabled={busy || !value.trim()} data-testid="intel-check-submit">
            {busy ? t('common.working') : t('intel.check.submit')}
          </button>
          <span className="hint">{t('intel.check.hint')}</span>
        </form>
        <CheckOutcome result={result} error={error} />
      </div>
    </div>
  );
}

/** CheckOutcome shows how the center read a checked value and the indicators it matches, or why it is no indicator value. */
export function CheckOutcome({ result, error }: { result: IntelCheck | null; error: unknown }) {
  const { t } = useI18n();
  const typeName = useTypeName();
  const text = useErrorText();
  if (error) {
    return (
      <div className="field-error" data-testid="check-error">
        {text(error)}
      </div>
    );
  }
  if (!result) return null;
  const matches = result.matches ?? [];
  return (
    <div className="check-outcome" data-testid="check-result" data-matches={matches.length}>
      <div className="small">
        {t('intel.check.read', { type: typeName(result.type) })} <code data-testid="check-normalized">{result.normalized}</code>
      </div>
      {matches.length === 0 ? (
        <div className="ok-text" data-testid="check-none">
          {t('intel.check.none')}
        </div>
      ) : (
        <>
          <div className="text-bad strong">{t('intel.check.matches', { n: matches.length })}</div>
          <table className="table table-compact" data-testid="check-matches">
            <thead>
              <tr>
                <th>{t('intel.col.value')}</th>
                <th>{t('intel.col.source')}</th>
                <th>{t('intel.col.severity')}</th>
                <th className="num">{t('intel.col.confidence')}</th>
                <th>{t('intel.description')}</th>
              </tr>
            </thead>
            <tbody>
              {matches.map((m) => (
                <tr key={m.id} data-indicator-id={m.id}>
                  <td className="mono">
                    <Link to={withQuery('/intel', { q: m.value, source: m.source, id: m.id })}>{m.value}</Link>
                  </td>
                  <td>
                    <span className="tag">{m.source}</span>
                  </td>
                  <td>
                    <SeverityBadge severity={m.severity as Severity} />
                  </td>
                  <td className="num">{m.confidence}</td>
                  <td>{m.description || <span className="muted">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}

function SourcesView() {
  const { t } = useI18n();
  const session = useSession();
  const canEdit = allows(session, 'analyst');
  const sources = useLoad((signal) => listIntelSources(signal), []);
  const [dialog, setDialog] = useState<'add' | 'import' | null>(null);
  const [deleting, setDeleting] = useState<IntelSource | null>(null);
  const items = sources.data?.items ?? [];
  return (
    <>
      <ListToolbar intro={t('intel.sources.intro')} count={sources.data && t('intel.sources.count', { n: items.length })} list={reloadable(sources)}>
        <WriteButtons canEdit={canEdit} onAdd={() => setDialog('add')} onImport={() => setDialog('import')} />
      </ListToolbar>
      <ErrorBanner error={sources.error} onRetry={sources.refresh} />
      {!sources.data && !sources.error ? <Loading /> : <SourcesTable items={items} canEdit={canEdit} onDelete={setDeleting} />}
      {dialog === 'add' && <AddIndicatorsDialog onClose={() => setDialog(null)} onStored={sources.refresh} />}
      {dialog === 'import' && <ImportIntelDialog sources={items.map((s) => s.name)} onClose={() => setDialog(null)} onStored={sources.refresh} />}
      {deleting && (
        <ConfirmDelete
          item={deleting}
          keyOf={(s) => s.name}
          remove={deleteIntelSource}
          onDeleted={sources.refresh}
          title={t('intel.sources.deleteTitle', { name: deleting.name })}
          confirmLabel={t('action.delete')}
          onClose={() => setDeleting(null)}
        >
          {t('intel.sources.deleteText', { name: deleting.name, n: deleting.count })}
        </ConfirmDelete>
      )}
    </>
  );
}

/** SourcesTable lists the sources with their counts; analysts may delete one. */
export function SourcesTable({ items, canEdit, onDelete }: { items: IntelSource[]; canEdit: boolean; onDelete: (s: IntelSource) => void }): ReactNode {
  const { t } = useI18n();
  if (items.length === 0) return <Empty>{t('intel.sources.none')}</Empty>;
  return (
    <div className="table-wrap">
      <table className="table" data-testid="intel-sources-table">
        <thead>
          <tr>
            <th>{t('intel.col.source')}</th>
            <th className="num">{t('intel.sources.col.count')}</th>
            <th>{t('intel.sources.col.updated')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {items.map((s) => (
            <tr key={s.name} data-source={s.name}>
              <td className="strong">{s.name}</td>
              <td className="num" data-testid="source-count">
                {count(s.count)}
              </td>
              <td className="nowrap">
                <RelTime value={s.updated_at} />
              </td>
              <td className="actions">
                <div className="btn-row">
                  <Link to={withQuery('/intel', { source: s.name, expired: 'true' })} className="btn btn-small">
                    {t('intel.sources.show')}
                  </Link>
                  {canEdit && <DeleteButton onClick={() => onDelete(s)}>{t('action.delete')}</DeleteButton>}
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
