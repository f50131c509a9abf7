import { z } from "zod";

/** The OAuth protected resource metadata (RFC 9728) /.well-known/oauth-protected-resource answers for /mcp. */
export const protectedResourceMetadataSchema = z.object({
  resource: z.string(),
  authorization_servers: z.array(z.string()).optional(),
  bearer_methods_supported: z.array(z.literal("header")),
  resource_name: z.string(),
  resource_documentation: z.string(),
});
export type ProtectedResourceMetadata = z.infer<typeof protectedResourceMetadataSchema>;
