export { withAuth, withErrors, jsonBody, requireTenant, type HandlerContext } from "./with-auth";
export { authenticate, tokenKeys, TENANT_COOKIE } from "./authenticate";
export { can, permissionsOf, ROLES, ROLE_PERMISSIONS, PERMISSIONS, type Permission, type Role } from "./rbac";
export type { Principal } from "./principal";
export { mintToken, verifyToken, hashToken } from "./tokens";
export { hashPassword, verifyPassword } from "./passwords";
