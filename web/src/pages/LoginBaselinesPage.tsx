// Login baselines: what the center learned of each host's users' logins
// (how many, from which addresses, at which hours), filtered by host and
// user (kept in the URL) and read 100 at a time. A row opens to its logins
// per hour of the day, in the baseline's time zone, and its addresses.
// Analysts reset a profile, or every profile of a host, after a
// confirmation: learning starts again.
import { useState } from 'react';
import { listAgents } from '../api/endpoints';
import { listLoginProfiles, resetLoginProfiles } from '../api/intel';
import type { LoginProfileView } from '../api/types';
import { ExpandRow, useOpenRows } from '../components/ExpandRow';
import { FilterForm, FilterSelect, hostOptions, useLinkFilter, useSearchText } from '../components/FilterBar';
import { Confirm } from '../components/Modal';
import { PagedTable } from '../components/PagedList';
import { AbsTime, RelTime } from '../components/time';
import { useI18n, type MessageKey } from '../i18n';
import { count } from '../lib/format';
import { useLoad } from '../lib/hooks';
import { busiestHours, hourBars, hourLabel, profileKey } from '../lib/intel';
import { usePaged } from '../lib/usePaged';
import { Link } from '../router';
import { allows, useSession } from '../session';

/** What a reset forgets: one user's profile on a host, or every profile of the host. */
interface Reset {
  agentId: string;
  hostname: string;
  user?: string;
}

const filterKeys = ['agent_id', 'user'] as const;

export function LoginBaselinesPage() {
  const { t } = useI18n();
  const session = useSession();
  const canEdit = allows(session, 'analyst');
  const { filter, set, filtered } = useLinkFilter('/baselines/logins', filterKeys);
  const agents = useLoad((signal) => listAgents({}, signal), []);
  const list = usePaged((cursor, signal) => listLoginProfiles({ ...filter, cursor }, signal), [filter.agent_id, filter.user]);
  // The user field follows the URL: a link to the page (from a host's drawer) changes it.
  const search = useSearchText(filter.user, (user) => set({ user }), list.reload);
  const rows = useOpenRows<string>();
  const [resetting, setResetting] = useState<Reset | null>(null);
  const [notice, setNotice] = useState('');
  const hosts = agents.data?.items ?? [];
  const hostname = hosts.find((a) => a.id === filter.agent_id)?.hostname || list.items.find((p) => p.agent_id === filter.agent_id)?.hostname || filter.agent_id;

  return (
    <div className="page">
      <p className="page-intro baseline-intro">{t('baseline.intro')}</p>
      <FilterForm
        testId="baseline-filter"
        search={search}
        filtered={filtered}
        path="/baselines/logins"
        list={list}
        count={{ testId: 'baseline-count', all: 'baseline.count', more: 'baseline.countMore' }}
        actions={
          filter.agent_id &&
          canEdit && (
            <button type="button" className="btn btn-small btn-danger-ghost" onClick={() => setResetting({ agentId: filter.agent_id, hostname })} data-testid="reset-host">
              {t('baseline.resetHost')}
            </button>
          )
        }
      >
        <FilterSelect name="agent_id" label={t('baseline.filter.host')} all={t('baseline.filter.allHosts')} value={filter.agent_id} onChange={(agent_id) => set({ agent_id })} options={hostOptions(hosts)} unknownLabel={hostname} />
        <input name="user" type="search" className="w-small" placeholder={t('baseline.filter.user')} aria-label={t('baseline.filter.user')} {...search.input} />
      </FilterForm>
      {notice && (
        <div className="ok-banner" data-testid="baseline-notice">
          {notice}
        </div>
      )}
      <PagedTable list={list} empty={filtered ? t('baseline.noMatch') : t('baseline.none')} testId="baseline-table" columns={profileColumns(t, canEdit)} moreTestId="more-baselines">
        <ProfileRows items={list.items} canEdit={canEdit} isOpen={rows.isOpen} onToggle={rows.toggle} onReset={(p) => setResetting({ agentId: p.agent_id, hostname: p.hostname || p.agent_id, user: p.user })} />
      </PagedTable>
      {resetting && (
        <Confirm
          title={resetting.user ? t('baseline.resetTitle', { user: resetting.user, host: resetting.hostname }) : t('baseline.resetHostTitle', { host: resetting.hostname })}
          confirmLabel={t('baseline.reset')}
          onClose={() => setResetting(null)}
          onConfirm={async () => {
            const { removed } = await resetLoginProfiles(resetting.agentId, resetting.user);
            list.patch((items) => items.filter((p) => p.agent_id !== resetting.agentId || (resetting.user !== undefined && p.user !== resetting.user)));
            setNotice(t('baseline.resetDone', { n: removed ?? 0, host: resetting.hostname }));
          }}
        >
          <p>{resetting.user ? t('baseline.resetText', { user: resetting.user, host: resetting.hostname }) : t('baseline.resetHostText', { host: resetting.hostname })}</p>
          <p className="hint">{t('baseline.resetLearning')}</p>
        </Confirm>
      )}
    </div>
  );
}

/** profileColumns are the profile table's headers: the toggle, the profile's columns and, for analysts, its actions. */
export function profileColumns(t: (k: MessageKey) => string, canEdit: boolean) {
  return [
    { className: 'c-toggle' },
    t('baseline.col.host'),
    t('baseline.col.user'),
    t('baseline.col.status'),
    { label: t('baseline.col.logins'), className: 'num' },
    { label: t('baseline.col.sources'), className: 'num' },
    t('baseline.col.firstSeen'),
    t('baseline.col.lastSeen'),
    ...(canEdit ? [{ className: 'c-actions' }] : []),
  ];
}

