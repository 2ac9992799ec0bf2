// Where a run's screenshots go: VIGIL_SCREENSHOTS when set (and then every
// step is captured), else a new temporary folder used only on failure.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function screenshotDir(prefix: string): { dir: string; always: boolean } {
  const wanted = process.env.VIGIL_SCREENSHOTS;
  if (wanted) {
    mkdirSync(wanted, { recursive: true });
    return { dir: wanted, always: true };
  }
  return { dir: mkdtempSync(join(tmpdir(), `${prefix}-`)), always: false };
}
