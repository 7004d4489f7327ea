import { z } from '@hono/zod-openapi';
import semver from 'semver';
import validateNpmPackageName from 'validate-npm-package-name';
import { parseSpecifierSet } from './pep440.ts';

export type Runtime = 'npm' | 'pypi';

/** A parsed `npm:`/`pypi:` spec: which registry, which name, and the requested version, range or tag. */
export interface PackageRequest {
  runtime: Runtime;
  name: string;
  /** npm: a semver range, exact version or dist-tag; PyPI: a PEP 440 specifier set. Undefined: latest. */
  range: string | undefined;
}

const PYPI_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const DIST_TAG = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;

/** PEP 503 normalisation: lowercase, runs of `-`, `_` and `.` become one `-`. */
export function normalizePypiName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

function readNpm(rest: string): PackageRequest | string {
  const at = rest.indexOf('@', rest.startsWith('@') ? 1 : 0);
  const name = at === -1 ? rest : rest.slice(0, at);
  const range = at === -1 ? undefined : rest.slice(at + 1);
  const check = validateNpmPackageName(name);
  if (!check.validForNewPackages) {
    return `"${name}" is not a valid npm package name: ${[...(check.errors ?? []), ...(check.warnings ?? [])].join('; ')}`;
  }
  if (range !== undefined) {
    if (range === '') return 'empty version after "@"';
    if (range.length > 128 || (semver.validRange(range) === null && !DIST_TAG.test(range))) {
      return `"${range}" is not a semver version, range or dist-tag`;
    }
  }
  return { runtime: 'npm', name, range };
}

function readPypi(rest: string): PackageRequest | string {
  const cut = rest.search(/[=!<>~]/);
  const name = (cut === -1 ? rest : rest.slice(0, cut)).trim();
  const range = cut === -1 ? undefined : rest.slice(cut).trim();
  if (!PYPI_NAME.test(name) || name.length > 128) return `"${name}" is not a valid PyPI project name (PEP 508)`;
  if (range !== undefined) {
    const specs = parseSpecifierSet(range);
    if (!specs || range.length > 128) return `"${range}" is not a supported PEP 440 specifier (==, !=, >=, <=, >, <, ~=, ===; comma-separated)`;
  }
  return { runtime: 'pypi', name: normalizePypiName(name), range };
}

/**
 * Parses `npm:<name>[@<version|range|tag>]` or `pypi:<name>[<specifier>]`. Returns the request, or a
 * message saying what is wrong. The runtime is never guessed.
 */
export function readPackageSpec(text: string): PackageRequest | string {
  if (text.length > 300) return 'package spec is longer than 300 characters';
  if (!/^[\x21-\x7e]+$/.test(text)) return 'package spec must be printable ASCII without spaces';
  if (text.startsWith('npm:')) return readNpm(text.slice(4));
  if (text.startsWith('pypi:')) return readPypi(text.slice(5));
  return 'package spec must start with "npm:" or "pypi:" (the runtime is never guessed)';
}

/** The wire form of a package spec, validated with `readPackageSpec` so bad specs are 400s with a reason. */
export const PackageSpecSchema = z
  .string()
  .superRefine((text, ctx) => {
    const read = readPackageSpec(text);
    if (typeof read === 'string') ctx.addIssue({ code: 'custom', message: read });
  })
  .openapi({
    description: 'Runtime-prefixed package: `npm:<name>[@<version|range|dist-tag>]` or `pypi:<name>[<PEP 440 specifier>]`',
    example: 'npm:@modelcontextprotocol/server-everything@^2026.1.0',
  });
