// oidc-provider ships no type declarations; the e2e provider uses this much of it.
declare module "oidc-provider" {
  interface Account {
    accountId: string;
    claims(): Promise<Record<string, unknown>>;
  }
  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown> & { findAccount?: (ctx: unknown, id: string) => Promise<Account | undefined> });
    proxy: boolean;
    listen(port: number, host?: string): unknown;
  }
}
