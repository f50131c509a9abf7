import type { z } from "zod";
import type { Permission } from "@/lib/auth/rbac";

/** One documented operation; the zod schemas are the same ones the handlers parse with. */
export interface Operation {
  method: "get" | "post" | "put" | "patch" | "delete";
  path: string;
  summary: string;
  tag: string;
  /** null: public (no bearer token). */
  permission: Permission | null;
  aliases?: string[];
  query?: z.ZodType;
  body?: z.ZodType;
  bodyContentType?: string;
  response?: z.ZodType;
  responseContentType?: string;
}
