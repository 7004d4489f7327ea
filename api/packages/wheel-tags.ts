import type { Pep440Version } from './pep440.ts';

const LINUX_X86_64 = /^(?:manylinux\d*(?:_\d+_\d+)?|linux)_x86_64$/;

/**
 * True when a wheel file name (PEP 427: name-version[-build]-python-abi-platform.whl) installs on the
 * runner: Linux x86-64 with glibc and CPython `python` (e.g. 3.12). Pure wheels (`none-any`) always do.
 */
export function wheelFitsRunner(filename: string, python: Pep440Version): boolean {
  if (!filename.endsWith('.whl')) return false;
  const parts = filename.slice(0, -4).split('-');
  if (parts.length < 5) return false;
  const [pyTags, abiTags, platTags] = parts.slice(-3).map((p) => p.split('.')) as [string[], string[], string[]];
  const [major, minor] = [python.release[0] ?? 3, python.release[1] ?? 0];
  if (!platTags.some((p) => p === 'any' || LINUX_X86_64.test(p))) return false;
  return pyTags.some((tag) => {
    const m = /^(py|cp)(\d)(\d*)$/.exec(tag);
    if (!m || Number(m[2]) !== major) return false;
    const tagMinor = m[3] === '' ? undefined : Number(m[3]);
    if (m[1] === 'py') return tagMinor === undefined || tagMinor <= minor;
    if (tagMinor === minor) return abiTags.some((a) => a === `cp${major}${minor}` || a === 'abi3' || a === 'none');
    return tagMinor !== undefined && tagMinor < minor && abiTags.includes('abi3');
  });
}

/** True for a pure-Python wheel, preferred because it is the same file on every platform. */
export function isPureWheel(filename: string): boolean {
  return filename.endsWith('-none-any.whl');
}
