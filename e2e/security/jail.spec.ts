import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { mcpCall, newTenant, pinPolicy, resultText, token, verdictOf } from "./kit";

/**
 * Issue 9, item 9 (one sandbox for all tenants) and item 5 (host paths in answers): the default
 * filesystem upstream gives each tenant its own jail. Tenant A's /sandbox is .data/sandbox/<A>;
 * tenant B's /sandbox/... is B's own folder, and no spelling of a path reaches A's. Answers name
 * /sandbox, never the host folder.
 */

/** The e2e server's upstreams file lives in the repository root: jails are .data/sandbox/<tenant>. */
const jail = (tenant: string) => path.resolve(".data/sandbox", tenant);
const HOST_DATA = path.resolve(".data");

const SANDBOX_ONLY = `version: 1
defaults: { decision: deny }
rules:
  - name: "fs inside the sandbox"
    match: "fs.*"
    where:
      path_under: ["/sandbox"]
    action: allow
`;

/** No path condition at all: what stops a traversal then is the jail itself. */
const FS_ANYWHERE = `version: 1
defaults: { decision: deny }
rules:
  - name: "fs anywhere (the jail is the only boundary)"
    match: "fs.*"
    action: allow
`;

test.describe("per-tenant filesystem jails", () => {
  test("tenant B can neither read nor overwrite tenant A's /sandbox file; answers name /sandbox only", async ({ request }) => {
    const [a, b] = [await newTenant(request, "jail-a"), await newTenant(request, "jail-b")];
    await pinPolicy(request, a, SANDBOX_ONLY);
    await pinPolicy(request, b, SANDBOX_ONLY);
    const agentA = token(a, "agent-a", "agent");
    const agentB = token(b, "agent-b", "agent");
    const secret = `A's secret ${Date.now()}`;

    const wrote = await mcpCall(request, agentA, "fs.write", { path: "/sandbox/tmp/secret.txt", content: secret });
    expect(wrote.status).toBe(200);
    expect(verdictOf(wrote)?.decision).toBe("allow");
    expect(resultText(wrote)).toBe("Successfully wrote to /sandbox/tmp/secret.txt");
    expect(readFileSync(path.join(jail(a), "tmp/secret.txt"), "utf8")).toBe(secret);

    // B reads the same path: its own jail has no such file; the answer names /sandbox, not .data.
    const read = await mcpCall(request, agentB, "fs.read", { path: "/sandbox/tmp/secret.txt" });
    expect(verdictOf(read)?.decision).toBe("allow");
    expect(read.body.result?.isError).toBe(true);
    expect(resultText(read)).toMatch(/ENOENT: no such file or directory, open '\/sandbox\/tmp\/secret\.txt'/);
    expect(resultText(read)).not.toContain(secret);
    expect(JSON.stringify(read.body)).not.toContain(HOST_DATA);

    // B writes the same path: B's own file; A's is unchanged.
    const overwrite = await mcpCall(request, agentB, "fs.write", { path: "/sandbox/tmp/secret.txt", content: "B was here" });
    expect(resultText(overwrite)).toBe("Successfully wrote to /sandbox/tmp/secret.txt");
    expect(readFileSync(path.join(jail(a), "tmp/secret.txt"), "utf8")).toBe(secret);
    expect(readFileSync(path.join(jail(b), "tmp/secret.txt"), "utf8")).toBe("B was here");
    expect(resultText(await mcpCall(request, agentA, "fs.read", { path: "/sandbox/tmp/secret.txt" }))).toBe(secret);

    // Traversals out of /sandbox are refused by the policy (paths are normalized before rules see them).
    for (const p of [`/sandbox/../${a}/tmp/secret.txt`, `/sandbox/tmp/../../${a}/tmp/secret.txt`, `/sandbox/../../.data/sandbox/${a}/tmp/secret.txt`]) {
      for (const [tool, args] of [
        ["fs.read", { path: p }],
        ["fs.write", { path: p, content: "overwritten by B" }],
      ] as const) {
        const r = await mcpCall(request, agentB, tool, args);
        expect(r.body.result?.isError, `${tool} ${p}`).toBe(true);
        expect(verdictOf(r)?.decision, `${tool} ${p}`).toBe("deny");
        expect(resultText(r)).not.toContain(secret);
      }
    }
    expect(readFileSync(path.join(jail(a), "tmp/secret.txt"), "utf8")).toBe(secret);
  });

  test("with no path rule at all, the jail alone stops traversal, host paths and relative climbs", async ({ request }) => {
    const [a, c] = [await newTenant(request, "jail-a"), await newTenant(request, "jail-c")];
    await pinPolicy(request, a, SANDBOX_ONLY);
    await pinPolicy(request, c, FS_ANYWHERE);
    const secret = `A's other secret ${Date.now()}`;
    await mcpCall(request, token(a, "agent-a", "agent"), "fs.write", { path: "/sandbox/tmp/secret.txt", content: secret });
    const agentC = token(c, "agent-c", "agent");

    const attempts = [
      `/sandbox/../${a}/tmp/secret.txt`,
      `/sandbox/tmp/../../${a}/tmp/secret.txt`,
      `../${a}/tmp/secret.txt`,
      `../../sandbox/${a}/tmp/secret.txt`,
      path.join(jail(a), "tmp/secret.txt"),
      "/etc/hostname",
    ];
    for (const p of attempts) {
      const read = await mcpCall(request, agentC, "fs.read", { path: p });
      expect(verdictOf(read)?.decision, p).toBe("allow");
      expect(read.body.result?.isError, p).toBe(true);
      expect(resultText(read), p).toMatch(/Access denied|ENOENT/);
      expect(resultText(read), p).not.toContain(secret);
      // Neither C's real folder nor any other host path under .data is named.
      expect(JSON.stringify(read.body), p).not.toContain(HOST_DATA);
      const write = await mcpCall(request, agentC, "fs.write", { path: p, content: "overwritten by C" });
      expect(write.body.result?.isError, p).toBe(true);
      expect(JSON.stringify(write.body), p).not.toContain(HOST_DATA);
    }
    expect(readFileSync(path.join(jail(a), "tmp/secret.txt"), "utf8")).toBe(secret);
    expect(existsSync(path.join(jail(c), a))).toBe(false);
  });
});
