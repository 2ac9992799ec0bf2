// The inventory's display logic: the kind a search names, the columns of
// each kind, one line per change, fields as paths and their diffs; and its
// components rendered to HTML in English and Chinese.
import { describe, expect, it } from 'vitest';
import type { Asset, AssetChange } from '../src/api/types';
import { FieldTree, fieldTreeDepth } from '../src/components/FieldTree';
import { translate, type MessageKey } from '../src/i18n';
import {
  changeLine,
  columnsFor,
  countText,
  cut,
  diffFields,
  flattenFields,
  kindName,
  kindOne,
  queryKind,
  searchTerms,
  showValue,
  tableKind,
  versionChange,
  type Translate,
} from '../src/lib/inventory';
import { AssetTable, ChangeDiff, ChangeTable, HostLink, KindTiles } from '../src/pages/AssetViews';
import { badQuery } from '../src/pages/InventoryPage';
import { ApiError } from '../src/api/client';
import { agentTab } from '../src/pages/AgentDrawer';
import { agentInventoryPath } from '../src/pages/AssetViews';
import { html, inLanguage, setLang } from './render';

const en: Translate = (k, v) => translate('en', k as MessageKey, v);
const zh: Translate = (k, v) => translate('zh', k as MessageKey, v);

inLanguage();

function item(kind: string, key: string, name: string, version: string, fields: Record<string, unknown>): Asset {
  return { agent_id: 'a1', hostname: 'web-01', collector: 'c', kind, key, name, version, fields, first_seen: '2026-11-01T00:00:00Z', updated_at: '2026-11-29T10:00:00Z' };
}

const pkg = item('package', 'deb:openssl:amd64', 'openssl', '3.0.13-1~deb12u1', {
  package: { name: 'openssl', version: '3.0.13-1~deb12u1', architecture: 'amd64', type: 'deb' },
});
const port = item('port', 'tcp/127.0.0.1:3000', '3000', '', {
  network: { transport: 'tcp', type: 'ipv4' },
  server: { ip: '127.0.0.1', port: 3000 },
  user: { id: '1000', name: 'alice' },
  process: { name: 'agentd', executable: '/opt/tool/agentd' },
  vigil: { process: { executable_deleted: true } },
  container: { id: '3f2a9c41d7e8b6a5c4d3e2f1' },
});
const sysops = item('user', 'sysops', 'sysops', '', {
  user: { name: 'sysops', id: '0', full_name: 'Ops' },
  vigil: {
    account: { shell: '/bin/bash', home: '/home/sysops', password: { status: 'empty' } },
    sudo: { rules: [{ commands: ['ALL'], nopasswd: true }, { commands: ['/usr/bin/id'] }], nopasswd: true },
  },
});
const root = item('user', 'root', 'root', '', {
  user: { name: 'root', id: '0', group: { name: 'root' } },
  vigil: { account: { shell: '/bin/bash', password: { status: 'locked', last_changed: '2026-03-02' } } },
});
const redis = item('middleware', 'redis:6379', 'redis', '5.0.7', {
  service: { type: 'redis' },
  destination: { port: [6379, 16379] },
  file: { path: '/etc/redis/redis.conf' },
});
const maria = item('middleware', 'mysql:3306', 'MariaDB', '10.11.6', { service: { type: 'mysql' }, destination: { port: [3306] }, file: { path: '/etc/mysql/my.cnf' } });
const log4j = item('library', 'maven:log4j-core@2.14.1:/opt/app.jar', 'org.apache.logging.log4j:log4j-core', '2.14.1', {
  package: { type: 'maven', path: '/opt/boot/app.jar!/BOOT-INF/lib/log4j-core-2.14.1.jar' },
});
const unit = item('service', 'ssh.service', 'ssh.service', '', { service: { state: 'active' } });

/** cells returns each column's label and the item's cell texts in a table of that kind. */
function cells(kind: string, a: Asset, t = en) {
  return columnsFor(kind, true).map((c) => [t(c.label), c.cell(a, t)] as const);
}

