export const E2E_PORT = 3100;
export const E2E_ADMIN_EMAIL = "admin@canopyiq.local";
// Test-only credential for the throwaway e2e database; never used outside `npm test`.
export const E2E_ADMIN_PASSWORD = "e2e-admin-password-0f3a";
export const E2E_DATA_DIR = ".data/e2e";
