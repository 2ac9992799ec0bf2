// Views rendered to HTML without a browser, in the language a test picks
// (English unless it picks another), and what a reader sees of them.
import type { ReactElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, beforeEach, vi } from 'vitest';
import { I18nProvider, type Lang } from '../src/i18n';

let lang: Lang = 'en';

/** setLang picks the language of the views rendered next in the test. */
export function setLang(l: Lang): void {
  lang = l;
}

/** inLanguage stands for the browser's language and the stored choice in each test: English until the test calls setLang. */
export function inLanguage(): void {
  beforeEach(() => {
    lang = 'en';
    vi.stubGlobal('navigator', { language: 'en-US' });
    vi.stubGlobal('localStorage', { getItem: () => lang, setItem: () => undefined });
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });
}

/** html renders a view to its markup. */
export function html(el: ReactElement): string {
  return renderToStaticMarkup(<I18nProvider>{el}</I18nProvider>);
}

/** count tells how often a piece of markup occurs. */
export function count(markup: string, needle: string): number {
  return markup.split(needle).length - 1;
}

/** text drops the tags, leaving what a reader sees. */
export function text(markup: string): string {
  return markup
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#x27;/g, "'")
    .replace(/&gt;/g, '>')
    .replace(/&lt;/g, '<')
    .replace(/\s+/g, ' ')
    .trim();
}

/** rows reads the text of each body row of a table. */
export function rows(markup: string): string[] {
  const body = markup.slice(markup.indexOf('<tbody>'));
  return (body.match(/<tr[\s\S]*?<\/tr>/g) ?? []).map(text);
}
