import { expect, test } from "@playwright/test";
import { bearer, expectEnvelope, mcpCall, newTenant, pinPolicy, platformAdmin, PLATFORM_TENANT, probeCalls, PROBE_POLICY, token, verdictOf } from "./kit";

/**
 * Issue 9 item 8: policy versions belong to a tenant or to the platform. Tenant A stores a private
 * version; tenant B can neither see, pin, roll back to nor diff against it; a platform apply that
 * names no version takes the newest PLATFORM version; metrics show B only its own tenant.
 */

interface VersionRow { id: number; scope: string; tenant: string | null; pinned_tenants: string[]; tenants: string[] }

test.describe("policy versions are scoped to their tenant", () => {
  // Every token and tenant here is minted by the real CLI (a process each): slow on a busy machine.
  test.describe.configure({ timeout: 240_000 });
  test("tenant B cannot read, pin, roll back to or diff against tenant A's private version; nothing changes", async ({ request }) => {
    const A = await newTenant(request, "pa");
    const B = await newTenant(request, "pb");
    const privateYaml = PROBE_POLICY.replace("probe reads", `reads of ${A} only`);
    const aVersion = await pinPolicy(request, A, privateYaml);
    const bAuthor = token(B, "author", "policy_author");
    const bAdmin = token(B, "root", "admin");

    // the owner sees it as its own
    const aViewer = token(A, "viewer", "viewer");
    const ofA = await (await request.get("/api/v1/policy/versions?limit=200", { headers: bearer(aViewer) })).json();
    expect(ofA.versions.find((v: VersionRow) => v.id === aVersion)).toMatchObject({ scope: "tenant", tenant: A, pinned_tenants: [A] });

    // B's listing does not show it, nor anything of A's
    const list = await request.get("/api/v1/policy/versions?limit=200", { headers: bearer(bAdmin) });
    expect(list.status()).toBe(200);
    const listText = await list.text();
    const ofB = JSON.parse(listText) as { versions: VersionRow[]; view: string };
    expect(ofB.view).toBe("tenant");
    expect(ofB.versions.map((v) => v.id)).not.toContain(aVersion);
    expect(ofB.versions.every((v) => v.scope === "platform" || v.tenant === B)).toBe(true);
    expect(listText).not.toContain(A);

    const before = await (await request.get("/api/v1/policy", { headers: bearer(bAdmin) })).text();
    const missing = `policy version ${aVersion} does not exist (see GET /api/v1/policy/versions)`;

    const pin = await expectEnvelope(await request.post("/api/v1/policy/apply", { headers: bearer(bAuthor), data: { strategy: "explicit", tenants_csv: B, version: aVersion } }), 404, "not_found");
    expect(pin.message).toBe(missing);
    // …exactly as for an id that does not exist: its existence is not revealed
    const ghost = await expectEnvelope(await request.post("/api/v1/policy/apply", { headers: bearer(bAuthor), data: { strategy: "explicit", tenants_csv: B, version: 99_999_999 } }), 404, "not_found");
    expect(ghost.message.replace("99999999", String(aVersion))).toBe(missing);

    expect((await expectEnvelope(await request.post("/api/v1/policy/rollback", { headers: bearer(bAuthor), data: { version: aVersion } }), 404, "not_found")).message).toBe(missing);
    expect((await expectEnvelope(await request.post("/api/v1/policy/diff", { headers: bearer(bAuthor), data: { proposed: PROBE_POLICY, against: aVersion } }), 404, "not_found")).message).toBe(missing);
    expect((await expectEnvelope(await request.post("/api/v1/policy/diff", { headers: bearer(bAuthor), data: { version: aVersion } }), 404, "not_found")).message).toBe(missing);

    // B's policy is what it was; A's pin is intact
    expect(await (await request.get("/api/v1/policy", { headers: bearer(bAdmin) })).text()).toBe(before);
    const aNow = await (await request.get("/api/v1/policy", { headers: bearer(aViewer) })).json();
    expect(aNow.version).toBe(aVersion);
  });

  test("a platform apply without a version applies the newest PLATFORM version, never a newer tenant version", async ({ request }) => {
    const C = await newTenant(request, "pc");
    const D = await newTenant(request, "pd");
    const A = await newTenant(request, "pa");
    const admin = platformAdmin();
    // a platform version (it reaches another tenant), then a newer version private to A
    const platformYaml = PROBE_POLICY.replace("probe reads", `platform reads ${C}`);
    const p = await request.post("/api/v1/policy/apply", { headers: bearer(admin), data: { strategy: "explicit", tenants_csv: C, policy: platformYaml } });
    expect(p.status(), await p.text()).toBe(200);
    const platformVersion = (await p.json()).version;
    expect(platformVersion).toMatchObject({ scope: "platform", tenant: null });
    const aVersion = await pinPolicy(request, A, PROBE_POLICY.replace("probe reads", `newer private reads of ${A}`));
    expect(aVersion).toBeGreaterThan(platformVersion.id);

    // seed 001's curl without a policy file (explicit to a fresh tenant, so no other test's tenants move)
    const r = await request.post("/api/v1/policy/apply", { headers: bearer(admin), multipart: { strategy: "explicit", tenants_csv: D } });
    expect(r.status(), await r.text()).toBe(200);
    const body = await r.json();
    expect(body.version).toMatchObject({ id: platformVersion.id, scope: "platform", tenant: null, reused: true });
    expect(body.version.id).not.toBe(aVersion);
    expect(body.why).toBe(
      `no policy or version was named: the newest platform version (${platformVersion.id}) was applied, because strategy explicit naming other tenants reaches other tenants, so only platform versions are rolled out`,
    );
    const dNow = await (await request.get("/api/v1/policy", { headers: bearer(token(D, "viewer", "viewer")) })).json();
    expect(dNow.version).toBe(platformVersion.id);

    // naming A's version is "not found" to the platform tenant too
    await expectEnvelope(await request.post("/api/v1/policy/apply", { headers: bearer(admin), data: { strategy: "explicit", tenants_csv: D, version: aVersion } }), 404, "not_found");
    // and the platform admin's own listing shows every version with its owner
    const all = await (await request.get("/api/v1/policy/versions?limit=200", { headers: bearer(admin) })).json();
    expect(all.view).toBe("platform");
    expect(all.versions.find((v: VersionRow) => v.id === aVersion)).toMatchObject({ scope: "tenant", tenant: A, pinned_tenants: [A] });
  });

  test("metrics: tenant B sees its own decision series, never tenant A's; a platform admin sees both", async ({ request }) => {
    const A = await newTenant(request, "ma");
    const B = await newTenant(request, "mb");
    await pinPolicy(request, A, PROBE_POLICY);
    await pinPolicy(request, B, PROBE_POLICY);
    const before = (await probeCalls(request)).total;
    for (const t of [A, B]) {
      const r = await mcpCall(request, token(t, "agent-1", "agent"), "probe.echo", { message: `from ${t}` });
      expect(verdictOf(r)?.decision, JSON.stringify(r.body)).toBe("allow");
    }
    expect((await probeCalls(request)).total).toBe(before + 2);

    const bViewer = token(B, "viewer", "viewer");
    const ofB = await request.get("/api/metrics", { headers: bearer(bViewer) });
    expect(ofB.status()).toBe(200);
    const textB = await ofB.text();
    expect(textB).toContain(`canopy_decisions_total{tenant="${B}",decision="allow"`);
    expect(textB).not.toContain(A);
    expect(textB).not.toContain(`tenant="${PLATFORM_TENANT}"`);
    // the same through the seed's alias
    expect(await (await request.get("/metrics", { headers: bearer(bViewer) })).text()).not.toContain(A);

    const all = await (await request.get("/api/metrics", { headers: bearer(platformAdmin()) })).text();
    expect(all).toContain(`canopy_decisions_total{tenant="${A}",decision="allow"`);
    expect(all).toContain(`canopy_decisions_total{tenant="${B}",decision="allow"`);
  });
});