describe('searches', () => {
  it('cut into terms as the center does', () => {
    expect(searchTerms('name:redis  version<6')).toEqual([
      { text: 'name:redis', quoted: false },
      { text: 'version<6', quoted: false },
    ]);
    expect(searchTerms('kind:middleware "Apache Tomcat" x')).toEqual([
      { text: 'kind:middleware', quoted: false },
      { text: 'Apache Tomcat', quoted: true },
      { text: 'x', quoted: false },
    ]);
    expect(searchTerms('a"b c"d')).toEqual([
      { text: 'a', quoted: false },
      { text: 'b c', quoted: true },
      { text: 'd', quoted: false },
    ]);
    expect(searchTerms('   ')).toEqual([]);
  });

  it.each([
    ['', ''],
    ['name:redis version<6', ''],
    ['port:3000', 'port'],
    ['PORT=22', 'port'],
    ['kind:library log4j-core version<2.17', 'library'],
    ['kind=package telnet', 'package'],
    ['"kind:package"', ''],
    ['kind:colour', ''],
    ['kind:port port:22', 'port'],
    ['kind:package port:22', ''],
  ])('%j names kind %j', (q, want) => {
    expect(queryKind(q)).toBe(want);
  });

  it('picks the columns: filter, then the search, then the one kind of the items', () => {
    expect(tableKind('user', 'port:22', [pkg])).toBe('user');
    expect(tableKind('', 'port:22', [pkg])).toBe('port');
    expect(tableKind('', 'name:redis version<6', [redis, maria])).toBe('middleware');
    expect(tableKind('', 'redis', [redis, pkg])).toBe('');
    expect(tableKind('', '', [])).toBe('');
  });

  it('tells a refused search from other failures', () => {
    expect(badQuery(new ApiError(400, 'bad_request', 'q: invalid inventory query: unknown field "colour"'))).toBe('q: invalid inventory query: unknown field "colour"');
    expect(badQuery(new ApiError(500, 'internal', 'boom'))).toBe('');
    expect(badQuery(new Error('x'))).toBe('');
    expect(badQuery(null)).toBe('');
  });
});

describe('routes', () => {
  it("opens an agent's inventory tab from the URL", () => {
    expect(agentTab('inventory')).toBe('inventory');
    expect(agentTab('assets')).toBe('overview');
    expect(agentInventoryPath('a/1')).toBe('/agents/a%2F1?tab=inventory');
  });
});

