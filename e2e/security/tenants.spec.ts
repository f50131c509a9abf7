import { expect, test } from "@playwright/test";
import { bearer, expectEnvelope, newTenant, platformAdmin, token } from "./kit";

test.describe("tenants API", () => {
  test("a platform admin creates a tenant; a tenant admin elsewhere cannot", async ({ request }) => {
    const a = await newTenant(request, "ten");
    const list = await (await request.get("/api/admin/tenants", { headers: bearer(platformAdmin()) })).json();
    expect(list.tenants.map((t: { id: string }) => t.id)).toContain(a);

    const aAdmin = token(a, "root", "admin");
    await expectEnvelope(await request.post("/api/admin/tenants", { headers: bearer(aAdmin), data: { id: `${a}-x` } }), 403, "forbidden");
    // A tenant admin sees only their own tenant.
    const own = await (await request.get("/api/admin/tenants", { headers: bearer(aAdmin) })).json();
    expect(own.tenants.map((t: { id: string }) => t.id)).toEqual([a]);
  });

  test("an existing id conflicts; a bad id is a 400 naming the field", async ({ request }) => {
    const a = await newTenant(request, "ten");
    await expectEnvelope(await request.post("/api/admin/tenants", { headers: bearer(platformAdmin()), data: { id: a } }), 409, "conflict");
    const bad = await expectEnvelope(await request.post("/api/admin/tenants", { headers: bearer(platformAdmin()), data: { id: "Bad Id!" } }), 400, "validation_error");
    expect(bad.message).toMatch(/^invalid request: id:/);
  });
});
