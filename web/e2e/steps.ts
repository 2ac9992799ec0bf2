// What the scenario's parts share: polling, request matching, signing in and
// the context each part of the walk gets.
import type { Page, Request, Response } from 'playwright-core';

export type Credentials = { token: string } | { username: string; password: string };

/** until polls fn until it returns a truthy value, or fails with what it last saw. */
export async function until<T>(fn: () => Promise<T> | T, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** apiRequest matches a request to an API path (without /api/v1). */
export function apiRequest(method: string, path: string, check: (url: URL, req: Request) => boolean = () => true) {
  return (req: Request) => {
    if (req.method() !== method) return false;
    const url = new URL(req.url());
    return url.pathname === `/api/v1${path}` && check(url, req);
  };
}

/** apiResponse matches the answer to such a request. */
export function apiResponse(method: string, path: string) {
  const match = apiRequest(method, path);
  return (res: Response) => match(res.request());
}

/** signIn fills the sign-in form with the credentials and waits for the agents page. */
export async function signIn(page: Page, creds: Credentials): Promise<void> {
  await page.locator('input[name=username]').waitFor();
  if ('token' in creds) {
    await page.fill('input[name=token]', creds.token);
    await page.click('[data-testid=login-token] button[type=submit]');
  } else {
    await page.fill('input[name=username]', creds.username);
    await page.fill('input[name=password]', creds.password);
    await page.click('[data-testid=login-password] button[type=submit]');
  }
  await page.waitForURL((u) => u.pathname.startsWith('/agents'));
  await page.locator('[data-testid=agents-table], .empty').first().waitFor();
}

/** Ctx is what each part of the scenario works with. */
export interface Ctx {
  page: Page;
  /** The console's origin, without a trailing slash. */
  base: string;
  step: (name: string, fn: () => Promise<void>) => Promise<void>;
  /** shot captures the page (or another one) into the screenshots folder. */
  shot: (name: string, other?: Page) => Promise<string>;
  log: (msg: string) => void;
  shotsAlways: boolean;
  /** A suffix that makes the names this run creates unique. */
  stamp: string;
}

/** goNav follows a sidebar link and waits for the page's table or empty notice. */
export async function goNav(ctx: Ctx, path: string, table: string): Promise<void> {
  await ctx.page.click(`.nav a[href="${path}"]`);
  await ctx.page.waitForURL((u) => u.pathname === path);
  await ctx.page.locator(`[data-testid=${table}], .empty`).first().waitFor();
}
