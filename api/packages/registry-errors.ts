import { PolicyError, UnavailableError } from '../http/errors.ts';

/**
 * 503: a package registry could not answer (outage, timeout, 5xx after retries). Never "not found":
 * a registry that is down says nothing about whether a package exists.
 */
export class RegistryUnavailableError extends UnavailableError {
  constructor(
    readonly registry: 'npm' | 'pypi',
    readonly reason: string,
  ) {
    super(`The ${registry === 'npm' ? 'npm' : 'PyPI'} registry is unavailable (${reason}); try again later`, 'registry_unavailable');
  }
}

/** 422: the registry answered that the package (or the requested version) does not exist. */
export class PackageNotFoundError extends PolicyError {
  constructor(message: string, code = 'package_not_found') {
    super(message, code);
  }
}

/** A registry HTTP answer that is neither success nor 404; `retryable` for 5xx, 429 and network failures. */
export class RegistryHttpError extends Error {
  constructor(
    readonly status: number | undefined,
    readonly retryable: boolean,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'RegistryHttpError';
  }
}
