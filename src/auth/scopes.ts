/** The four scopes of the Klantinteracties API; the same for all eight resources. */
export const SCOPES = ['klanten.lezen', 'klanten.aanmaken', 'klanten.bijwerken', 'klanten.verwijderen'] as const;
export type Scope = (typeof SCOPES)[number];

/** Every scope a client application can be granted: the four above and the Klanten API's audit trail reading. */
export const GRANTABLE_SCOPES = [...SCOPES, 'audittrails.lezen'] as const;

/** What a client application may do in this component. */
export interface Grant {
  heeftAlleAutorisaties: boolean;
  scopes: ReadonlySet<string>;
}

export const NO_GRANT: Grant = Object.freeze({ heeftAlleAutorisaties: false, scopes: new Set<string>() });

/** True when the grant covers every one of the required scopes. */
export function allows(grant: Grant, required: readonly string[]): boolean {
  return grant.heeftAlleAutorisaties || required.every((s) => grant.scopes.has(s));
}

/** Union of several applicaties' grants, as the Autorisaties API decision does. */
export function mergeGrants(grants: Grant[]): Grant {
  return {
    heeftAlleAutorisaties: grants.some((g) => g.heeftAlleAutorisaties),
    scopes: new Set(grants.flatMap((g) => [...g.scopes])),
  };
}