interface RowsProps {
  items: LoginProfileView[];
  canEdit: boolean;
  isOpen: (key: string) => boolean;
  onToggle: (key: string) => void;
  onReset: (p: LoginProfileView) => void;
}

/** ProfileRows are the profile table's rows, each opening to its hours and addresses; analysts may reset one. */
export function ProfileRows({ items, canEdit, isOpen, onToggle, onReset }: RowsProps) {
  const { t } = useI18n();
  return (
    <>
      {items.map((p) => {
        const key = profileKey(p);
        return (
          <ExpandRow
            key={key}
            open={isOpen(key)}
            onToggle={() => onToggle(key)}
            span={canEdit ? 9 : 8}
            data={{ 'data-agent-id': p.agent_id, 'data-user': p.user, 'data-status': p.status }}
            detail={() => <ProfileDetail profile={p} />}
          >
            <td>
              <Link to={`/agents/${encodeURIComponent(p.agent_id)}`} className="strong">
                {p.hostname || p.agent_id}
              </Link>
            </td>
            <td className="mono">{p.user}</td>
            <td>
              <ProfileStatus profile={p} />
            </td>
            <td className="num strong">{count(p.logins)}</td>
            <td className="num">{count((p.sources ?? []).length)}</td>
            <td className="nowrap small">
              <AbsTime value={p.first_seen} />
            </td>
            <td className="nowrap small">
              <RelTime value={p.last_seen} />
            </td>
            {canEdit && (
              <td className="actions" onClick={(e) => e.stopPropagation()} onKeyDown={(e) => e.stopPropagation()}>
                <button type="button" className="btn btn-small btn-danger-ghost" onClick={() => onReset(p)} data-action="reset">
                  {t('baseline.reset')}
                </button>
              </td>
            )}
          </ExpandRow>
        );
      })}
    </>
  );
}

/** ProfileStatus says whether a profile still learns or judges logins, and since when. */
export function ProfileStatus({ profile: p }: { profile: LoginProfileView }) {
  const { t } = useI18n();
  if (p.status === 'learned') {
    return (
      <>
        <span className="badge status-online" data-testid="profile-status">
          {t('baseline.status.learned')}
        </span>
        {p.learned_at && (
          <div className="sub nowrap">
            {t('baseline.learnedAt')} <AbsTime value={p.learned_at} />
          </div>
        )}
      </>
    );
  }
  return (
    <span className="badge status-enrolled" data-testid="profile-status">
      {p.status === 'learning' ? t('baseline.status.learning') : p.status}
    </span>
  );
}

/** ProfileDetail shows a profile's logins per hour and the addresses its user logged in from. */
export function ProfileDetail({ profile: p }: { profile: LoginProfileView }) {
  const { t } = useI18n();
  const sources = p.sources ?? [];
  return (
    <div className="profile-detail" data-testid="profile-detail">
      <HourHistogram hours={p.hours} timeZone={p.time_zone} />
      <div className="profile-sources">
        <h4>{t('baseline.sources', { n: sources.length })}</h4>
        {sources.length === 0 ? (
          <div className="muted">{t('baseline.noSources')}</div>
        ) : (
          <table className="table table-compact" data-testid="profile-sources">
            <thead>
              <tr>
                <th>{t('baseline.source.ip')}</th>
                <th>{t('baseline.col.firstSeen')}</th>
                <th>{t('baseline.col.lastSeen')}</th>
                <th className="num">{t('baseline.source.count')}</th>
              </tr>
            </thead>
            <tbody>
              {sources.map((s) => (
                <tr key={s.ip} data-ip={s.ip}>
                  <td className="mono">{s.ip}</td>
                  <td className="nowrap small">
                    <AbsTime value={s.first_seen} />
                  </td>
                  <td className="nowrap small">
                    <AbsTime value={s.last_seen} />
                  </td>
                  <td className="num">{count(s.count)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <div className="sub">{t('baseline.revision', { n: p.revision })}</div>
      </div>
    </div>
  );
}

/** HourHistogram draws the logins per hour of the day as 24 bars, labelled with the baseline's time zone; each bar says its hour and count. */
export function HourHistogram({ hours, timeZone }: { hours: readonly number[] | null | undefined; timeZone: string }) {
  const { t } = useI18n();
  const bars = hourBars(hours);
  const busiest = busiestHours(bars);
  const zone = timeZone || 'UTC';
  return (
    <figure className="hour-hist" data-testid="hour-histogram" data-time-zone={zone}>
      <figcaption>
        <span className="strong">{t('baseline.hours')}</span> <span className="muted">({t('baseline.timeZone', { zone })})</span>
        {busiest.length > 0 && <span className="sub"> · {t('baseline.busiest', { hours: busiest.map(hourLabel).join(', ') })}</span>}
      </figcaption>
      <ol className="hist-bars" aria-label={t('baseline.hoursIn', { zone })}>
        {bars.map((b) => {
          const label = t('baseline.hourCount', { hour: hourLabel(b.hour), n: b.count });
          return (
            <li key={b.hour} data-hour={b.hour} data-count={b.count} title={label}>
              <span className="hist-n" aria-hidden="true">
                {b.count > 0 ? b.count : ''}
              </span>
              <span className="hist-col" aria-hidden="true">
                <span className={b.count > 0 ? 'hist-bar' : 'hist-bar hist-zero'} style={{ height: `${b.pct}%` }} />
              </span>
              <span className="hist-hour" aria-hidden="true">
                {String(b.hour).padStart(2, '0')}
              </span>
              <span className="sr-only">{label}</span>
            </li>
          );
        })}
      </ol>
    </figure>
  );
}