describe('columns', () => {
  it('packages: name, version, architecture, host', () => {
    const c = cells('package', pkg);
    expect(c.map(([l]) => l)).toEqual(['Name', 'Version', 'Architecture', 'Host']);
    expect(c.map(([, v]) => v.text)).toEqual(['openssl', '3.0.13-1~deb12u1', 'amd64', 'web-01']);
    expect(c[0]![1].sub).toBe('deb');
    expect(c[3]![1].sub).toBe('a1');
  });

  it('ports: port, address, process (deleted executable warned), user, host', () => {
    const c = cells('port', port);
    expect(c.map(([l]) => l)).toEqual(['Port', 'Address', 'Process', 'User', 'Host']);
    expect(c.map(([, v]) => v.text)).toEqual(['3000', '127.0.0.1', 'agentd', 'alice', 'web-01']);
    expect(c[0]![1].sub).toBe('tcp');
    expect(c[2]![1]).toMatchObject({ tone: 'warn', title: '/opt/tool/agentd', sub: '/opt/tool/agentd · executable deleted or replaced · container 3f2a9c41d7e8' });
    expect(c[3]![1].sub).toBe('uid 1000');
    // Without fields: the key and the name are what is left.
    const bare = cells('port', { ...port, fields: null });
    expect(bare.map(([, v]) => v.text)).toEqual(['3000', 'tcp/127.0.0.1:3000', '', '', 'web-01']);
  });

  it('accounts: name, uid (a second uid 0 flagged), shell, sudo (NOPASSWD warned), password state', () => {
    const c = cells('user', sysops);
    expect(c.map(([l]) => l)).toEqual(['Name', 'UID', 'Shell', 'Sudo', 'Password', 'Host']);
    expect(c.map(([, v]) => v.text)).toEqual(['sysops', '0', '/bin/bash', 'yes, NOPASSWD', 'empty', 'web-01']);
    expect(c[1]![1]).toMatchObject({ tone: 'bad', sub: 'root rights (uid 0)' });
    expect(c[3]![1]).toMatchObject({ tone: 'warn', sub: '2 rules' });
    expect(c[4]![1].tone).toBe('bad');
    const r = cells('user', root);
    expect(r.map(([, v]) => v.text)).toEqual(['root', '0', '/bin/bash', '', 'locked', 'web-01']);
    expect(r[1]![1].tone).toBeUndefined();
    expect(r[4]![1].sub).toBe('changed 2026-03-02');
    const z = cells('user', sysops, zh);
    expect(z.map(([l]) => l)).toEqual(['名称', '用户 ID', '登录 Shell', 'sudo 权限', '密码状态', '主机']);
    expect(z.map(([, v]) => v.text)).toEqual(['sysops', '0', '/bin/bash', '有，免密码（NOPASSWD）', '空密码', 'web-01']);
  });

  it('middleware: product, version, ports, configuration, from the fields there are', () => {
    const c = cells('middleware', redis);
    expect(c.map(([l]) => l)).toEqual(['Product', 'Version', 'Ports', 'Configuration', 'Host']);
    expect(c.map(([, v]) => v.text)).toEqual(['redis', '5.0.7', '6379, 16379', '/etc/redis/redis.conf', 'web-01']);
    // The type is not repeated when it is the product's name.
    expect(c[0]![1].sub).toBeUndefined();
    const m = cells('middleware', maria);
    expect(m.map(([, v]) => v.text)).toEqual(['MariaDB', '10.11.6', '3306', '/etc/mysql/my.cnf', 'web-01']);
    expect(m[0]![1].sub).toBe('mysql');
  });

  it('libraries: name, version, path cut in the middle with the whole on hover', () => {
    const c = cells('library', log4j);
    expect(c.map(([l]) => l)).toEqual(['Name', 'Version', 'Path', 'Host']);
    expect(c[0]![1]).toMatchObject({ text: 'org.apache.logging.log4j:log4j-core', sub: 'maven' });
    expect(c[2]![1].title).toBe('/opt/boot/app.jar!/BOOT-INF/lib/log4j-core-2.14.1.jar');
    expect(c[2]![1].text).toBe('/opt/boot/app.jar!/…NF/lib/log4j-core-2.14.1.jar');
    expect(c[2]![1].text).toHaveLength(48);
  });

  it('other kinds: name, key, version; several kinds: the kind first; one host: no host column', () => {
    expect(cells('service', unit).map(([l]) => l)).toEqual(['Name', 'Key', 'Version', 'Host']);
    expect(cells('', unit).map(([l, v]) => `${l}=${v.text}`)).toEqual(['Kind=service', 'Name=ssh.service', 'Key=ssh.service', 'Version=', 'Host=web-01']);
    expect(columnsFor('package', false).map((c) => c.id)).toEqual(['name', 'version', 'arch']);
    expect(columnsFor('', false).map((c) => c.id)).toEqual(['kind', 'name', 'key', 'version']);
    expect(columnsFor('newkind', false).map((c) => c.id)).toEqual(['name', 'key', 'version']);
  });

  it('cuts long texts in the middle, keeping both ends', () => {
    expect(cut('short', 10)).toBe('short');
    const s = cut('/var/lib/tomcat10/webapps/shop.war!/WEB-INF/lib/log4j-core-2.14.1.jar', 30);
    expect(s).toHaveLength(30);
    expect(s.startsWith('/var/lib/tom')).toBe(true);
    expect(s.endsWith('core-2.14.1.jar')).toBe(true);
    expect(s).toContain('…');
  });

  it('names kinds in both languages, unknown kinds as they are', () => {
    expect([kindName(en, 'package'), kindOne(en, 'package'), kindName(zh, 'package'), kindOne(zh, 'port')]).toEqual(['Packages', 'package', '软件包', '监听端口']);
    expect(kindName(zh, 'user')).toBe('账号');
    expect(kindName(en, 'quantum')).toBe('quantum');
  });

  it('counts items', () => {
    expect(countText(en, 1, false)).toBe('1 item');
    expect(countText(en, 7, false)).toBe('7 items');
    expect(countText(en, 100, true)).toBe('first 100 items · more to load');
    expect(countText(zh, 7, false)).toBe('7 项资产');
  });
});

