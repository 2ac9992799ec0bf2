// Notification channels: every channel of the notification file and of the
// API with its state and delivery counters; admins create, edit, test and
// delete the API's channels (the file's are read-only here).
import { useState } from 'react';
import { ApiError } from '../api/client';
import { deleteNotifyChannel, listNotifyChannels, testNotifyChannel } from '../api/notify';
import type { NotifyChannel, NotifyTestResult } from '../api/types';
import { DeleteButton } from '../components/listActions';
import { Confirm } from '../components/Modal';
import { ListToolbar, PagedTable } from '../components/PagedList';
import { AbsTime } from '../components/time';
import { useI18n, type MessageKey } from '../i18n';
import { channelHealth } from '../lib/notifyChannels';
import { hasRole } from '../lib/roles';
import { usePaged } from '../lib/usePaged';
import { useSession } from '../session';
import { NotifyChannelDialog, useExplain } from './NotifyChannelDialog';

const healthClass = { running: 'status-online', disabled: 'status-stopped', problem: 'status-lost', stopped: 'status-unknown' } as const;

type Tested = { busy: true } | { busy: false; result?: NotifyTestResult; error?: unknown };

/** TestOutcome shows the outcome of a test message: delivered or why not, and how long it took. */
export function TestOutcome({ tested }: { tested: Tested }) {
  const { t } = useI18n();
  const explain = useExplain();
  if (tested.busy) return <div className="sub">{t('notify.testing')}</div>;
  if (tested.error) {
    return (
      <div className="sub field-error" data-testid="test-result" data-ok="error">
        {explain(tested.error)}
      </div>
    );
  }
  const r = tested.result;
  if (!r) return null;
  return (
    <div className={`sub ${r.ok ? '' : 'field-error'}`} data-testid="test-result" data-ok={String(r.ok)}>
      {r.ok ? t('notify.testOk', { ms: r.duration_ms }) : t('notify.testFailed', { ms: r.duration_ms, error: r.error ?? '' })}
      {!r.ok && r.permanent && <> {t('notify.testPermanent')}</>}
    </div>
  );
}

/** ChannelState shows whether a channel runs, is disabled, or what keeps it from running. */
export function ChannelState({ ch }: { ch: NotifyChannel }) {
  const { t } = useI18n();
  const health = channelHealth(ch);
  return (
    <>
      <span className={`badge ${healthClass[health]}`}>{t(`notify.state.${health}` as MessageKey)}</span>
      {ch.disabled && health !== 'disabled' && <span className="badge status-stopped">{t('notify.state.disabled')}</span>}
      {ch.problem && <div className="sub field-error">{ch.problem}</div>}
    </>
  );
}

