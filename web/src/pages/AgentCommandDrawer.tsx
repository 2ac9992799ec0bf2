// A command to several agents, chosen by the checkboxes of the listing or
// by a label selector, and the table of their replies.
import { Fragment, useState, type FormEvent } from 'react';
import { runCommand } from '../api/endpoints';
import type { Agent, CommandResponse } from '../api/types';
import { Drawer, Section } from '../components/Drawer';
import { ErrorBanner } from '../components/feedback';
import { JsonView } from '../components/JsonView';
import { useLabelIssueText } from '../components/LabelsEditor';
import { useI18n, type MessageKey } from '../i18n';
import { buildCommand, commandNames, commandRoles, knownCollectors, tally, type CommandForm, type CommandFormProblem } from '../lib/commands';
import { allows, useSession } from '../session';

interface Props {
  selected: Agent[];
  /** The listing's label filter, offered as the selector. */
  labelFilter: string;
  onClose: () => void;
}

const problemKey: Record<CommandFormProblem, MessageKey> = {
  noAgents: 'multi.noAgents',
  noSelector: 'multi.noSelector',
  badSelector: 'multi.badSelector',
  noCollector: 'multi.noCollector',
  badTimeout: 'multi.badTimeout',
};

export function AgentCommandDrawer({ selected, labelFilter, onClose }: Props) {
  const { t } = useI18n();
  const session = useSession();
  const issueText = useLabelIssueText();
  const [form, setForm] = useState<CommandForm>({
    command: 'ping',
    collector: knownCollectors[0] ?? '',
    target: selected.length > 0 || !labelFilter ? 'selected' : 'selector',
    selected: selected.map((a) => a.id),
    selectorText: labelFilter,
    timeout: '10s',
  });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<CommandResponse | null>(null);
  const [open, setOpen] = useState<Record<string, boolean>>({});
  const built = buildCommand(form);
  const permitted = allows(session, commandRoles[form.command]);
  const hosts = new Map(selected.map((a) => [a.id, a.hostname]));

  const set = <K extends keyof CommandForm>(k: K, v: CommandForm[K]) => setForm({ ...form, [k]: v });
  const send = async (e: FormEvent) => {
    e.preventDefault();
    if (!built.ok || !permitted) return;
    setBusy(true);
    setError(null);
    setResult(null);
    setOpen({});
    try {
      setResult(await runCommand(built.body));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const results = result?.results ?? [];
  const counts = tally(results);

  return (
    <Drawer testId="command-drawer" onClose={onClose} title={t('multi.title')} subtitle={<span className="muted">{t('multi.subtitle')}</span>}>
      <form onSubmit={send} data-testid="command-form">
        <Section title={t('multi.targets')}>
          <div className="form">
            <label className="radio">
              <input type="radio" name="target" value="selected" checked={form.target === 'selected'} onChange={() => set('target', 'selected')} />
              <span>{t('multi.targetSelected', { n: selected.length })}</span>
            </label>
            {form.target === 'selected' && selected.length > 0 && (
              <div className="chips target-list">
                {selected.map((a) => (
                  <span key={a.id} className="chip" title={a.id}>
                    <span className="chip-k">{a.hostname || '—'}</span>
                    <span className="chip-v mono">{a.id.slice(0, 8)}</span>
                  </span>
                ))}
              </div>
            )}
            <label className="radio">
              <input type="radio" name="target" value="selector" checked={form.target === 'selector'} onChange={() => set('target', 'selector')} />
              <span>{t('multi.targetSelector')}</span>
            </label>
            {form.target === 'selector' && (
              <input name="selector" className="mono" placeholder="env=prod, role=web" value={form.selectorText} onChange={(e) => set('selectorText', e.target.value)} aria-label={t('multi.targetSelector')} />
            )}
          </div>
        </Section>
        <Section title={t('multi.command')}>
          <div className="form form-inline">
            <label>
              <span>{t('multi.command')}</span>
              <select name="command" value={form.command} onChange={(e) => set('command', e.target.value as CommandForm['command'])}>
                {commandNames.map((c) => (
                  <option key={c} value={c} disabled={!allows(session, commandRoles[c])}>
                    {t(`command.${c}` as MessageKey)}
                  </option>
                ))}
              </select>
            </label>
            {form.command === 'collect' && (
              <label>
                <span>{t('multi.collector')}</span>
                <input name="collector" list="collectors" className="mono" value={form.collector} onChange={(e) => set('collector', e.target.value)} />
                <datalist id="collectors">
                  {knownCollectors.map((c) => (
                    <option key={c} value={c} />
                  ))}
                </datalist>
              </label>
            )}
            <label>
              <span>{t('multi.timeout')}</span>
              <input name="timeout" className="w-timeout" value={form.timeout} onChange={(e) => set('timeout', e.target.value)} />
            </label>
            <button type="submit" className="btn btn-primary" disabled={busy || !built.ok || !permitted} data-testid="send-command">
              {busy ? t('command.sending') : t('multi.send')}
            </button>
          </div>
          <p className={built.ok ? 'hint' : 'field-error'} data-testid="command-note">
            {!permitted
              ? t(commandRoles[form.command] === 'responder' ? 'error.needResponder' : 'error.needAnalyst')
              : built.ok
                ? t(`command.${form.command}.help` as MessageKey)
                : `${t(problemKey[built.problem])}${built.issues ? ` ${built.issues.map(issueText).join(' ')}` : ''}`}
          </p>
        </Section>
      </form>
      <ErrorBanner error={error} />
      {result && (
        <Section title={t('multi.results')} actions={<span className="muted" data-testid="command-tally">{t('multi.tally', { ok: counts.ok, failed: counts.failed })}</span>}>
          {results.length === 0 ? (
            <p className="hint">{t('command.noReply')}</p>
          ) : (
            <div className="table-scroll">
              <table className="table table-compact" data-testid="command-results">
                <thead>
                  <tr>
                    <th>{t('multi.col.agent')}</th>
                    <th>{t('multi.col.result')}</th>
                    <th className="num">{t('multi.col.duration')}</th>
                    <th>{t('multi.col.error')}</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {results.map((r) => {
                    const hasOutput = r.output !== undefined && r.output !== null;
                    return (
                      <Fragment key={r.agent_id}>
                        <tr data-agent-id={r.agent_id} data-ok={r.ok}>
                          <td>
                            <div className="strong">{r.hostname || hosts.get(r.agent_id) || <span className="muted">—</span>}</div>
                            <div className="sub mono">{r.agent_id}</div>
                          </td>
                          <td>
                            <span className={`badge ${r.ok ? 'status-online' : 'status-lost'}`}>{r.ok ? t('command.ok') : t('command.failed')}</span>
                          </td>
                          <td className="num nowrap">{t('command.duration', { n: r.duration_ms })}</td>
                          <td className="reason-cell">{r.error ? <span className="result-error">{r.error}</span> : <span className="muted">—</span>}</td>
                          <td className="actions">
                            {hasOutput && (
                              <button type="button" className="btn btn-small btn-ghost" onClick={() => setOpen({ ...open, [r.agent_id]: !open[r.agent_id] })}>
                                {open[r.agent_id] ? t('multi.hideOutput') : t('multi.showOutput')}
                              </button>
                            )}
                          </td>
                        </tr>
                        {open[r.agent_id] && hasOutput && (
                          <tr className="expanded">
                            <td colSpan={5}>
                              <JsonView value={r.output} label={t('command.output')} />
                            </td>
                          </tr>
                        )}
                      </Fragment>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
        </Section>
      )}
    </Drawer>
  );
}