const upgrade: AssetChange = {
  id: '9',
  agent_id: 'a1',
  hostname: 'web-1',
  collector: 'os/packages',
  kind: 'package',
  key: 'deb:openssl:amd64',
  name: 'openssl',
  action: 'changed',
  at: '2026-11-29T10:00:00Z',
  before: '3.0.11',
  after: '3.0.13',
  before_fields: { package: { name: 'openssl', version: '3.0.11', architecture: 'amd64' }, vigil: { old: true } },
  after_fields: { package: { name: 'openssl', version: '3.0.13', architecture: 'amd64', source: 'openssl' } },
};

describe('changes', () => {
  it('say what changed in one line', () => {
    expect(changeLine(en, upgrade)).toBe('web-1 · package openssl 3.0.11 → 3.0.13 · changed');
    expect(changeLine(zh, upgrade)).toBe('web-1 · 软件包 openssl 3.0.11 → 3.0.13 · 变更');
    expect(changeLine(en, upgrade, false)).toBe('package openssl 3.0.11 → 3.0.13 · changed');
    const added: AssetChange = { ...upgrade, kind: 'port', name: '3000', action: 'added', before: undefined, after: undefined, hostname: undefined };
    expect(changeLine(en, added)).toBe('a1 · port 3000 · added');
    expect(changeLine(en, { ...upgrade, action: 'removed', after: '' })).toBe('web-1 · package openssl 3.0.11 · removed');
    expect(changeLine(en, { ...upgrade, action: 'moved', name: '' })).toBe('web-1 · package deb:openssl:amd64 3.0.11 → 3.0.13 · moved');
  });

  it('show versions before and after', () => {
    expect(versionChange({ before: '1', after: '2', action: 'changed' })).toBe('1 → 2');
    expect(versionChange({ before: '1', after: '1', action: 'changed' })).toBe('1');
    expect(versionChange({ after: '2', action: 'added' })).toBe('2');
    expect(versionChange({ before: '1', action: 'removed' })).toBe('1');
    expect(versionChange({ action: 'added' })).toBe('');
  });

  it('diff the fields path by path', () => {
    expect(diffFields(upgrade.before_fields, upgrade.after_fields)).toEqual([
      { path: 'package.name', before: 'openssl', after: 'openssl', change: 'same' },
      { path: 'package.version', before: '3.0.11', after: '3.0.13', change: 'changed' },
      { path: 'package.architecture', before: 'amd64', after: 'amd64', change: 'same' },
      { path: 'package.source', after: 'openssl', change: 'added' },
      { path: 'vigil.old', before: true, change: 'removed' },
    ]);
    // An added item has no fields before, a removed one none after.
    expect(diffFields(null, { a: 1 })).toEqual([{ path: 'a', after: 1, change: 'added' }]);
    expect(diffFields({ a: [1, 2] }, undefined)).toEqual([{ path: 'a', before: [1, 2], change: 'removed' }]);
    expect(diffFields({ a: [1, 2] }, { a: [1, 2] })[0]!.change).toBe('same');
    expect(diffFields({ a: [1, 2] }, { a: [2, 1] })[0]!.change).toBe('changed');
  });
});

describe('fields', () => {
  it('flatten to dotted paths, lists of objects by index', () => {
    expect(
      flattenFields({
        user: { name: 'alice', id: '1000' },
        vigil: { sudo: { rules: [{ commands: ['ALL'], nopasswd: true }], nopasswd: true }, empty: {}, none: [] },
        'flat.key': 1,
      }),
    ).toEqual([
      { path: 'user.name', value: 'alice' },
      { path: 'user.id', value: '1000' },
      { path: 'vigil.sudo.rules[0].commands', value: ['ALL'] },
      { path: 'vigil.sudo.rules[0].nopasswd', value: true },
      { path: 'vigil.sudo.nopasswd', value: true },
      { path: 'vigil.empty', value: {} },
      { path: 'vigil.none', value: [] },
      { path: 'flat.key', value: 1 },
    ]);
    expect(flattenFields(null)).toEqual([]);
    expect(flattenFields(undefined)).toEqual([]);
    expect(flattenFields('x')).toEqual([{ path: '', value: 'x' }]);
  });

  it('flatten a very deep document without recursion', () => {
    let doc: Record<string, unknown> = { leaf: 'end' };
    for (let i = 0; i < 20_000; i++) doc = { n: doc };
    const leaves = flattenFields(doc);
    expect(leaves).toHaveLength(1);
    expect(leaves[0]!.path.split('.')).toHaveLength(20_001);
    expect(leaves[0]!.value).toBe('end');
  });

  it('show values for people', () => {
    expect(showValue('a b')).toBe('a b');
    expect(showValue(3)).toBe('3');
    expect(showValue(['a', 1, true])).toBe('a, 1, true');
    expect(showValue(null)).toBe('null');
    expect(showValue({})).toBe('{}');
    expect(showValue(undefined)).toBe('');
  });
});

