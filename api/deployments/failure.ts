import { DriverError } from '../machines/driver.ts';
import { FlyError } from '../machines/fly-errors.ts';
import { LaunchSpecError } from '../launch-spec/validate-launch-spec.ts';
import { MissingCredentialError } from './launch-secrets.ts';

/**
 * Why a deployment is `failed`, as a stable code clients can switch on (stored in `failure_code`, shown in
 * the deployment view and in the `state_changed` event's data). The message beside it is for people.
 */
export type FailureCode =
  /** A credential the deployment references was deleted (see DELETE /v1/teams/{team}/credentials/{name}). */
  | 'credential_missing'
  /** A template secret field the deployment declares has no value any more. */
  | 'template_secret_missing'
  /** The machine platform rejected the request (`DriverError('rejected')`): the same call will never succeed. */
  | 'driver_rejected'
  /** The stored launch spec failed the launch-spec gate right before launch. */
  | 'launch_spec_rejected'
  /** More restarts than the crash-loop maximum inside its window. */
  | 'crash_loop';

export interface PermanentFailure {
  code: FailureCode;
  message: string;
}

/**
 * Classifies an error a reconcile move raised: a permanent failure (the move ends the deployment in
 * `failed` with this code and message), or undefined for anything another try may cure (retried with
 * backoff). Messages are written here, never copied from a driver, so nothing raw reaches a client.
 */
export function permanentFailure(error: unknown): PermanentFailure | undefined {
  if (error instanceof MissingCredentialError) return { code: error.code, message: error.message };
  if (error instanceof LaunchSpecError) {
    return { code: 'launch_spec_rejected', message: `launch spec rejected before launch: ${error.issues.map((i) => `${i.path} (${i.rule})`).join(', ')}` };
  }
  if (error instanceof DriverError && error.kind === 'rejected') {
    const detail = error instanceof FlyError ? ` (${error.message})` : '';
    return { code: 'driver_rejected', message: `the machine platform rejected the deployment's configuration${detail}` };
  }
  return undefined;
}

/** The text a retrying deployment shows as its `lastError`: kind and, for Fly, route and status; never raw text. */
export function retryableErrorText(error: unknown): string {
  if (error instanceof FlyError) return `machine platform error (${error.kind}): ${error.message}`;
  if (error instanceof DriverError) return `machine platform error (${error.kind})`;
  return 'internal error';
}
