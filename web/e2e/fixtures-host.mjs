// Fixture data of one host for the fake API: the answer of the "processes"
// command (systemd with sshd, an interactive session that became a
// reverse shell, a sudo, nginx with its workers, a container, the kernel's
// threads) and that host's recent events, telling the same story.

const minute = 60_000;

/** @param {number} now @param {number} ms */
function ago(now, ms) {
  return new Date(now - ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const containerId = '3f2a9c41d7e8b6a5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1';
/** The reverse shell of the fixture: its pid and its connection. */
export const reverseShell = { pid: 40377, local: '10.0.1.11:51234', remote: '203.0.113.9:4444' };

/**
 * makeProcesses is the process table of a host, as ProcessInfo records.
 * @param {number} now
 * @param {string} host the agent's id, to make entity ids
 */
export function makeProcesses(now, host) {
  const id = (pid) => `${host.slice(-4)}-${pid}`;
  const list = [];
  /**
   * @param {number} pid @param {number} ppid @param {string} name @param {string} exe @param {string[]} args
   * @param {Record<string, unknown>} [over]
   */
  const p = (pid, ppid, name, exe, args, over = {}) => {
    const rec = {
      entity_id: id(pid),
      pid,
      ppid,
      name,
      executable: exe,
      args,
      working_directory: '/',
      user: 'root',
      uid: 0,
      euid: 0,
      start: ago(now, 40 * 86_400_000 - pid * 1000),
      sha256: `${String(pid).padStart(8, '0')}9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08`.slice(0, 64),
      ...over,
    };
    if (ppid > 0) rec.parent_entity_id = id(ppid);
    list.push(rec);
  };
  p(1, 0, 'systemd', '/usr/lib/systemd/systemd', ['/sbin/init', 'splash']);
  p(2, 0, 'kthreadd', '', [], { sha256: undefined });
  for (const [pid, name] of [
    [3, 'rcu_gp'],
    [4, 'rcu_par_gp'],
    [14, 'ksoftirqd/0'],
    [15, 'rcu_preempt'],
  ]) {
    p(pid, 2, name, '', [], { sha256: undefined });
  }
  p(318, 1, 'systemd-journal', '/usr/lib/systemd/systemd-journald', ['/usr/lib/systemd/systemd-journald']);
  p(402, 1, 'systemd-udevd', '/usr/lib/systemd/systemd-udevd', ['/usr/lib/systemd/systemd-udevd']);
  p(611, 1, 'cron', '/usr/sbin/cron', ['/usr/sbin/cron', '-f', '-P']);
  p(640, 1, 'vigil-agent', '/usr/bin/vigil-agent', ['/usr/bin/vigil-agent', 'run', '--config', '/etc/vigil/agent.yaml'], {
    working_directory: '/var/lib/vigil',
    // stdout and stderr go to the journal: unix sockets, not a warning.
    stdio: ['', 'socket:unix /run/systemd/journal/stdout', 'socket:unix /run/systemd/journal/stdout'],
  });
  p(811, 1, 'sshd', '/usr/sbin/sshd', ['sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups']);
  const login = { start: ago(now, 42 * minute) };
  p(40211, 811, 'sshd', '/usr/sbin/sshd', ['sshd: alice [priv]'], { ...login, login_user: 'alice' });
  p(40230, 40211, 'sshd', '/usr/sbin/sshd', ['sshd: alice@pts/0'], { ...login, user: 'alice', uid: 1000, euid: 1000, login_user: 'alice' });
  const alice = { user: 'alice', uid: 1000, euid: 1000, login_user: 'alice', tty: 'pts/0', working_directory: '/home/alice' };
  p(40231, 40230, 'bash', '/usr/bin/bash', ['-bash'], { ...alice, start: ago(now, 41 * minute) });
  p(40377, 40231, 'bash', '/usr/bin/bash', ['bash', '-i'], {
    ...alice,
    tty: undefined,
    start: ago(now, 23 * minute),
    stdio: [
      `socket:tcp ${reverseShell.local}->${reverseShell.remote}`,
      `socket:tcp ${reverseShell.local}->${reverseShell.remote}`,
      `socket:tcp ${reverseShell.local}->${reverseShell.remote}`,
    ],
  });
  p(40391, 40377, 'python3', '/usr/bin/python3.11', ['python3', '-c', 'import pty; pty.spawn("/bin/bash")'], { ...alice, tty: undefined, start: ago(now, 22 * minute), stdio: ['socket:tcp 10.0.1.11:51234->203.0.113.9:4444', 'socket:tcp 10.0.1.11:51234->203.0.113.9:4444', 'socket:tcp 10.0.1.11:51234->203.0.113.9:4444'] });
  p(40392, 40391, 'bash', '/usr/bin/bash', ['/bin/bash'], { ...alice, tty: 'pts/1', start: ago(now, 22 * minute) });
  p(40410, 40392, 'sudo', '/usr/bin/sudo', ['sudo', '-i'], { ...alice, tty: 'pts/1', user: 'root', euid: 0, start: ago(now, 21 * minute) });
  p(40412, 40410, 'bash', '/usr/bin/bash', ['-bash'], { user: 'root', uid: 0, euid: 0, login_user: 'alice', tty: 'pts/1', working_directory: '/root', start: ago(now, 21 * minute) });
  p(1180, 1, 'nginx', '/usr/sbin/nginx', ['nginx: master process /usr/sbin/nginx -g daemon on; master_process on;'], { working_directory: '/' });
  for (const pid of [1181, 1182, 1183, 1184]) {
    p(pid, 1180, 'nginx', '/usr/sbin/nginx', ['nginx: worker process'], { user: 'www-data', uid: 33, euid: 33 });
  }
  p(902, 1, 'containerd', '/usr/bin/containerd', ['/usr/bin/containerd']);
  p(2301, 1, 'containerd-shim', '/usr/bin/containerd-shim-runc-v2', ['/usr/bin/containerd-shim-runc-v2', '-namespace', 'moby', '-id', containerId, '-address', '/run/containerd/containerd.sock']);
  const app = { container_id: containerId, user: 'node', uid: 1000, euid: 1000, working_directory: '/app', start: ago(now, 3 * 86_400_000) };
  p(2320, 2301, 'node', '/usr/local/bin/node', ['node', '--max-old-space-size=512', 'server.js'], app);
  p(2388, 2320, 'node', '/usr/local/bin/node', ['/usr/local/bin/node', '/app/worker.js', '--queue', 'emails and "notifications"'], app);
  return list;
}

/**
 * makeHostEvents is the host's recent story as ECS events, newest first.
 * @param {number} now @param {string} agentId @param {string} hostname
 */
export function makeHostEvents(now, agentId, hostname) {
  const alice = { name: 'alice', id: '1000' };
  const shellProc = {
    pid: reverseShell.pid,
    entity_id: `${agentId.slice(-4)}-${reverseShell.pid}`,
    name: 'bash',
    executable: '/usr/bin/bash',
    args: ['bash', '-i'],
    args_count: 2,
    command_line: 'bash -i',
    user: alice,
    stdio: [0, 1, 2].map((fd) => ({ fd, type: 'socket', transport: 'tcp', local: reverseShell.local, remote: reverseShell.remote })),
    parent: { pid: 40231, name: 'bash', executable: '/usr/bin/bash', command_line: '-bash' },
  };
  const [rip, rport] = reverseShell.remote.split(':');
  const [lip, lport] = reverseShell.local.split(':');
  const story = [
    [42, 'authentication', 'logged-in', { 'event.outcome': 'success', user: { name: 'alice' }, source: { ip: '198.51.100.23', port: 52144 }, vigil: { auth: { method: 'publickey', service: 'sshd' } }, process: { pid: 40211, name: 'sshd' }, message: 'alice logged in over ssh from 198.51.100.23 (publickey)' }],
    [42, 'session', 'logged-in', { user: { name: 'alice' }, process: { pid: 40230, tty: { name: 'pts/0' } }, message: 'session opened for alice on pts/0' }],
    [41, 'process', 'exec', { process: { pid: 40231, name: 'bash', executable: '/usr/bin/bash', command_line: '-bash', user: alice }, user: alice, message: 'sshd (pid 40230) executed /usr/bin/bash' }],
    [30, 'network', 'dns-query', { dns: { question: { name: 'c2.example.net', type: 'A' }, resolved_ip: ['203.0.113.9'] }, process: { pid: 40231, name: 'bash' }, message: 'bash asked for c2.example.net' }],
    [23, 'process', 'exec', { process: shellProc, user: alice, message: `bash (pid 40231) executed /usr/bin/bash -i with stdio on tcp ${reverseShell.remote}` }],
    [23, 'network', 'connection-attempted', { source: { ip: lip, port: Number(lport) }, destination: { ip: rip, port: Number(rport) }, network: { transport: 'tcp', type: 'ipv4', direction: 'egress' }, process: { pid: reverseShell.pid, name: 'bash', executable: '/usr/bin/bash' }, user: alice, message: `bash (pid ${reverseShell.pid}) connected to ${reverseShell.remote}` }],
    [22, 'process', 'exec', { process: { pid: 40391, name: 'python3', executable: '/usr/bin/python3.11', command_line: `python3 -c 'import pty; pty.spawn("/bin/bash")'` }, user: alice }],
    [21, 'authentication', 'sudo', { 'event.outcome': 'success', user: { name: 'alice', target: { name: 'root' } }, vigil: { auth: { service: 'sudo' } }, process: { command_line: '/bin/bash -i' }, message: 'alice ran sudo -i as root' }],
    [19, 'iam', 'user-added', { user: { name: 'alice', target: { name: 'support' } }, message: 'user support (uid 1001) added with home /home/support' }],
    [18, 'file', 'file-modified', { file: { path: '/etc/cron.d/sysupdate', name: 'sysupdate', directory: '/etc/cron.d', size: 88, mode: '0644' }, process: { pid: 40412, name: 'bash', executable: '/usr/bin/bash' }, user: { name: 'root' }, message: '/etc/cron.d/sysupdate modified by bash (pid 40412)' }],
    [17, 'configuration', 'file-modified', { file: { path: '/etc/ssh/sshd_config' }, user: { name: 'root' }, message: 'sshd_config changed: PermitRootLogin yes' }],
    [16, 'package', 'package-installed', { package: { name: 'netcat-openbsd', version: '1.219-1' }, message: 'package netcat-openbsd 1.219-1 installed' }],
    [15, 'driver', 'module-loaded', { file: { path: '/lib/modules/6.1.0-28-amd64/kernel/net/netfilter/nf_tables.ko' }, message: 'kernel module nf_tables loaded' }],
    [9, 'host', 'interface-added', { message: 'network interface veth3a1f2c0 added' }],
    [4, 'network', 'connection-accepted', { source: { ip: '198.51.100.40', port: 61022 }, destination: { ip: '10.0.1.11', port: 443 }, network: { transport: 'tcp', type: 'ipv4', direction: 'ingress' }, process: { pid: 1181, name: 'nginx', executable: '/usr/sbin/nginx' } }],
  ];
  return story
    .map(([mins, category, action, fields], i) => {
      const { 'event.outcome': outcome, ...rest } = fields;
      return {
        '@timestamp': new Date(now - mins * minute - i * 1000).toISOString(),
        ...rest,
        event: { id: `hev-${String(i + 1).padStart(4, '0')}`, kind: 'event', category, action, dataset: 'fixture', ...(outcome ? { outcome } : {}) },
        agent: { id: agentId, version: '0.3.0' },
        host: { name: hostname },
      };
    })
    .reverse();
}
