/**
 * The part of PEP 440 admission needs: parsing public versions (epoch, release, a/b/rc, post, dev, local),
 * ordering them, and matching specifier sets made of `==`, `!=` (both with `.*` wildcards), `>=`, `<=`,
 * `>`, `<`, `~=` and `===`, comma-separated. Not supported: the legacy (non-PEP 440) version scheme.
 */
export interface Pep440Version {
  epoch: number;
  release: number[];
  pre: [number, number] | undefined;
  post: number | undefined;
  dev: number | undefined;
  local: string | undefined;
  text: string;
}

const VERSION =
  /^v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d*))?(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d*))?(?:[-_.]?(dev)[-_.]?(\d*))?(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?$/i;

const PRE_RANK: Record<string, number> = { a: 0, alpha: 0, b: 1, beta: 1, c: 2, rc: 2, pre: 2, preview: 2 };

/** Parses a PEP 440 version; undefined when the text is not one. */
export function parsePep440(text: string): Pep440Version | undefined {
  const m = VERSION.exec(text.trim());
  if (!m) return undefined;
  const [, epoch, release, preLabel, preNum, postImplicit, postLabel, postNum, devLabel, devNum, local] = m;
  return {
    epoch: epoch ? Number(epoch) : 0,
    release: release!.split('.').map(Number),
    pre: preLabel ? [PRE_RANK[preLabel.toLowerCase()]!, Number(preNum || 0)] : undefined,
    post: postImplicit !== undefined ? Number(postImplicit) : postLabel ? Number(postNum || 0) : undefined,
    dev: devLabel ? Number(devNum || 0) : undefined,
    local: local?.toLowerCase(),
    text,
  };
}

/** True for pre-releases and dev releases, which ranges skip unless a specifier names one. */
export function isPrerelease(v: Pep440Version): boolean {
  return v.pre !== undefined || v.dev !== undefined;
}

function releaseCompare(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** Orders two versions as PEP 440 does (dev < pre < final < post), ignoring local labels. */
export function comparePep440(a: Pep440Version, b: Pep440Version): number {
  if (a.epoch !== b.epoch) return Math.sign(a.epoch - b.epoch);
  const r = releaseCompare(a.release, b.release);
  if (r !== 0) return r;
  // Sort keys after packaging's _cmpkey: a bare dev release sorts before every pre-release.
  const preKey = (v: Pep440Version): number[] =>
    v.pre ? v.pre : v.post === undefined && v.dev !== undefined ? [-Infinity] : [Infinity];
  const postKey = (v: Pep440Version): number => (v.post === undefined ? -Infinity : v.post);
  const devKey = (v: Pep440Version): number => (v.dev === undefined ? Infinity : v.dev);
  const pa = preKey(a);
  const pb = preKey(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i += 1) {
    const x = pa[i] ?? 0;
    const y = pb[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  if (postKey(a) !== postKey(b)) return postKey(a) < postKey(b) ? -1 : 1;
  if (devKey(a) !== devKey(b)) return devKey(a) < devKey(b) ? -1 : 1;
  return 0;
}

export interface Pep440Specifier {
  op: '==' | '!=' | '>=' | '<=' | '>' | '<' | '~=' | '===';
  version: string;
  wildcard: boolean;
}

const CLAUSE = /^(===|==|!=|>=|<=|~=|>|<)\s*([A-Za-z0-9!+._-]+?)(\.\*)?$/;

/** Parses `>=1.0, !=1.3.*, <2`; undefined when any clause is malformed or names an invalid version. */
export function parseSpecifierSet(text: string): Pep440Specifier[] | undefined {
  const clauses = text.split(',').map((c) => c.trim());
  const out: Pep440Specifier[] = [];
  for (const clause of clauses) {
    const m = CLAUSE.exec(clause);
    if (!m) return undefined;
    const op = m[1] as Pep440Specifier['op'];
    const wildcard = m[3] !== undefined;
    if (wildcard && op !== '==' && op !== '!=') return undefined;
    if (op === '~=' && (m[2]!.split('.').length < 2 || wildcard)) return undefined;
    if (op !== '===' && !parsePep440(m[2]!)) return undefined;
    out.push({ op, version: m[2]!, wildcard });
  }
  return out;
}

function matchesClause(v: Pep440Version, spec: Pep440Specifier): boolean {
  if (spec.op === '===') return v.text === spec.version;
  const target = parsePep440(spec.version)!;
  if (spec.wildcard) {
    const prefix = target.release;
    const same = v.epoch === target.epoch && prefix.every((n, i) => (v.release[i] ?? 0) === n);
    return spec.op === '==' ? same : !same;
  }
  const c = comparePep440(v, target);
  const localEqual = target.local === undefined || v.local === target.local;
  switch (spec.op) {
    case '==':
      return c === 0 && localEqual;
    case '!=':
      return !(c === 0 && localEqual);
    case '>=':
      return c >= 0;
    case '<=':
      return c <= 0;
    // Exclusive comparisons do not admit post/pre releases of the named version itself (PEP 440).
    case '>':
      return c > 0 && !(v.post !== undefined && releaseCompare(v.release, target.release) === 0 && target.post === undefined);
    case '<':
      return c < 0 && !(isPrerelease(v) && !isPrerelease(target) && releaseCompare(v.release, target.release) === 0);
    case '~=': {
      const upper = target.release.slice(0, -1);
      return c >= 0 && upper.every((n, i) => (v.release[i] ?? 0) === n) && v.epoch === target.epoch;
    }
  }
}

/** True when `version` satisfies every clause of `specs`. */
export function satisfiesSpecifiers(version: Pep440Version, specs: readonly Pep440Specifier[]): boolean {
  return specs.every((spec) => matchesClause(version, spec));
}

/** True when a clause names a pre-release, which lets pre-releases match (PEP 440). */
export function specifiersAllowPrerelease(specs: readonly Pep440Specifier[]): boolean {
  return specs.some((s) => s.op !== '!=' && s.op !== '===' && !s.wildcard && isPrerelease(parsePep440(s.version)!));
}
