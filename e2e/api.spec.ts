import { expect, test } from "@playwright/test";

test("health is public and reports every dependency", async ({ request }) => {
  for (const path of ["/api/health", "/health"]) {
    const res = await request.get(path);
    expect(res.status()).toBe(200);
    const body = await res.json();
    expect(body.status).toBe("ok");
    expect(Object.keys(body.checks).sort()).toEqual(["db", "migrations", "policy", "redis"]);
  }
});
