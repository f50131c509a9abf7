import { withAuth } from "@/lib/auth";
import { handleMcpRequest } from "@/lib/mcp/endpoint";

export const dynamic = "force-dynamic";

const handler = withAuth(async ({ req, principal }) => handleMcpRequest(req, principal), { permission: "mcp.call" });

export { handler as GET, handler as POST, handler as DELETE };
