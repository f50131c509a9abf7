/**
 * Credentials of targets are referenced by name and resolved at use, per tenant: a tenant's
 * target can only name its own tenant's secrets. The resolver is a dependency; `envSecretResolver`
 * maps (tenant, name) to one environment variable, OPS_SECRET__<TENANT>__<NAME> (the tenant slug
 * upper-cased, `-` → `_`). The mapping is one-to-one: tenant slugs hold no `_`, and names hold no
 * `__` and start with a letter, so the last `__` always separates the two.
 */
import { AppError } from "@/lib/errors";
import { SECRET_REF_RE } from "./targets";

export type OpsSecretResolver = (ref: { tenant: string; name: string }) => Promise<string | undefined> | string | undefined;

export function secretEnvName(tenant: string, name: string): string {
  if (!SECRET_REF_RE.test(name)) throw new AppError(400, "bad_secret_ref", `${name} is not a secret name`);
  if (!/^[a-z0-9][a-z0-9-]*$/.test(tenant)) throw new AppError(400, "bad_secret_ref", `tenant ${tenant} cannot hold ops secrets`);
  return `OPS_SECRET__${tenant.toUpperCase().replace(/-/g, "_")}__${name}`;
}

/** Secrets from the environment (pass lib/env's envSecret as `lookup`). */
export function envSecretResolver(lookup: (envName: string) => string | undefined): OpsSecretResolver {
  return ({ tenant, name }) => lookup(secretEnvName(tenant, name));
}

export class MissingSecretError extends AppError {
  constructor(tenant: string, name: string) {
    super(503, "secret_missing", `secret ${name} of tenant ${tenant} is not set; the operator must provide it (e.g. ${secretEnvName(tenant, name)})`);
  }
}
