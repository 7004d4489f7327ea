/**
 * Fernet throughput, in one run: Hangar's strict node:crypto implementation (api/vault/fernet.ts) and the
 * `fernet` npm package (TTL 0, as stored data needs), on the same key and messages. Prints ops/s.
 * Run: npm run bench:vault  (or npx tsx bench/vault/run.ts [--seconds 1])
 */
import fernet from 'fernet';
import { maskDeep, SecretRegistry } from '../../api/platform/mask.ts';
import { decryptToken, encryptToken, generateFernetKey, parseFernetKey } from '../../api/vault/fernet.ts';

const secondsArg = process.argv.indexOf('--seconds');
const SECONDS = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 1;

interface Implementation {
  name: string;
  encrypt(message: string): string;
  decrypt(token: string): string;
}

const keyText = generateFernetKey();
const key = parseFernetKey(keyText);
const secret = new fernet.Secret(keyText);
const implementations: Implementation[] = [
  {
    name: 'hangar (node:crypto, strict)',
    encrypt: (m) => encryptToken(key, m),
    decrypt: (t) => decryptToken(key, t).toString('utf8'),
  },
  {
    name: 'fernet npm 0.4 (crypto-js)',
    encrypt: (m) => new fernet.Token({ secret, ttl: 0 }).encode(m),
    decrypt: (t) => new fernet.Token({ secret, token: t, ttl: 0 }).decode(),
  },
];

/** Runs `op` for about SECONDS seconds (after a short warm-up) and returns operations per second. */
function measure(op: (i: number) => void): number {
  for (let i = 0; i < 200; i += 1) op(i);
  const deadline = performance.now() + SECONDS * 1000;
  const start = performance.now();
  let count = 0;
  while (performance.now() < deadline) {
    for (let i = 0; i < 50; i += 1) op(count + i);
    count += 50;
  }
  return count / ((performance.now() - start) / 1000);
}

const messages = {
  'token (40 B)': 'ghp_16C7e42F292c6912E7710c838347Ae178B4a',
  'env file (4 KiB)': 'A'.repeat(4096),
};
const rows: string[][] = [];
for (const [label, message] of Object.entries(messages)) {
  for (const impl of implementations) {
    const tokens = Array.from({ length: 64 }, () => impl.encrypt(message));
    // Sanity: a benchmark of a broken path measures nothing.
    for (const other of implementations) {
      if (other.decrypt(tokens[0] ?? '') !== message) throw new Error(`${other.name} cannot read ${impl.name} tokens`);
    }
    const enc = measure(() => impl.encrypt(message));
    const dec = measure((i) => impl.decrypt(tokens[i % tokens.length] ?? ''));
    rows.push([label, impl.name, Math.round(enc).toLocaleString('en-US'), Math.round(dec).toLocaleString('en-US')]);
  }
}

const header = ['message', 'implementation', 'encrypt ops/s', 'decrypt ops/s'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
const line = (cells: string[]) => cells.map((c, i) => (i >= 2 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ');
console.log(`Fernet throughput, node ${process.version}, ${SECONDS}s per measurement, one run`);
console.log(line(header));
for (const row of rows) console.log(line(row));

// The price of masking known secrets: every log line is scanned for every registered plaintext.
const registry = new SecretRegistry(2048);
for (let i = 0; i < 2048; i += 1) registry.add(`ghp_${i.toString(36).padStart(36, '-')}`);
const logLine = { req: { method: 'GET', url: '/v1/deployments/dep_1/logs?tail=100', headers: { accept: 'application/json' } }, msg: 'request done', status: 200 };
const masked = measure(() => maskDeep(logLine, registry));
console.log(`log masking with ${registry.size} known secrets: ${Math.round(masked).toLocaleString('en-US')} lines/s`);
