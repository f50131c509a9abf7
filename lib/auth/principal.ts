/** Who is calling: an API token's claims, or a signed-in console user in their current tenant. */
export interface Principal {
  kind: "token" | "session";
  tenant: string;
  subject: string;
  roles: string[];
  /** The token's jti, for tokens. */
  tokenId?: string;
}
