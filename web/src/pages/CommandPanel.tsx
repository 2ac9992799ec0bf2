// Sends ping or status to one agent and shows what came back.
import { useState } from 'react';
import { sendCommand } from '../api/endpoints';
import type { CommandResponse } from '../api/types';
import { Section } from '../components/Drawer';
import { ErrorBanner } from '../components/feedback';
import { JsonView } from '../components/JsonView';
import { useI18n } from '../i18n';
import { allows, useSession } from '../session';

const commands = ['ping', 'status'] as const;

export function CommandPanel({ agentId }: { agentId: string }) {
  const { t } = useI18n();
  const session = useSession();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<CommandResponse | null>(null);
  const permitted = allows(session, 'analyst');

  const run = async (command: string) => {
    setBusy(command);
    setError(null);
    setResult(null);
    try {
      setResult(await sendCommand(command, [agentId]));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  return (
    <Section
      title={t('agent.commands')}
      actions={
        <div className="btn-row">
          {commands.map((c) => (
            <button
              key={c}
              type="button"
              className="btn btn-small"
              disabled={busy !== null || !permitted}
              title={permitted ? t(`command.${c}.help`) : t('error.needAnalyst')}
              onClick={() => void run(c)}
              data-command={c}
            >
              {busy === c ? t('command.sending') : t(`command.${c}`)}
            </button>
          ))}
        </div>
      }
    >
      <ErrorBanner error={error} />
      {!result && !error && <p className="hint">{t('command.hint')}</p>}
      {result && (
        <div className="command-result" data-testid="command-result">
          {(result.results ?? []).length === 0 && <p className="hint">{t('command.noReply')}</p>}
          {(result.results ?? []).map((r) => (
            <div key={r.agent_id} className={`result ${r.ok ? 'result-ok' : 'result-fail'}`} data-ok={r.ok}>
              <div className="result-head">
                <span className={`badge ${r.ok ? 'status-online' : 'status-lost'}`}>
                  {r.ok ? t('command.ok') : t('command.failed')}
                </span>
                <span className="mono">{result.command}</span>
                <span className="muted">{t('command.duration', { n: r.duration_ms })}</span>
                {r.error && <span className="result-error">{r.error}</span>}
              </div>
              {r.output !== undefined && r.output !== null && <JsonView value={r.output} label={t('command.output')} />}
            </div>
          ))}
        </div>
      )}
    </Section>
  );
}
