import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonInit, signUpUser, type TestUser } from '../../test/accounts.ts';
import { createTestHangar, type TestHangar } from '../../test/hangar.ts';
import { runSecurityBattery } from '../../test/security.ts';
import { makeTestPki } from '../../test/tls.ts';
import { createSmtpMailer } from '../mail/create-mailer.ts';
import { createLogger } from '../platform/logger.ts';
import { generateFernetKey } from '../vault/fernet.ts';
import { createKeyRing } from '../vault/keyring.ts';
import { rotateVault } from '../vault/rotate.ts';
import { Vault } from '../vault/vault.ts';
import { FakeSmtpServer } from './fake-smtp-server.ts';
import { readSensitiveSetting } from './sensitive-settings.ts';

const [OLD, NEW] = [generateFernetKey(), generateFernetKey()];
const SMTP_USER = 'hangar-mailer';
const CONFIG_PASSWORD = 'config-smtp-password-0001';
const STORED_PASSWORD = 'stored-smtp-password-0002';
const silent = createLogger({ level: 'silent' });

let hangar: TestHangar;
let admin: TestUser;
let smtp: FakeSmtpServer;
let ca: string;

beforeAll(async () => {
  hangar = await createTestHangar({ env: { FERNET_KEYS: OLD } });
  admin = await signUpUser(hangar, { globalAdmin: true });
  const pki = makeTestPki();
  ca = pki.caCert;
  smtp = await FakeSmtpServer.start({ key: readFileSync(pki.serverKeyFile, 'utf8'), cert: readFileSync(pki.serverCertFile, 'utf8') }, { user: SMTP_USER, password: CONFIG_PASSWORD });
});
afterAll(async () => {
  await smtp.close();
  await hangar.dispose();
});

const req = async (method: string, body?: unknown, headers = admin.keyHeaders) => {
  const res = await hangar.request('/v1/admin/settings', jsonInit(method, headers, body));
  return { status: res.status, text: await res.text() };
};
const smtpRow = () => hangar.services.db.setting.findUnique({ where: { key: 'smtp.password' } });
/** The mailer as createMailer builds it, plus a CA the fake's certificate chains to. */
const mailerWith = (vault: Vault) =>
  createSmtpMailer({ host: 'localhost', port: smtp.port, user: SMTP_USER, password: CONFIG_PASSWORD, from: 'hangar@example.com' }, silent, {
    ca,
    password: () => readSensitiveSetting({ db: hangar.services.db, vault }, 'smtpPassword'),
  });