describe('components', () => {
  it("name a Kubernetes cluster's objects without a link to an agent page", () => {
    const out = html(<HostLink agentId="k8s:prod" hostname="cluster prod" />);
    expect(out).toContain('cluster prod');
    expect(out).not.toContain('href=');
  });

  it('show the field tree with every branch open, text escaped', () => {
    const out = html(<FieldTree value={{ user: { name: '<alice>', id: 1000 }, vigil: { sudo: { rules: [{ nopasswd: true }] } } }} testId="t" />);
    expect(out).toContain('data-path="user.name"');
    expect(out).toContain('&lt;alice&gt;');
    expect(out).not.toContain('<alice>');
    expect(out).toContain('<span class="ft-val ft-num">1000</span>');
    expect(out).toContain('data-path="vigil.sudo.rules[0]"');
    expect(out).toContain('<span class="ft-val ft-lit">true</span>');
    expect(out.split('aria-expanded="true"').length - 1).toBe(5);
    expect(html(<FieldTree value={{}} />)).toContain('This item has no fields.');
  });

  it('cut a deep tree to JSON below its depth', () => {
    let doc: Record<string, unknown> = { leaf: 'end' };
    for (let i = 0; i < 200; i++) doc = { n: doc };
    const out = html(<FieldTree value={doc} />);
    expect(out.split('class="ft-node"').length - 1).toBe(fieldTreeDepth);
    expect(out).toContain('<pre class="ft-deep">');
    expect(out).toContain('&quot;leaf&quot;: &quot;end&quot;');
  });

  it('show the kind tiles with the chosen one pressed', () => {
    const kinds = [
      { kind: 'package', items: 1510, agents: 4 },
      { kind: 'port', items: 12, agents: 1 },
    ];
    const out = html(<KindTiles kinds={kinds} value="port" onPick={() => undefined} hosts testId="tiles" />);
    expect(out).toContain('data-kind="all"');
    expect(out).toMatch(/data-kind="all".*?>1,522</);
    expect(out).toContain('Packages');
    expect(out).toContain('on 4 hosts');
    expect(out).toContain('on 1 host<');
    expect(out).toMatch(/aria-pressed="true" data-kind="port"/);
    setLang('zh');
    const z = html(<KindTiles kinds={kinds} value="" onPick={() => undefined} hosts />);
    expect(z).toContain('软件包');
    expect(z).toContain('监听端口');
    expect(z).toContain('分布于 4 台主机');
  });

  it('show an item table with the columns of its kind, in both languages', () => {
    const out = html(<AssetTable items={[sysops, root]} kind="user" withHost onOpen={() => undefined} testId="t" />);
    expect(out).toContain('data-kind="user"');
    expect(out).toContain('<th>Sudo</th><th>Password</th><th>Host</th>');
    expect(out).toContain('href="/agents/a1?tab=inventory"');
    expect(out).toContain('class="inv-cell mono text-bad"');
    setLang('zh');
    const z = html(<AssetTable items={[pkg]} kind="package" withHost={false} testId="t" />);
    expect(z).toContain('<th>名称</th><th>版本</th><th>架构</th>');
    expect(z).not.toContain('主机</th>');
    // Without onOpen the rows open below themselves.
    expect(z).toContain('class="c-toggle"');
  });

  it('show a change table and a diff', () => {
    const out = html(<ChangeTable items={[upgrade]} withHost testId="c" />);
    expect(out).toContain('title="web-1 · package openssl 3.0.11 → 3.0.13 · changed"');
    expect(out).toContain('3.0.11 → 3.0.13');
    expect(out).toContain('data-action="changed"');
    const diff = html(<ChangeDiff change={upgrade} />);
    expect(diff).toContain('data-path="package.version" data-change="changed"');
    expect(diff).toContain('data-path="vigil.old" data-change="removed"');
    expect(diff).not.toContain('data-path="package.name"');
    expect(diff).toContain('Show 2 unchanged fields');
  });
});
