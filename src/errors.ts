/**
 * Errors that cross module boundaries. `permanent` tells the queue not to retry: doing the same
 * thing again cannot succeed until a person changes something.
 */
export class DoctorError extends Error {
  readonly permanent: boolean;
  constructor(message: string, permanent: boolean) {
    super(message);
    this.name = new.target.name;
    this.permanent = permanent;
  }
}

/** Bad arguments or input from a person: shown as is, exit code 2. */
export class UsageError extends DoctorError {
  constructor(message: string) {
    super(message, true);
  }
}

export class UnknownClusterError extends DoctorError {
  readonly requested: string;
  readonly known: { id: string; name: string }[];
  constructor(requested: string, known: { id: string; name: string }[]) {
    const list = known.length ? known.map((c) => `${c.id} (${c.name})`).join(', ') : 'none';
    super(`unknown cluster "${requested}"; known clusters: ${list}`, true);
    this.requested = requested;
    this.known = known;
  }
}

/** 401/403/404 from a cluster: retrying will not help; the message says what to grant or check. */
export class AccessError extends DoctorError {
  readonly status: number;
  readonly hint: string;
  constructor(message: string, status: number, hint: string) {
    super(message, true);
    this.status = status;
    this.hint = hint;
  }
}

/** 5xx, timeouts, resets, 429 that outlived the retries: worth trying again later. */
export class TransientError extends DoctorError {
  constructor(message: string) {
    super(message, false);
  }
}

/** The caller aborted the diagnosis (its signal fired): there is no report to give. */
export class DiagnosisAbortedError extends DoctorError {
  constructor() {
    super('the diagnosis was stopped before it finished', false);
  }
}

/**
 * The apiserver refused a write for what it says about the object or the request (409 Conflict,
 * 422 Invalid, an admission webhook's answer...): `reason` and `message` are its Status body's.
 */
export class WriteRefusedError extends DoctorError {
  readonly status: number;
  readonly reason: string;
  constructor(message: string, status: number, reason: string) {
    super(message, true);
    this.status = status;
    this.reason = reason;
  }

  get isConflict(): boolean {
    return this.status === 409 && this.reason === 'Conflict';
  }
}
