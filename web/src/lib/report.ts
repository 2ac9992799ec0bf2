// Files the center sends (the compliance report): saved through a link
// to the downloaded body, as the API needs the session's token and a
// plain link cannot send it; or shown in a window of their own to print.
//
// The console's Content-Security-Policy (style-src 'self') holds for a
// window it opens as well, so the report's own <style> and style
// attributes would not apply there: the report is taken apart and its
// styles applied through the CSS object model (a constructed style sheet
// and each element's style), which the policy allows. Scripts, frames and
// event handler attributes are dropped; the report has none.

/** saveFile saves a body under a file name through a link to it. */
export function saveFile(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  // The download has started from the link; the body may go a little later.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** The parts of an HTML page that are not shown as such. */
const dropped = 'script, iframe, frame, object, embed, base, link, meta, title, style, template, noscript';

/** ReportPage is an HTML report taken apart: its title, language, styles and shown content. */
export interface ReportPage {
  title: string;
  lang: string;
  css: string;
  content: DocumentFragment;
}

/** readReport parses a report in a template (inert: nothing runs, nothing is fetched) and takes it apart. */
export function readReport(html: string, doc: Document = document): ReportPage {
  const tpl = doc.createElement('template');
  // A template drops the html, head and body tags and keeps what they held.
  tpl.innerHTML = html;
  const content = tpl.content;
  const title = content.querySelector('title')?.textContent?.trim() ?? '';
  const css = [...content.querySelectorAll('style')].map((s) => s.textContent ?? '').join('\n');
  const lang = /<html\b[^>]*\blang\s*=\s*["']?([A-Za-z0-9-]+)/i.exec(html)?.[1] ?? '';
  content.querySelectorAll(dropped).forEach((el) => el.remove());
  content.querySelectorAll('*').forEach((el) => {
    for (const a of [...el.attributes]) {
      const name = a.name.toLowerCase();
      if (name.startsWith('on') || ((name === 'href' || name === 'src' || name === 'action') && /^\s*javascript:/i.test(a.value))) el.removeAttribute(a.name);
    }
  });
  return { title, lang, css, content };
}

/**
 * showReport puts a report into a window the console opened (about:blank,
 * of the console's origin) with its styles applied, ready to print.
 */
export function showReport(win: Window, html: string): void {
  const page = readReport(html, win.document);
  const d = win.document;
  d.title = page.title;
  if (page.lang) d.documentElement.lang = page.lang;
  const body = d.createElement('body');
  // Style attributes move to each element's style object.
  const styled: [HTMLElement, string][] = [];
  page.content.querySelectorAll<HTMLElement>('[style]').forEach((el) => {
    styled.push([el, el.getAttribute('style') ?? '']);
    el.removeAttribute('style');
  });
  for (const [el, css] of styled) el.style.cssText = css;
  body.append(page.content);
  d.body.replaceWith(body);
  const Sheet = (win as Window & typeof globalThis).CSSStyleSheet;
  const sheet = new Sheet();
  sheet.replaceSync(page.css);
  d.adoptedStyleSheets = [sheet];
}
