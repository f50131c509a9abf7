import { request as httpRequest } from "node:http";
import { expect, type APIRequestContext } from "@playwright/test";
import { E2E_PORT } from "../constants";
import { bearer, token } from "./kit";

/**
 * Raw HTTP for the boundary attacks: a body streamed chunk by chunk (with or without a declared
 * Content-Length) that stops as soon as the server answers, so a test can show the server refused
 * a 50 MB body after reading only a little of it.
 */
export interface StreamedAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** Bytes of the body written to the socket before the answer arrived. */
  sent: number;
}

export function streamPost(
  path: string,
  headers: Record<string, string>,
  opts: { total: number; chunk?: number; declareLength?: boolean; byte?: number },
): Promise<StreamedAnswer> {
  const chunkSize = opts.chunk ?? 64 * 1024;
  const chunk = Buffer.alloc(chunkSize, opts.byte ?? 0x61);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = httpRequest({
      host: "127.0.0.1",
      port: E2E_PORT,
      method: "POST",
      path,
      headers: { ...headers, ...(opts.declareLength ? { "content-length": String(opts.total) } : { "transfer-encoding": "chunked" }) },
    });
    req.on("response", (res) => {
      answered = true;
      const sentAtAnswer = sent;
      const parts: Buffer[] = [];
      res.on("data", (d: Buffer) => parts.push(d));
      res.on("end", () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(parts).toString("utf8"), sent: sentAtAnswer });
        req.destroy();
      });
    });
    // Once the server has answered, it may close the connection under the rest of the upload.
    req.on("error", (err) => {
      if (!answered) reject(err);
    });
    const pump = () => {
      while (!answered && sent < opts.total) {
        const n = Math.min(chunkSize, opts.total - sent);
        sent += n;
        if (!req.write(n === chunkSize ? chunk : chunk.subarray(0, n))) {
          req.once("drain", pump);
          return;
        }
      }
      if (!answered && sent >= opts.total) req.end();
    };
    pump();
  });
}

const minted = new Map<string, string>();

/** token() of the kit, minted once per tenant, subject and roles (each mint runs the CLI). */
export function tok(tenant: string, subject: string, roles: string): string {
  const key = `${tenant}|${subject}|${roles}`;
  let t = minted.get(key);
  if (!t) {
    t = token(tenant, subject, roles);
    minted.set(key, t);
  }
  return t;
}

/** The tenant's audit records (newest first), read with a viewer token. */
export async function auditRecords(request: APIRequestContext, tenant: string, query: Record<string, string> = {}): Promise<{ kind: string; trace_id: string | null; subject: string | null; tool: string | null; decision: string | null; reason: string | null; args: unknown; data: Record<string, unknown> | null }[]> {
  const res = await request.get(`/api/v1/audit?${new URLSearchParams({ limit: "500", ...query })}`, { headers: bearer(tok(tenant, "auditor", "viewer")) });
  expect(res.status(), await res.text()).toBe(200);
  return (await res.json()).records;
}

/** The tenant's approvals (every status), read with an admin token. */
export async function approvalsOf(request: APIRequestContext, tenant: string): Promise<{ id: string; status: string }[]> {
  const res = await request.get("/api/v1/approvals?limit=200", { headers: bearer(tok(tenant, "reviewer", "admin")) });
  expect(res.status(), await res.text()).toBe(200);
  const body = await res.json();
  return body.approvals;
}