export function NotifyChannelsPage() {
  const { t } = useI18n();
  const session = useSession();
  const admin = hasRole(session?.role, 'admin');
  const channels = usePaged((_cursor, signal) => listNotifyChannels(signal), []);
  const [editing, setEditing] = useState<NotifyChannel | 'new' | null>(null);
  const [deleting, setDeleting] = useState<NotifyChannel | null>(null);
  const [tests, setTests] = useState<Record<string, Tested>>({});
  const explain = useExplain();

  const runTest = async (name: string) => {
    setTests((m) => ({ ...m, [name]: { busy: true } }));
    let outcome: Tested;
    try {
      outcome = { busy: false, result: await testNotifyChannel(name) };
    } catch (err) {
      outcome = { busy: false, error: err };
    }
    setTests((m) => ({ ...m, [name]: outcome }));
  };

  const saved = (ch: NotifyChannel) => {
    setEditing(null);
    channels.reload();
    setTests((m) => {
      const { [ch.name]: _, ...rest } = m;
      return rest;
    });
  };

  return (
    <div className="page">
      <ListToolbar
        intro={t('notify.intro')}
        count={t('notify.count', { n: channels.items.length })}
        list={channels}
        newLabel={t('notify.new')}
        onNew={() => setEditing('new')}
        newDisabled={!admin}
        newTitle={admin ? undefined : t('notify.adminOnly')}
        newTestId="new-notify-channel"
      />
      <PagedTable
        list={channels}
        empty={t('notify.empty')}
        testId="notify-channels-table"
        columns={[
          t('notify.col.name'),
          t('notify.col.type'),
          t('notify.col.source'),
          t('notify.col.state'),
          { label: t('notify.col.sent'), className: 'num' },
          { label: t('notify.col.failed'), className: 'num' },
          { label: t('notify.col.dropped'), className: 'num' },
          { label: t('notify.col.queued'), className: 'num' },
          t('notify.col.lastError'),
          ...(admin ? [null] : []),
        ]}
      >
        {channels.items.map((ch) => {
          const fromFile = ch.source === 'file';
          const s = ch.stats;
          const tested = tests[ch.name];
          return (
            <tr key={ch.name} data-channel={ch.name} data-source={ch.source} data-state={channelHealth(ch)}>
              <td>
                <div className="strong mono">{ch.name}</div>
                {ch.revision ? <div className="sub">{t('notify.revision', { n: ch.revision, who: ch.updated_by || ch.created_by || '—' })}</div> : null}
              </td>
              <td>{(['webhook', 'syslog', 'email', 'dingtalk', 'wecom', 'feishu'] as const).includes(ch.type as never) ? t(`notify.type.${ch.type}` as MessageKey) : ch.type}</td>
              <td>
                <span className="badge">{fromFile ? t('notify.source.file') : t('notify.source.api')}</span>
                {fromFile && <div className="sub">{t('notify.fileReadOnly')}</div>}
              </td>
              <td>
                <ChannelState ch={ch} />
              </td>
              <td className="num" data-stat="sent">
                {s.sent}
                {s.last_sent_at && (
                  <div className="sub nowrap" title={t('notify.lastSent')}>
                    <AbsTime value={s.last_sent_at} />
                  </div>
                )}
              </td>
              <td className="num" data-stat="failed">
                {s.failed}
              </td>
              <td className="num" data-stat="dropped">
                {s.dropped}
              </td>
              <td className="num" data-stat="queued">
                {s.queued}
              </td>
              <td className="small">
                {s.last_error ? (
                  <>
                    <div className="field-error" data-testid="last-error">
                      {s.last_error}
                    </div>
                    <div className="sub nowrap">
                      <AbsTime value={s.last_error_at} />
                    </div>
                  </>
                ) : (
                  <span className="muted">{t('notify.noError')}</span>
                )}
              </td>
              {admin && (
                <td className="actions">
                  <div className="btn-row">
                    <button type="button" className="btn btn-small" disabled={tested?.busy} onClick={() => void runTest(ch.name)} data-action="test">
                      {t('notify.test')}
                    </button>
                    {!fromFile && (
                      <>
                        <button type="button" className="btn btn-small" onClick={() => setEditing(ch)} data-action="edit">
                          {t('notify.edit')}
                        </button>
                        <DeleteButton onClick={() => setDeleting(ch)}>{t('action.delete')}</DeleteButton>
                      </>
                    )}
                  </div>
                  {tested && <TestOutcome tested={tested} />}
                </td>
              )}
            </tr>
          );
        })}
      </PagedTable>
      {editing && <NotifyChannelDialog channel={editing === 'new' ? null : editing} onClose={() => setEditing(null)} onSaved={saved} />}
      {deleting && (
        <Confirm
          title={t('notify.deleteTitle', { name: deleting.name })}
          confirmLabel={t('action.delete')}
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            try {
              await deleteNotifyChannel(deleting.name);
            } catch (err) {
              if (err instanceof ApiError && err.status === 409) throw new ApiError(409, err.code, explain(err), err.body);
              throw err;
            }
            channels.patch((items) => items.filter((x) => x.name !== deleting.name));
          }}
        >
          {t('notify.deleteText', { name: deleting.name, queued: deleting.stats.queued })}
        </Confirm>
      )}
    </div>
  );
}
