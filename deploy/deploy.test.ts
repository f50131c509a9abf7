import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { parse } from "yaml";

// No Docker engine or helm binary runs on our machines: these checks are the chart's and the
// Dockerfile's lint, catching the mistakes a render or build would.
const chart = "deploy/helm/canopyiq-mcp";
const values = parse(readFileSync(`${chart}/values.yaml`, "utf8"));
const templates = readdirSync(`${chart}/templates`).map((f) => [f, readFileSync(`${chart}/templates/${f}`, "utf8")] as const);

function has(obj: unknown, keys: string[]): boolean {
  let cur = obj as Record<string, unknown> | undefined;
  for (const k of keys) {
    if (cur === null || typeof cur !== "object" || !(k in cur)) return false;
    cur = cur[k] as Record<string, unknown>;
  }
  return true;
}

describe("helm chart canopyiq-mcp", () => {
  test("Chart.yaml names the chart the seed installs", () => {
    const c = parse(readFileSync(`${chart}/Chart.yaml`, "utf8"));
    expect(c).toMatchObject({ apiVersion: "v2", name: "canopyiq-mcp" });
    expect(existsSync("deployment/helm/canopyiq-mcp/Chart.yaml")).toBe(true); // the seed's path
  });

  test("the seed's --set keys exist in values.yaml", () => {
    for (const key of ["image.repository", "image.tag", "env.APPROVAL_SYNC_WAIT_MS", "env.POLICY_PUBLIC_KEY_B64", "env.POLICY_REQUIRE_SIGNATURE"]) {
      expect(has(values, key.split(".")), key).toBe(true);
    }
  });

  test.each(templates)("%s: every .Values reference exists and actions are balanced", (_file, text) => {
    const refs = [...text.matchAll(/\.Values((?:\.\w+)+)/g)].map((m) => m[1].slice(1).split("."));
    for (const r of refs) expect(has(values, r), r.join(".")).toBe(true);
    expect(text.split("{{").length).toBe(text.split("}}").length);
    const opens = (text.match(/\{\{-?\s*(if|range|define|with)\b/g) ?? []).length;
    const ends = (text.match(/\{\{-?\s*end\b/g) ?? []).length;
    expect(opens).toBe(ends);
  });

  test("the deployment uses the secrets the seed creates", () => {
    expect(values.secretName).toBe("canopyiq-mcp-secrets");
    expect(values.policySignature.secretName).toBe("canopyiq-policy-sig");
  });
});

describe("Dockerfile", () => {
  const text = readFileSync("deploy/Dockerfile", "utf8");
  test("every COPY source from the build context exists", () => {
    const sources = [...text.matchAll(/^COPY (?!--from)(?:--\S+ )*(.+) \S+$/gm)].flatMap((m) => m[1].split(/\s+/));
    for (const s of sources.filter((x) => x !== ".")) expect(existsSync(path.resolve(s)), s).toBe(true);
  });
  test("runs as a non-root user and checks health", () => {
    expect(text).toMatch(/^USER canopy$/m);
    expect(text).toMatch(/HEALTHCHECK .*\/api\/health/);
  });
});
