import { describe, expect, it } from 'vitest';
import { PolicyError } from '../http/errors.ts';
import { PinnedPackage } from '../packages/pinned-package.ts';
import { createTestResolver } from './test-resolver.ts';
import { assertLaunchSpec, LaunchSpecError, validateLaunchSpec, type PackagePin } from './validate-launch-spec.ts';

const NPM: PackagePin = { runtime: 'npm', name: '@modelcontextprotocol/server-everything', version: '2026.8.31' };
const PYPI: PackagePin = { runtime: 'pypi', name: 'mcp-server-fetch', version: '2025.4.7' };
const NPX_ARGS = ['-y', '@modelcontextprotocol/server-everything@2026.8.31'];
const npx = (extra: Record<string, unknown> = {}, args: string[] = NPX_ARGS) => ({ command: 'npx', args, ...extra });
const remote = (extra: Record<string, unknown> = {}) => ({ url: 'https://mcp.example.org/mcp', ...extra });

interface Case {
  name: string;
  spec: unknown;
  pinned?: PackagePin | null;
  /** Undefined: the spec must pass. Otherwise the rule (and optionally the path) of an issue it must raise. */
  rule?: string;
  path?: string;
}

const cases: Case[] = [
  // structure
  { name: 'minimal npx spec', spec: npx() },
  { name: 'unknown field', spec: { ...npx(), shell: true }, rule: 'unknown_field' },
  { name: 'args not an array', spec: { command: 'npx', args: '-y x' }, rule: 'type', path: 'args' },
  { name: 'neither command nor url', spec: {}, rule: 'command_or_url' },
  { name: 'both command and url', spec: { ...npx(), url: 'https://example.com/' }, rule: 'command_or_url' },
  // command
  { name: 'command with surrounding spaces', spec: npx({ command: '  npx ' }) },
  { name: 'command not allowlisted', spec: npx({ command: 'bash' }), rule: 'command_allowlist', path: 'command' },
  { name: 'command as a path', spec: npx({ command: '/usr/bin/npx' }), rule: 'command_allowlist' },
  { name: 'command with arguments', spec: npx({ command: 'npx -c id' }), rule: 'command_allowlist' },
  { name: 'command in upper case', spec: npx({ command: 'NPX' }), rule: 'command_allowlist' },
  { name: 'fullwidth look-alike', spec: npx({ command: 'ｎｐｘ' }), rule: 'ascii_only' },
  { name: 'Cyrillic look-alike', spec: npx({ command: 'nрx' }), rule: 'ascii_only' },
  { name: 'npm package with uvx', spec: { command: 'uvx', args: ['x==1'] }, rule: 'runtime_mismatch' },
  { name: 'PyPI package with npx', spec: npx(), pinned: PYPI, rule: 'runtime_mismatch' },
  // options before the package, per interpreter
  { name: 'npx --yes', spec: npx({}, ['--yes', NPX_ARGS[1]!]) },
  { name: 'npx -c', spec: npx({}, ['-c', 'id']), rule: 'inline_code', path: 'args[0]' },
  { name: 'npx --call=', spec: npx({}, ['--call=id', NPX_ARGS[1]!]), rule: 'inline_code' },
  { name: 'npx -yc cluster', spec: npx({}, ['-yc', 'id']), rule: 'inline_code' },
  { name: 'npx --registry', spec: npx({}, ['--registry=https://evil.example.com', NPX_ARGS[1]!]), rule: 'option_not_allowed' },
  { name: 'npx --package', spec: npx({}, ['--package=evil', NPX_ARGS[1]!]), rule: 'option_not_allowed' },
  { name: 'npx other package', spec: npx({}, ['-y', 'evil@1.0.0']), rule: 'pinned_package', path: 'args[1]' },
  { name: 'npx unpinned range', spec: npx({}, ['-y', '@modelcontextprotocol/server-everything@latest']), rule: 'pinned_package' },
  { name: 'npx without package', spec: npx({}, ['-y']), rule: 'pinned_package', path: 'args' },
  { name: 'server args after the package', spec: npx({}, [...NPX_ARGS, '--port=8080', '-p', 'x']) },
  { name: 'node script', spec: { command: 'node', args: ['--enable-source-maps', 'dist/index.js'] } },
  { name: 'node -e', spec: { command: 'node', args: ['-e', 'require(1)'] }, rule: 'inline_code' },
  { name: 'node --eval=', spec: { command: 'node', args: ['--eval=1'] }, rule: 'inline_code' },
  { name: 'node -p', spec: { command: 'node', args: ['-p', '1'] }, rule: 'inline_code' },
  { name: 'node -pe', spec: { command: 'node', args: ['-pe', '1'] }, rule: 'inline_code' },
  { name: 'node --require', spec: { command: 'node', args: ['--require', 'x', 'a.js'] }, rule: 'inline_code' },
  { name: 'node -r', spec: { command: 'node', args: ['-r', 'x', 'a.js'] }, rule: 'inline_code' },
  { name: 'node --import', spec: { command: 'node', args: ['--import=x', 'a.js'] }, rule: 'inline_code' },
  { name: 'node --inspect', spec: { command: 'node', args: ['--inspect=0.0.0.0:9229', 'a.js'] }, rule: 'inline_code' },
  { name: 'node --max-old-space-size', spec: { command: 'node', args: ['--max-old-space-size=512', 'a.js'] } },
  { name: 'node --experimental-vm-modules', spec: { command: 'node', args: ['--experimental-vm-modules', 'a.js'] }, rule: 'option_not_allowed' },
  { name: 'uvx pinned', spec: { command: 'uvx', args: ['mcp-server-fetch==2025.4.7', '--ignore-robots-txt'] }, pinned: PYPI },
  { name: 'uvx other version', spec: { command: 'uvx', args: ['mcp-server-fetch==1.0'] }, pinned: PYPI, rule: 'pinned_package' },
  { name: 'uvx --from', spec: { command: 'uvx', args: ['--from', 'evil', 'mcp-server-fetch==2025.4.7'] }, pinned: PYPI, rule: 'inline_code' },
  { name: 'uvx --index-url', spec: { command: 'uvx', args: ['--index-url=https://evil.example.com', 'mcp-server-fetch==2025.4.7'] }, pinned: PYPI, rule: 'option_not_allowed' },
  { name: 'python -m pinned module', spec: { command: 'python3', args: ['-u', '-m', 'mcp_server_fetch'] }, pinned: PYPI },
  { name: 'python -m other module', spec: { command: 'python', args: ['-m', 'http.server'] }, pinned: PYPI, rule: 'inline_code' },
  { name: 'python -mhttp.server', spec: { command: 'python', args: ['-mhttp.server'] }, pinned: PYPI, rule: 'inline_code' },
  { name: 'python -c', spec: { command: 'python', args: ['-c', 'import os'] }, pinned: PYPI, rule: 'inline_code' },
  { name: 'python -Ic cluster', spec: { command: 'python', args: ['-Ic', 'x'] }, pinned: PYPI, rule: 'inline_code' },
  { name: 'python script', spec: { command: 'python', args: ['evil.py'] }, pinned: PYPI, rule: 'python_module_required' },
  { name: 'python without -m', spec: { command: 'python', args: ['-u'] }, pinned: PYPI, rule: 'python_module_required' },
  // arguments
  { name: '100 arguments', spec: npx({}, [...NPX_ARGS, ...Array.from({ length: 98 }, (_, i) => `a${i}`)]) },
  { name: '101 arguments', spec: npx({}, [...NPX_ARGS, ...Array.from({ length: 99 }, (_, i) => `a${i}`)]), rule: 'args_count' },
  { name: '500-char argument', spec: npx({}, [...NPX_ARGS, 'a'.repeat(500)]) },
  { name: '501-char argument', spec: npx({}, [...NPX_ARGS, 'a'.repeat(501)]), rule: 'arg_length', path: 'args[2]' },
  { name: 'argument with a semicolon', spec: npx({}, [...NPX_ARGS, 'a;id']), rule: 'arg_shell_metachar' },
  { name: 'argument with $(', spec: npx({}, [...NPX_ARGS, '$(id)']), rule: 'arg_shell_metachar' },
  { name: 'argument with a space', spec: npx({}, [...NPX_ARGS, 'a b']), rule: 'arg_charset' },
  { name: 'argument with traversal', spec: npx({}, [...NPX_ARGS, '--root=../../etc']), rule: 'arg_traversal' },
  { name: 'argument -- alone', spec: npx({}, [...NPX_ARGS, '--']), rule: 'arg_double_dash' },
  { name: 'argument with a dot-dot inside a name', spec: npx({}, [...NPX_ARGS, 'v1..2']) },
  { name: 'argument with a newline', spec: npx({}, [...NPX_ARGS, 'a\nb']), rule: 'control_chars' },
  { name: 'argument with an https URL', spec: npx({}, [...NPX_ARGS, '--api=https://example.com/v1']) },
  { name: 'argument with an http URL', spec: npx({}, [...NPX_ARGS, '--api=http://example.com/v1']), rule: 'url_scheme' },
  { name: 'argument URL to metadata', spec: npx({}, [...NPX_ARGS, 'https://169.254.169.254/latest']), rule: 'url_host_blocked' },
  // environment
  { name: 'ordinary env', spec: npx({ env: { API_KEY: 'sk-123', NODE_ENV: 'production', PYTHONUNBUFFERED: '1' } }) },
  { name: 'env name with a dash', spec: npx({ env: { 'API-KEY': 'x' } }), rule: 'env_name_format', path: 'env.API-KEY' },
  { name: 'env name starting with a digit', spec: npx({ env: { '1X': 'x' } }), rule: 'env_name_format' },
  { name: 'env name of 257 characters', spec: npx({ env: { ['A'.repeat(257)]: 'x' } }), rule: 'env_name_length' },
  { name: 'env name of 256 characters', spec: npx({ env: { ['A'.repeat(256)]: 'x' } }) },
  ...['LD_PRELOAD', 'NODE_OPTIONS', 'PYTHONPATH', 'PATH', 'IFS', 'BASH_ENV', 'NODE_TLS_REJECT_UNAUTHORIZED', 'GCONV_PATH', 'PERL5OPT', 'JAVA_TOOL_OPTIONS', 'REQUESTS_CA_BUNDLE', 'GLIBC_TUNABLES'].map(
    (name): Case => ({ name: `blocked env ${name}`, spec: npx({ env: { [name]: 'x' } }), rule: 'env_blocked', path: `env.${name}` }),
  ),
  ...['NPM_CONFIG_REGISTRY', 'npm_config_registry', 'PIP_INDEX_URL', 'UV_INDEX_URL', 'HTTPS_PROXY', 'http_proxy', 'ALL_PROXY', 'SSL_CERT_FILE', 'DYLD_INSERT_LIBRARIES', 'PYTHONBREAKPOINT', 'BASH_FUNC_x%%', 'HANGAR_SECRET', 'FLY_API_TOKEN', 'OPENSSL_CONF'].map(
    (name): Case => ({ name: `blocked env family ${name}`, spec: npx({ env: { [name]: 'x' } }), rule: name.includes('%') ? 'env_name_format' : 'env_blocked_prefix' }),
  ),
  { name: 'env value of 32 KiB', spec: npx({ env: { BIG: 'x'.repeat(32 * 1024) } }) },
  { name: 'env value over 32 KiB', spec: npx({ env: { BIG: 'x'.repeat(32 * 1024 + 1) } }), rule: 'env_value_length' },
  { name: 'env value with CRLF', spec: npx({ env: { A: 'x\r\nB=y' } }), rule: 'control_chars' },
  { name: 'env value with NUL', spec: npx({ env: { A: 'x\u0000' } }), rule: 'control_chars' },
  { name: 'env value with a bidi override', spec: npx({ env: { A: 'abc\u202edef' } }), rule: 'control_chars' },
  { name: 'env value with Unicode text', spec: npx({ env: { GREETING: 'héllo wörld ✓' } }) },
  { name: '101 env vars', spec: npx({ env: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`V${i}`, 'x'])) }), rule: 'env_count' },
  { name: 'env URL resolving to loopback', spec: npx({ env: { BASE_URL: 'https://rebind.example.net/' } }), rule: 'url_host_resolves_blocked', path: 'env.BASE_URL' },
  { name: 'env URL to a public host', spec: npx({ env: { BASE_URL: 'https://example.com/api' } }) },
  // headers
  { name: 'ordinary headers', spec: remote({ headers: { Authorization: 'Bearer x', 'X-Api-Key': 'k' } }) },
  { name: 'header Host', spec: remote({ headers: { Host: 'internal' } }), rule: 'header_blocked', path: 'headers.Host' },
  { name: 'header Transfer-Encoding', spec: remote({ headers: { 'Transfer-Encoding': 'chunked' } }), rule: 'header_blocked' },
  { name: 'header Proxy-Authorization', spec: remote({ headers: { 'Proxy-Authorization': 'x' } }), rule: 'header_blocked' },
  { name: 'header X-Forwarded-For', spec: remote({ headers: { 'X-Forwarded-For': '127.0.0.1' } }), rule: 'header_blocked' },
  { name: 'header name with underscore', spec: remote({ headers: { X_Key: 'x' } }), rule: 'header_name_format' },
  { name: 'header value with CRLF', spec: remote({ headers: { 'X-A': 'x\r\nHost: evil' } }), rule: 'control_chars' },
  { name: 'header value over 8 KiB', spec: remote({ headers: { 'X-A': 'x'.repeat(8193) } }), rule: 'header_value_length' },
  { name: '51 headers', spec: remote({ headers: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`X-H${i}`, 'x'])) }), rule: 'headers_count' },
  // query parameters
  { name: 'ordinary query', spec: remote({ queryParams: { region: 'eu', 'api-version': '2' } }) },
  { name: 'query name with a dot', spec: remote({ queryParams: { 'a.b': 'x' } }), rule: 'query_name_format' },
  { name: 'query value with a tab', spec: remote({ queryParams: { a: 'x\ty' } }), rule: 'control_chars' },
  { name: 'query value over 2 KiB', spec: remote({ queryParams: { a: 'x'.repeat(2049) } }), rule: 'query_value_length' },
  { name: '51 query parameters', spec: remote({ queryParams: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`q${i}`, 'x'])) }), rule: 'query_count' },
  // url
  { name: 'https URL to a public host', spec: remote() },
  { name: 'http URL', spec: remote({ url: 'http://mcp.example.org/mcp' }), rule: 'url_scheme', path: 'url' },
  { name: 'file URL', spec: remote({ url: 'file:///etc/passwd' }), rule: 'url_scheme' },
  { name: 'not a URL', spec: remote({ url: 'mcp.example.org' }), rule: 'url_format' },
  { name: 'URL with credentials', spec: remote({ url: 'https://user:pw@mcp.example.org/' }), rule: 'url_credentials' },
  { name: 'URL to 127.0.0.1', spec: remote({ url: 'https://127.0.0.1/' }), rule: 'url_host_blocked' },
  { name: 'URL to decimal loopback', spec: remote({ url: 'https://2130706433/' }), rule: 'url_host_blocked' },
  { name: 'URL to [::1]', spec: remote({ url: 'https://[::1]:8080/' }), rule: 'url_host_blocked' },
  { name: 'URL to mapped IPv6', spec: remote({ url: 'https://[::ffff:169.254.169.254]/' }), rule: 'url_host_blocked' },
  { name: 'URL to 10/8', spec: remote({ url: 'https://10.0.0.1/' }), rule: 'url_host_blocked' },
  { name: 'URL to localhost', spec: remote({ url: 'https://localhost/' }), rule: 'url_host_blocked' },
  { name: 'URL to GCP metadata', spec: remote({ url: 'https://metadata.google.internal/' }), rule: 'url_host_blocked' },
  { name: 'URL to Fly private DNS', spec: remote({ url: 'https://other-tenant.internal/' }), rule: 'url_host_blocked' },
  { name: 'URL resolving to metadata', spec: remote({ url: 'https://meta.example.net/' }), rule: 'url_host_resolves_blocked' },
  { name: 'URL resolving to one private address among public ones', spec: remote({ url: 'https://mixed.example.net/' }), rule: 'url_host_resolves_blocked' },
  { name: 'URL resolving to Fly 6PN', spec: remote({ url: 'https://fly6pn.example.net/' }), rule: 'url_host_resolves_blocked' },
  { name: 'URL that does not resolve', spec: remote({ url: 'https://nx.example.net/' }), rule: 'url_host_unresolvable' },
  { name: 'URL of 2049 characters', spec: remote({ url: `https://example.com/${'a'.repeat(2030)}` }), rule: 'url_length' },
];

