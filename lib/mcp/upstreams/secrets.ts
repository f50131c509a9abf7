/**
 * `${NAME}` references to secrets in upstream headers and environments. Files name secrets;
 * the values come from a resolver (the process environment by default) at connect time.
 */
const REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export type SecretResolver = (name: string) => string | undefined;

/** Names whose values are credentials: they must be `${...}` references, never literals. */
const SENSITIVE = /(authorization|cookie|token|secret|password|passwd|api[-_]?key|credential|private[-_]?key|access[-_]?key)/i;

export function isSensitiveName(name: string): boolean {
  return SENSITIVE.test(name);
}

export function secretRefs(value: string): string[] {
  return [...value.matchAll(REF)].map((m) => m[1]);
}

/** A referenced secret is not set: the message names the reference, never a value. */
export class MissingSecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MissingSecretError";
  }
}

/** The value with every `${NAME}` replaced; throws naming the first unset secret. */
export function interpolate(value: string, resolve: SecretResolver, where: string): string {
  return value.replace(REF, (_m, name: string) => {
    const v = resolve(name);
    if (v === undefined) throw new MissingSecretError(`${where} references \${${name}}, which is not set`);
    return v;
  });
}

export function interpolateRecord(record: Record<string, string>, resolve: SecretResolver, where: string): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, interpolate(v, resolve, `${where}.${k}`)]));
}
