// Builds Hangar to JavaScript in dist/ (production runs `node dist/api/main.js`, no tsx at run time):
// tsc emits api/, runner/ and cli/ (relative `.ts` imports rewritten to `.js`), then the files the code
// reads beside itself at run time are copied to the same relative places.
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const ASSET = /\.(txt|json|mjs|css)$/;

rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });

function copyAssets(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === 'fixtures' || name === 'node_modules') continue;
    if (statSync(path).isDirectory()) copyAssets(path);
    else if (ASSET.test(name) && !name.endsWith('.test.json') && name !== 'package-lock.json') cpSync(path, join(dist, relative(root, path)));
  }
}
for (const dir of ['api', 'runner', 'cli']) copyAssets(join(root, dir));
cpSync(join(root, 'prisma/migrations'), join(dist, 'prisma/migrations'), { recursive: true });
cpSync(join(root, 'package.json'), join(dist, 'package.json'));
console.log(`built ${relative(root, dist)}/ (start: node dist/api/main.js)`);
