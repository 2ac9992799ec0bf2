// The notification channel form: a channel's configuration split into the
// common fields, the write-only fields of its type and the rest of its
// type's section as JSON text, and put back together as PUT takes it; and
// the fields of a refused configuration placed next to the form's fields.
import type { NotifyChannel, NotifyChannelConfig, NotifyChannelType, NotifyFieldProblem, WriteOnly } from '../api/types';

/** writeOnlyFields are the write-only fields of each type's section that the form edits one by one; a webhook's header values stay in the section, as {"set": true} or a new value. */
export const writeOnlyFields: Record<NotifyChannelType, string[]> = {
  webhook: ['url', 'secret'],
  syslog: [],
  email: ['password'],
  dingtalk: ['url', 'secret'],
  wecom: ['url'],
  feishu: ['url', 'secret'],
};

/** A new channel's section of each type: the fields it needs besides the write-only ones. */
const sectionTemplates: Record<NotifyChannelType, Record<string, unknown>> = {
  webhook: {},
  syslog: { network: 'udp', address: '' },
  email: { host: '', port: 587, security: 'starttls', username: '', from: '', to: [] },
  dingtalk: {},
  wecom: {},
  feishu: {},
};

/** What to do with a write-only field: keep the stored value (or leave an unset one empty), replace it, or clear it. */
export type SecretMode = 'keep' | 'replace' | 'clear';

export interface SecretField {
  /** the field as the center shows it: set or not, and a URL without its credentials */
  shown: WriteOnly;
  mode: SecretMode;
  value: string;
}

/** ChannelForm is the state of the channel dialog. */
export interface ChannelForm {
  name: string;
  type: string;
  disabled: boolean;
  language: string;
  timeZone: string;
  minSeverity: string;
  /** ATT&CK technique ids, separated by spaces or commas */
  techniques: string;
  /** the type's section without the write-only fields, as JSON text */
  section: string;
  secrets: Record<string, SecretField>;
  /** the configuration's other fields (rule id patterns, delivery), sent back unchanged */
  rest: NotifyChannelConfig;
}

const isType = (t: string): t is NotifyChannelType => Object.hasOwn(writeOnlyFields, t);

