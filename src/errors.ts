import { randomUUID } from 'node:crypto';

/** One entry of `invalidParams`: the camelCase field path, a stable code and a human reason. */
export interface InvalidParam {
  name: string;
  code: string;
  reason: string;
}

/**
 * An error that leaves the component as `application/problem+json` (the ZGW `Fout` /
 * `ValidatieFout` shape). `kind` names the error class the way vng-api-common does in `type`.
 */
export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail: string = title,
    readonly invalidParams: readonly InvalidParam[] | undefined = undefined,
    readonly kind: string = 'APIException',
  ) {
    super(detail);
    this.name = 'Problem';
  }

  toJson(publicUrl: string, instance = `urn:uuid:${randomUUID()}`): Record<string, unknown> {
    return {
      type: `${publicUrl}/ref/fouten/${this.kind}/`,
      code: this.code,
      title: this.title,
      status: this.status,
      detail: this.detail,
      instance,
      ...(this.invalidParams ? { invalidParams: this.invalidParams } : {}),
    };
  }
}

export const isProblem = (err: unknown): err is Problem => err instanceof Problem;

/** 400 ValidatieFout; the top-level code is always `invalid`, the real codes are per field. */
export function invalid(params: InvalidParam[], detail?: string): Problem {
  const summary = detail ?? params.map((p) => `${p.name}: ${p.reason}`).join(' ');
  return new Problem(400, 'invalid', 'Invalid input.', summary || 'Invalid input.', params, 'ValidationError');
}

/** Shorthand for a ValidatieFout about one field (or `nonFieldErrors`). */
export const invalidParam = (name: string, code: string, reason: string): Problem => invalid([{ name, code, reason }]);

export const parseError = (detail: string): Problem =>
  new Problem(400, 'parse_error', 'Malformed request.', `JSON parse error - ${detail}`, [], 'ParseError');

export const notFound = (detail = 'Niet gevonden.'): Problem =>
  new Problem(404, 'not_found', 'Niet gevonden.', detail, undefined, 'NotFound');

export const methodNotAllowed = (method: string): Problem =>
  new Problem(
    405,
    'method_not_allowed',
    `Methode "${method}" niet toegestaan.`,
    `Method "${method}" is not allowed on this URL.`,
    undefined,
    'MethodNotAllowed',
  );

export const notAcceptable = (): Problem =>
  new Problem(
    406,
    'not_acceptable',
    'Kan niet voldoen aan de opgegeven Accept header.',
    'This API answers application/json only.',
    undefined,
    'NotAcceptable',
  );

export const unsupportedMediaType = (contentType: string): Problem =>
  new Problem(
    415,
    'unsupported_media_type',
    'Ongeldige media type in verzoek.',
    `Media type "${contentType}" is not supported; send application/json.`,
    undefined,
    'UnsupportedMediaType',
  );

export const PERMISSION_DENIED_TEXT = 'Je hebt geen toestemming om deze actie uit te voeren.';

/** 403 for every authentication and authorisation failure, each with its own code. */
export const forbidden = (code = 'permission_denied', detail = PERMISSION_DENIED_TEXT): Problem =>
  new Problem(403, code, PERMISSION_DENIED_TEXT, detail, undefined, 'PermissionDenied');

export const conflict = (code: string, detail: string): Problem =>
  new Problem(409, code, 'Conflict.', detail, undefined, 'Conflict');

export const internalError = (): Problem =>
  new Problem(500, 'error', 'Er is een serverfout opgetreden.', 'Internal Server Error', undefined, 'APIException');
