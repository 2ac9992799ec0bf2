// The console scenario against a real center: VIGIL_E2E_URL (https://...)
// and VIGIL_E2E_TOKEN (an admin API token). Optional: VIGIL_E2E_AGENTS
// ("host-or-id=status,..."), VIGIL_E2E_REQUIRE_ALERT=1,
// VIGIL_E2E_REQUIRE_PROCESSES=1, VIGIL_E2E_REQUIRE_COMPLIANCE=1,
// VIGIL_SCREENSHOTS=DIR.
import { readdirSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { AgentStatus } from '../src/api/types';
import { openBrowser, type Browser } from './browser';
import { runScenario } from './scenario';
import { screenshotDir } from './shots';

const url = process.env.VIGIL_E2E_URL ?? '';
const token = process.env.VIGIL_E2E_TOKEN ?? '';

function expectedAgents(spec: string | undefined): Record<string, AgentStatus> {
  const out: Record<string, AgentStatus> = {};
  for (const part of (spec ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const [key, status] = part.split('=');
    if (!key || !['online', 'stopped', 'uninstalled', 'lost'].includes(status ?? '')) {
      throw new Error(`VIGIL_E2E_AGENTS: "${part}" is not host-or-id=status`);
    }
    out[key] = status as AgentStatus;
  }
  return out;
}

describe('console against a real center', () => {
  let browser: Browser;
  const shots = screenshotDir('vigil-console-e2e');

  beforeAll(async () => {
    if (!url || !token) throw new Error('set VIGIL_E2E_URL and VIGIL_E2E_TOKEN');
    browser = await openBrowser({ locale: 'en-US', ignoreHTTPSErrors: true });
  });

  afterAll(async () => {
    await browser?.close();
    if (!shots.always && readdirSync(shots.dir).length === 0) rmSync(shots.dir, { recursive: true, force: true });
  });

  it('runs the analyst scenario', async () => {
    const page = await browser.context.newPage();
    await runScenario(page, {
      baseURL: url,
      credentials: { token },
      agents: expectedAgents(process.env.VIGIL_E2E_AGENTS),
      requireNewAlert: process.env.VIGIL_E2E_REQUIRE_ALERT === '1',
      requireProcesses: process.env.VIGIL_E2E_REQUIRE_PROCESSES === '1',
      requireCompliance: process.env.VIGIL_E2E_REQUIRE_COMPLIANCE === '1',
      shotsDir: shots.dir,
      shotsAlways: shots.always,
      log: (m) => console.log(m),
    });
    if (shots.always) console.log(`screenshots: ${shots.dir}`);
  });
});