/** secretFieldsOf lists the write-only fields a type's form shows. */
export function secretFieldsOf(type: string): string[] {
  return isType(type) ? writeOnlyFields[type] : [];
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

function readWriteOnly(v: unknown): WriteOnly {
  if (isObject(v)) return { set: v.set === true, ...(typeof v.redacted === 'string' && v.redacted ? { redacted: v.redacted } : {}) };
  return { set: typeof v === 'string' && v !== '' };
}

/** sectionText writes a section as the form's text. */
function sectionText(section: Record<string, unknown>): string {
  return JSON.stringify(section, null, 2);
}

/** emptySecrets are the write-only fields of a type, none set. */
function emptySecrets(type: string): Record<string, SecretField> {
  return Object.fromEntries(secretFieldsOf(type).map((f) => [f, { shown: { set: false }, mode: 'keep' as SecretMode, value: '' }]));
}

/** newChannelForm is the form of a channel not yet created. */
export function newChannelForm(type: NotifyChannelType = 'webhook'): ChannelForm {
  return {
    name: '',
    type,
    disabled: false,
    language: '',
    timeZone: '',
    minSeverity: '',
    techniques: '',
    section: sectionText(sectionTemplates[type]),
    secrets: emptySecrets(type),
    rest: { type },
  };
}

/** withType changes the form's type: the section starts from the new type's template and no write-only field is set. */
export function withType(form: ChannelForm, type: string): ChannelForm {
  if (type === form.type) return form;
  return { ...form, type, section: sectionText(isType(type) ? sectionTemplates[type] : {}), secrets: emptySecrets(type) };
}

/** channelForm is the form of an existing channel, from its configuration as the center shows it. */
export function channelForm(ch: NotifyChannel): ChannelForm {
  const config: NotifyChannelConfig = ch.config ?? { type: ch.type };
  const type = String(config.type || ch.type);
  const raw = isObject(config[type]) ? { ...(config[type] as Record<string, unknown>) } : {};
  const secrets: Record<string, SecretField> = {};
  for (const f of secretFieldsOf(type)) {
    secrets[f] = { shown: readWriteOnly(raw[f]), mode: 'keep', value: '' };
    delete raw[f];
  }
  const { name: _name, type: _type, disabled, language, time_zone, filter, [type]: _section, ...others } = config;
  const { min_severity, techniques, ...otherFilter } = filter ?? {};
  return {
    name: ch.name,
    type,
    disabled: disabled ?? ch.disabled,
    language: language ?? '',
    timeZone: time_zone ?? '',
    minSeverity: min_severity ?? '',
    techniques: (techniques ?? []).join(' '),
    section: sectionText(raw),
    secrets,
    rest: { ...others, type, ...(Object.keys(otherFilter).length ? { filter: otherFilter } : {}) },
  };
}

/** splitList reads ids separated by spaces or commas. */
export function splitList(s: string): string[] {
  return s.split(/[\s,]+/).filter(Boolean);
}

/** A problem of the form found before sending: the section is not a JSON object. */
export interface FormProblem {
  slot: 'section';
  reason: 'json' | 'object';
  detail: string;
}

/**
 * buildConfig puts the form together as PUT takes it. A write-only field
 * kept is left out (the center keeps its value), a replaced one carries its
 * new value and a cleared one is "".
 */
export function buildConfig(form: ChannelForm): { config: NotifyChannelConfig } | { problem: FormProblem } {
  let section: unknown;
  try {
    section = form.section.trim() ? JSON.parse(form.section) : {};
  } catch (err) {
    return { problem: { slot: 'section', reason: 'json', detail: err instanceof Error ? err.message : String(err) } };
  }
  if (!isObject(section)) return { problem: { slot: 'section', reason: 'object', detail: '' } };
  const out: Record<string, unknown> = { ...section };
  for (const f of secretFieldsOf(form.type)) {
    const s = form.secrets[f];
    if (!s || s.mode === 'keep') delete out[f];
    else out[f] = s.mode === 'clear' ? '' : s.value;
  }
  const filter: Record<string, unknown> = { ...(form.rest.filter ?? {}) };
  if (form.minSeverity) filter.min_severity = form.minSeverity;
  const techniques = splitList(form.techniques);
  if (techniques.length) filter.techniques = techniques;
  const { filter: _f, type: _t, ...rest } = form.rest;
  const config: NotifyChannelConfig = { ...rest, name: form.name.trim(), type: form.type };
  if (form.disabled) config.disabled = true;
  if (form.language) config.language = form.language;
  if (form.timeZone.trim()) config.time_zone = form.timeZone.trim();
  if (Object.keys(filter).length) config.filter = filter;
  config[form.type] = out;
  return { config };
}

/** Slot is where the form shows a problem: a field, a write-only field of the section, the section, or apart. */
export type Slot = 'name' | 'type' | 'language' | 'time_zone' | 'min_severity' | 'techniques' | 'section' | 'other' | `secret:${string}`;

/** placeProblems puts each invalid field of a refused configuration next to the form field it belongs to. */
export function placeProblems(problems: NotifyFieldProblem[], type: string): Partial<Record<Slot, NotifyFieldProblem[]>> {
  const out: Partial<Record<Slot, NotifyFieldProblem[]>> = {};
  const secrets = secretFieldsOf(type);
  const slotOf = (path: string): Slot => {
    if (path === 'name' || path === 'type' || path === 'language' || path === 'time_zone') return path;
    if (path === 'filter.min_severity') return 'min_severity';
    if (/^filter\.techniques(\[\d+\])?$/.test(path)) return 'techniques';
    if (path === type || path.startsWith(`${type}.`) || path.startsWith(`${type}[`)) {
      const field = path.slice(type.length + 1);
      return secrets.includes(field) ? `secret:${field}` : 'section';
    }
    return 'other';
  };
  for (const p of problems) (out[slotOf(p.path)] ??= []).push(p);
  return out;
}

/** channelHealth says how a channel stands: running, disabled, or not running and why. */
export function channelHealth(ch: NotifyChannel): 'running' | 'disabled' | 'problem' | 'stopped' {
  if (ch.problem) return 'problem';
  if (ch.running) return 'running';
  return ch.disabled ? 'disabled' : 'stopped';
}
