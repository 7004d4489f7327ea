#!/usr/bin/env node
// Regenerates the committed Prisma client (api/db/generated) on machines that cannot download Prisma's
// schema engine. `prisma generate` never runs that engine, it only checks that one exists, so any
// executable file satisfies it. Migrations are not made by the CLI here: see prisma/migrations/README.md.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'hangar-prisma-'));
const placeholder = join(dir, 'schema-engine');
writeFileSync(placeholder, '#!/bin/sh\necho "schema engine unavailable: apply migrations with the app" >&2\nexit 1\n');
chmodSync(placeholder, 0o755);
const result = spawnSync('npx', ['prisma', 'generate'], {
  stdio: 'inherit',
  env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: placeholder, PRISMA_HIDE_UPDATE_MESSAGE: '1' },
});
process.exit(result.status ?? 1);