describe('validateLaunchSpec: every rule, passing and failing', () => {
  it.each(cases)('$name', async ({ spec, pinned, rule, path }) => {
    const result = await validateLaunchSpec(spec, { resolveHost: createTestResolver(), pinned: pinned === null ? undefined : (pinned ?? NPM) });
    if (rule === undefined) {
      expect(result).toMatchObject({ ok: true });
      return;
    }
    expect(result.ok).toBe(false);
    const issues = result.ok ? [] : result.issues;
    expect(issues.map((i) => i.rule)).toContain(rule);
    if (path !== undefined) expect(issues.find((i) => i.rule === rule)?.path).toBe(path);
    for (const issue of issues) expect(issue.message.length).toBeGreaterThan(0);
  });

  it('reports every issue at once, each with its path and rule', async () => {
    const result = await validateLaunchSpec(
      { command: 'npx', args: ['-c', 'id'], env: { LD_PRELOAD: '/x.so', OK: 'y', 'BAD-NAME': 'z' } },
      { resolveHost: createTestResolver(), pinned: NPM },
    );
    expect(result).toEqual({
      ok: false,
      issues: [
        { path: 'args[0]', rule: 'inline_code', message: '-c runs or preloads code given on the command line' },
        { path: 'args[1]', rule: 'pinned_package', message: 'the package argument must be exactly @modelcontextprotocol/server-everything@2026.8.31' },
        { path: 'env.LD_PRELOAD', rule: 'env_blocked', message: 'LD_PRELOAD may change how the runtime loads code or trusts peers' },
        { path: 'env.BAD-NAME', rule: 'env_name_format', message: 'name must match ^[A-Za-z_][A-Za-z0-9_]*$' },
      ],
    });
  });

  it('assertLaunchSpec throws a 422 LaunchSpecError carrying the issues, and returns the spec when valid', async () => {
    const error = await assertLaunchSpec({ url: 'http://x.example.com' }, { resolveHost: createTestResolver() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LaunchSpecError);
    expect(error).toBeInstanceOf(PolicyError);
    expect(error).toMatchObject({ status: 422, code: 'launch_spec_rejected', details: { issues: [{ path: 'url', rule: 'url_scheme' }] } });
    expect(await assertLaunchSpec(npx(), { resolveHost: createTestResolver(), pinned: NPM })).toEqual({ ...npx(), env: {}, headers: {}, queryParams: {} });
  });
});

describe('admission commands pass launch-spec validation, and never cross runtimes', () => {
  it('accepts the npx and uvx commands admission builds for their own runtime only', async () => {
    const resolveHost = createTestResolver();
    const [npmCommand, ...npmArgs] = PinnedPackage.of(NPM).command();
    const [uvxCommand, ...uvxArgs] = PinnedPackage.of(PYPI).command();
    expect(await validateLaunchSpec({ command: npmCommand, args: npmArgs }, { resolveHost, pinned: NPM })).toMatchObject({ ok: true });
    expect(await validateLaunchSpec({ command: uvxCommand, args: uvxArgs }, { resolveHost, pinned: PYPI })).toMatchObject({ ok: true });
    const crossed = await validateLaunchSpec({ command: npmCommand, args: npmArgs }, { resolveHost, pinned: PYPI });
    expect(crossed.ok ? [] : crossed.issues.map((i) => i.rule)).toContain('runtime_mismatch');
  });
});
