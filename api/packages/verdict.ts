import { z } from '@hono/zod-openapi';

/** What a team allows; each switch turns a warning flag into a rejection. */
export const AdmissionPolicySchema = z
  .object({
    rejectInstallScripts: z.boolean().default(false).openapi({
      description: 'Reject packages whose pinned version runs preinstall/install/postinstall scripts',
      example: true,
    }),
    rejectYoungerThanHours: z.number().int().min(0).max(8760).default(0).openapi({
      description: 'Reject versions published less than this many hours ago (0: only warn under 72 h)',
      example: 72,
    }),
    rejectTyposquats: z.boolean().default(false).openapi({
      description: 'Reject names within a small edit distance of a well-known MCP package',
      example: true,
    }),
  })
  .strict()
  .openapi('AdmissionPolicy');

export type AdmissionPolicy = z.infer<typeof AdmissionPolicySchema>;

export const FlagSchema = z
  .object({
    code: z.string().openapi({ description: 'Stable machine-readable reason', example: 'recently_published' }),
    severity: z.enum(['warn', 'reject']).openapi({ description: 'warn: admitted anyway; reject: not admitted', example: 'warn' }),
    message: z.string().openapi({ description: 'Human-readable reason', example: '1.2.3 was published 5 hours ago (under 72 h)' }),
  })
  .openapi('AdmissionFlag');

export type Flag = z.infer<typeof FlagSchema>;

export const VerdictSchema = z
  .object({
    ok: z.boolean().openapi({ description: 'True when the package may be deployed', example: true }),
    runtime: z.enum(['npm', 'pypi']).openapi({ description: 'Registry and launcher (npm: npx, pypi: uvx)', example: 'npm' }),
    name: z.string().openapi({ description: 'Canonical package name (PEP 503-normalised for PyPI)', example: '@modelcontextprotocol/server-everything' }),
    version: z.string().openapi({ description: 'The one exact version admitted', example: '2026.1.26' }),
    integrity: z.string().optional().openapi({ description: 'npm: the tarball Subresource Integrity (dist.integrity)', example: 'sha512-abc...' }),
    sha256: z.string().optional().openapi({ description: 'PyPI: sha256 of the wheel the runner installs', example: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' }),
    tarball: z.string().optional().openapi({ description: 'URL of the npm tarball or PyPI wheel', example: 'https://registry.npmjs.org/x/-/x-1.0.0.tgz' }),
    command: z.array(z.string()).openapi({ description: 'The launch command, pinned', example: ['npx', '-y', '@modelcontextprotocol/server-everything@2026.1.26'] }),
    flags: z.array(FlagSchema).openapi({ description: 'Every finding, warnings and rejections' }),
    rejected: z
      .object({
        code: z.string().openapi({ description: 'Code of the first rejecting flag', example: 'deprecated' }),
        message: z.string().openapi({ description: 'Why the package is not admitted', example: 'x@1.0.0 is deprecated: use y' }),
      })
      .optional()
      .openapi({ description: 'Present when ok is false' }),
  })
  .openapi('PackageVerdict');

export type Verdict = z.infer<typeof VerdictSchema>;

/** A pinned release and the facts about it that only its registry knows, with that registry's hard rejections. */
export interface ResolvedRelease {
  runtime: 'npm' | 'pypi';
  name: string;
  version: string;
  publishedAt: Date | undefined;
  integrity?: string;
  sha256?: string;
  tarball?: string;
  /** Lifecycle scripts that run on install (npm: preinstall/install/postinstall or a node-gyp build). */
  installScripts: string[];
  /** Findings the registry rule set always rejects (deprecated, no bin, yanked, sdist only, Python too old). */
  rejections: Array<{ code: string; message: string }>;
}
