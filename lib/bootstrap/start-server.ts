import { startApprovalSweeper } from "@/lib/approvals";
import { startUsageFlusher } from "@/lib/quota";
import { wireApprovalAudit } from "@/lib/wiring/approval-audit";
import { bootstrap, formatReport } from "./index";

/**
 * Validate configuration, migrate, seed, start the background work (approval expiry, usage
 * persistence, audit of approval events), print how to sign in. A bad configuration stops the server.
 */
export async function startServer() {
  try {
    const report = await bootstrap();
    wireApprovalAudit();
    await startApprovalSweeper();
    startUsageFlusher();
    console.log(formatReport(report));
  } catch (err) {
    console.error(`\nCanopyIQ cannot start: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
