import { describe, expect, it } from 'vitest';
import { detectLang, translate } from '../src/i18n';
import { dictionaries, en, zh } from '../src/i18n/messages';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('dictionaries', () => {
  it('have exactly the same keys in both languages', () => {
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
  });

  it('have no empty or blank texts', () => {
    for (const [lang, dict] of Object.entries(dictionaries)) {
      for (const [key, text] of Object.entries(dict)) {
        expect(text.trim(), `${lang} ${key}`).not.toBe('');
      }
    }
  });

  it('use the same placeholders in both languages', () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(placeholders(zh[key]), key).toEqual(placeholders(en[key]));
    }
  });

  it('really translate: Chinese texts with letters only are few and deliberate', () => {
    const same = (Object.keys(en) as (keyof typeof en)[]).filter((k) => en[k] === zh[k]);
    expect(same.sort()).toEqual(['alerts.col.techniques', 'stats.cpu']);
  });
});

describe('translate', () => {
  it('fills placeholders and leaves unknown ones', () => {
    expect(translate('en', 'agents.count', { n: 3 })).toBe('3 agents');
    expect(translate('zh', 'agents.count', { n: 3 })).toBe('3 个代理');
    expect(translate('en', 'agents.count')).toBe('{n} agents');
  });
});

describe('detectLang', () => {
  it.each([
    [null, 'zh-CN', 'zh'],
    [null, 'zh-TW', 'zh'],
    [null, 'en-US', 'en'],
    [null, 'de', 'en'],
    [null, undefined, 'en'],
    ['en', 'zh-CN', 'en'],
    ['zh', 'en-US', 'zh'],
    ['fr', 'zh', 'zh'],
  ] as const)('stored %s, browser %s -> %s', (stored, browser, want) => {
    expect(detectLang(stored, browser)).toBe(want);
  });
});