describe('admin settings with a vault-encrypted SMTP password', () => {
  it('shows smtpPassword null until one is stored', async () => {
    const res = await req('GET');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ signupsEnabled: true, requireVerifiedEmailToDeploy: true, smtpPassword: null });
  });

  it('stores it encrypted (ciphertext and key id, no JSON value), answers it masked, audits only its name', async () => {
    const res = await req('PUT', { smtpPassword: STORED_PASSWORD, requireVerifiedEmailToDeploy: false });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ signupsEnabled: true, requireVerifiedEmailToDeploy: false, smtpPassword: '*****' });
    expect(JSON.parse((await req('GET')).text)).toMatchObject({ smtpPassword: '*****' });
    const row = await smtpRow();
    expect(row).toMatchObject({ value: null, keyId: hangar.services.vault.currentKeyId });
    expect(row?.ciphertext).not.toContain(STORED_PASSWORD);
    expect(hangar.services.vault.decrypt({ ciphertext: row!.ciphertext!, keyId: row!.keyId! })).toBe(STORED_PASSWORD);
    const audit = await hangar.services.db.auditEntry.findFirstOrThrow({ where: { action: 'admin.settings.update' }, orderBy: { id: 'desc' } });
    expect(audit.data).toEqual({ requireVerifiedEmailToDeploy: false, sensitiveChanged: ['smtpPassword'] });
    expect(hangar.logs.text()).not.toContain(STORED_PASSWORD);
  });

  it('refuses an empty password, control characters, unknown fields and wrong types with 400', async () => {
    for (const body of [{ smtpPassword: '' }, { smtpPassword: 'a\nb' }, { smtpPassword: 42 }, { smtp_password: 'x' }, { signupsEnabled: 'yes' }]) {
      const res = await req('PUT', body);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.text).error.code).toBe('invalid_request');
    }
    expect(hangar.services.vault.decrypt({ ciphertext: (await smtpRow())!.ciphertext!, keyId: (await smtpRow())!.keyId! })).toBe(STORED_PASSWORD);
  });

  it('refuses anyone but a global admin', async () => {
    const user = await signUpUser(hangar);
    expect((await req('PUT', { smtpPassword: 'mine-now' }, user.keyHeaders)).status).toBe(403);
    expect((await req('GET', undefined, user.keyHeaders)).status).toBe(403);
  });

  it('the SMTP mailer authenticates with the stored password, and with SMTP_PASSWORD when none is stored', async () => {
    smtp.setPassword(STORED_PASSWORD);
    await mailerWith(hangar.services.vault).send({ to: 'ops@example.com', subject: 'stored', text: 'hello' });
    expect(smtp.auths.at(-1)).toEqual({ user: SMTP_USER, password: STORED_PASSWORD, accepted: true, overTls: true });
    expect(smtp.messages.at(-1)).toContain('Subject: stored');
    // Cleared: the next message falls back to the configured password, without a restart.
    expect(JSON.parse((await req('PUT', { smtpPassword: null })).text)).toMatchObject({ smtpPassword: null });
    expect(await smtpRow()).toBeNull();
    smtp.setPassword(CONFIG_PASSWORD);
    const mailer = mailerWith(hangar.services.vault);
    await mailer.send({ to: 'ops@example.com', subject: 'config', text: 'hello' });
    expect(smtp.auths.at(-1)).toEqual({ user: SMTP_USER, password: CONFIG_PASSWORD, accepted: true, overTls: true });
    // Stored again while the mailer lives: it picks the new password up on its next message.
    await req('PUT', { smtpPassword: STORED_PASSWORD });
    smtp.setPassword(STORED_PASSWORD);
    await mailer.send({ to: 'ops@example.com', subject: 'again', text: 'hello' });
    expect(smtp.auths.at(-1)).toMatchObject({ password: STORED_PASSWORD, accepted: true });
  });

  it('a stored SMTP password survives key rotation: after rotate it opens with the new key alone', async () => {
    const before = await smtpRow();
    expect(before?.keyId).toBe(new Vault(createKeyRing([OLD])).currentKeyId);
    const report = await rotateVault({ pool: hangar.services.pool, vault: new Vault(createKeyRing([NEW, OLD])), logger: silent });
    expect(report.tables.settings).toEqual({ scanned: 1, rotated: 1, failed: 0, remaining: 0 });
    const after = await smtpRow();
    const newOnly = new Vault(createKeyRing([NEW]));
    expect(after?.keyId).toBe(newOnly.currentKeyId);
    expect(after?.ciphertext).not.toBe(before?.ciphertext);
    expect(after?.updatedAt).toEqual(before?.updatedAt);
    expect(await readSensitiveSetting({ db: hangar.services.db, vault: newOnly }, 'smtpPassword')).toBe(STORED_PASSWORD);
    await expect(readSensitiveSetting({ db: hangar.services.db, vault: new Vault(createKeyRing([OLD])) }, 'smtpPassword')).rejects.toMatchObject({ code: 'vault_decrypt_failed' });
    await mailerWith(newOnly).send({ to: 'ops@example.com', subject: 'after rotation', text: 'hello' });
    expect(smtp.auths.at(-1)).toMatchObject({ password: STORED_PASSWORD, accepted: true });
  });
});

runSecurityBattery('GET /v1/admin/settings', { hangar: () => hangar, teamScoped: false, request: () => ({ method: 'GET', path: '/v1/admin/settings' }) });
runSecurityBattery('PUT /v1/admin/settings', { hangar: () => hangar, teamScoped: false, request: () => ({ method: 'PUT', path: '/v1/admin/settings', body: { signupsEnabled: true } }) });
