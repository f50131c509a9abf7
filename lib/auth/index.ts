export { requireTenant } from "./tenant-scope";
export { checkSameOrigin } from "./same-origin";
export { createAuthenticator, TENANT_COOKIE, type Authenticator } from "./authenticate";
export { tokenKeysOf, type TokenKeys } from "./token-keys";
export { can, permissionsOf, ROLES, ROLE_PERMISSIONS, PERMISSIONS, type Permission, type Role } from "./rbac";
export type { Principal } from "./principal";
export { mintToken, verifyToken, hashToken } from "./tokens";
export { hashPassword, verifyPassword } from "./passwords";
