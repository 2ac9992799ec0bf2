// Language choice (English or Chinese) and the t() lookup. The default
// follows navigator.language; a choice is kept in localStorage.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { dictionaries, type Lang, type MessageKey } from './messages';

export type { Lang, MessageKey } from './messages';

const storageKey = 'vigil.lang';

/** detectLang picks the stored choice, else Chinese for a zh* browser language, else English. */
export function detectLang(stored: string | null, browser: string | undefined): Lang {
  if (stored === 'en' || stored === 'zh') return stored;
  return browser?.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

export type Vars = Record<string, string | number>;

/** translate looks a key up and fills {name} placeholders. */
export function translate(lang: Lang, key: MessageKey, vars?: Vars): string {
  const s = dictionaries[lang][key];
  if (!vars) return s;
  return s.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

export interface I18n {
  lang: Lang;
  setLang: (l: Lang) => void;
  t: (key: MessageKey, vars?: Vars) => string;
}

const Ctx = createContext<I18n | null>(null);

function initialLang(): Lang {
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(storageKey);
  } catch {
    // storage may be unavailable
  }
  return detectLang(stored, navigator.language);
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const setLang = useCallback((l: Lang) => {
    setLangState(l);
    try {
      localStorage.setItem(storageKey, l);
    } catch {
      // storage may be unavailable
    }
  }, []);
  useEffect(() => {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  }, [lang]);
  const value = useMemo<I18n>(
    () => ({ lang, setLang, t: (key, vars) => translate(lang, key, vars) }),
    [lang, setLang],
  );
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useI18n(): I18n {
  const v = useContext(Ctx);
  if (!v) throw new Error('useI18n outside I18nProvider');
  return v;
}
