import { createHash } from 'node:crypto';
import { normalizePypiName } from '../package-spec.ts';
import { FaultServer } from './fault-server.ts';

/** A file of a fake release; `kind` picks a realistic file name and packagetype. */
export interface FakePypiFile {
  kind: 'wheel' | 'sdist';
  /** Wheel tags, default `py3-none-any`. */
  tags?: string;
  uploadedAt: string;
  yanked?: boolean;
  yankedReason?: string;
}

export interface FakePypiRelease {
  version: string;
  files: FakePypiFile[];
  requiresPython?: string;
  yanked?: boolean;
  yankedReason?: string;
}

/** The sha256 the fake reports for a file name (tests compare verdicts with it). */
export function fakeSha256(filename: string): string {
  return createHash('sha256').update(filename).digest('hex');
}

/**
 * A fake PyPI JSON API: `/pypi/{name}/json` (info, releases, urls of the latest release) and
 * `/pypi/{name}/{version}/json` (info, urls), with yanked/yanked_reason, packagetype, digests and
 * requires_python as PyPI sends them, plus FaultServer's fault injection.
 */
export class FakePypi {
  private readonly projects = new Map<string, { name: string; releases: FakePypiRelease[] }>();

  private constructor(readonly server: FaultServer) {}

  static async start(): Promise<FakePypi> {
    let self: FakePypi | undefined;
    const server = await FaultServer.start((path) => self!.answer(path));
    self = new FakePypi(server);
    return self;
  }

  get url(): string {
    return this.server.url;
  }

  publish(name: string, releases: FakePypiRelease[]): void {
    this.projects.set(normalizePypiName(name), { name, releases });
  }

  private file(project: string, release: FakePypiRelease, file: FakePypiFile) {
    const stem = `${project.replace(/-/g, '_')}-${release.version}`;
    const filename = file.kind === 'wheel' ? `${stem}-${file.tags ?? 'py3-none-any'}.whl` : `${stem}.tar.gz`;
    const sha256 = fakeSha256(filename);
    const yanked = file.yanked ?? release.yanked ?? false;
    return {
      comment_text: '',
      digests: { blake2b_256: sha256, md5: sha256.slice(0, 32), sha256 },
      downloads: -1,
      filename,
      has_sig: false,
      md5_digest: sha256.slice(0, 32),
      packagetype: file.kind === 'wheel' ? 'bdist_wheel' : 'sdist',
      python_version: file.kind === 'wheel' ? 'py3' : 'source',
      requires_python: release.requiresPython ?? null,
      size: 2048,
      upload_time: file.uploadedAt.slice(0, 19),
      upload_time_iso_8601: file.uploadedAt,
      url: `https://files.example/packages/${filename}`,
      yanked,
      yanked_reason: yanked ? (file.yankedReason ?? release.yankedReason ?? null) : null,
    };
  }

  private info(project: { name: string }, release: FakePypiRelease) {
    return {
      author: 'tester',
      classifiers: [],
      description: 'readme',
      home_page: null,
      name: project.name,
      package_url: `https://pypi.org/project/${project.name}/`,
      project_urls: null,
      requires_dist: null,
      requires_python: release.requiresPython ?? null,
      summary: 'test project',
      version: release.version,
      yanked: release.yanked ?? false,
      yanked_reason: release.yanked ? (release.yankedReason ?? null) : null,
    };
  }

  private answer(path: string) {
    const m = /^\/pypi\/([^/]+)(?:\/([^/]+))?\/json$/.exec(path);
    const project = m ? this.projects.get(normalizePypiName(decodeURIComponent(m[1]!))) : undefined;
    if (!m || !project) return { status: 404, body: { message: 'Not Found' } };
    const key = normalizePypiName(project.name);
    if (m[2] !== undefined) {
      const release = project.releases.find((r) => r.version === decodeURIComponent(m[2]!));
      if (!release) return { status: 404, body: { message: 'Not Found' } };
      return { status: 200, body: { info: this.info(project, release), last_serial: 1, urls: release.files.map((f) => this.file(key, release, f)), vulnerabilities: [] } };
    }
    const latest = project.releases.at(-1)!;
    return {
      status: 200,
      body: {
        info: this.info(project, latest),
        last_serial: 1,
        releases: Object.fromEntries(project.releases.map((r) => [r.version, r.files.map((f) => this.file(key, r, f))])),
        urls: latest.files.map((f) => this.file(key, latest, f)),
        vulnerabilities: [],
      },
    };
  }

  close(): Promise<void> {
    return this.server.close();
  }
}
