import { describe, expect, test } from "vitest";
import { EMPTY_TARGET_FORM, formOf, parseWindows, targetBody } from "./ops-target-form";

describe("maintenance windows as lines", () => {
  test.each([
    ["a weekday range with a zone", "mon-fri 08:00-12:00 UTC", [{ days: ["mon", "tue", "wed", "thu", "fri"], start: "08:00", end: "12:00", timezone: "UTC" }]],
    ["day numbers, default zone", "1,3 22:00-02:00", [{ days: [1, 3], start: "22:00", end: "02:00", timezone: "UTC" }]],
    ["two lines and blank ones", "sat 10:00-11:00 Europe/Paris\n\nsun 10:00-11:00", [{ days: ["sat"], start: "10:00", end: "11:00", timezone: "Europe/Paris" }, { days: ["sun"], start: "10:00", end: "11:00", timezone: "UTC" }]],
    ["nothing", "", []],
  ])("%s", (_label, text, windows) => {
    expect(parseWindows(text)).toEqual({ ok: true, windows });
  });

  test.each([
    ["a reversed range", "fri-mon 08:00-12:00"],
    ["no times", "mon"],
    ["a day that is not one", "funday 08:00-09:00"],
    ["too many lines", Array.from({ length: 17 }, () => "mon 08:00-09:00").join("\n")],
  ])("refuses %s", (_label, text) => {
    expect(parseWindows(text).ok).toBe(false);
  });
});

describe("the API body", () => {
  const form = { ...EMPTY_TARGET_FORM, id: "web-1", name: "Web", backend: "ssh" as const, address: "10.0.0.5", port: "22", role: "production" as const, tags: "web, eu", credential_ref: "WEB_KEY", windows: "mon-fri 08:00-12:00 UTC", options: '{"username":"deploy"}' };

  test("create: every field typed as the API takes it", () => {
    expect(targetBody(form, "create")).toEqual({
      ok: true,
      body: { id: "web-1", name: "Web", backend: "ssh", address: "10.0.0.5", port: 22, role: "production", tags: ["web", "eu"], credential_ref: "WEB_KEY", maintenance_windows: [{ days: ["mon", "tue", "wed", "thu", "fri"], start: "08:00", end: "12:00", timezone: "UTC" }], options: { username: "deploy" } },
    });
  });

  test("edit: no id in the body (the path names the target); round trip through formOf", () => {
    const r = targetBody(form, "edit");
    expect(r.ok && "id" in r.body).toBe(false);
    const back = formOf({ id: "web-1", name: "Web", backend: "ssh", address: "10.0.0.5", port: 22, role: "production", tags: ["web", "eu"], credential_ref: "WEB_KEY", maintenance_windows: [{ days: [1, 2], start: "08:00", end: "12:00", timezone: "UTC" }], options: { username: "deploy" } });
    expect(targetBody(back, "create")).toMatchObject({ ok: true, body: { maintenance_windows: [{ days: [1, 2] }], port: 22, options: { username: "deploy" } } });
  });

  test.each([
    ["options that are not JSON", { options: "{username" }, "options"],
    ["options that are a list", { options: "[]" }, "options"],
    ["a port that is not a number", { port: "ssh" }, "port"],
    ["a bad window", { windows: "someday" }, "windows"],
  ])("names the field for %s", (_label, over, field) => {
    expect(targetBody({ ...form, ...over }, "create")).toMatchObject({ ok: false, field });
  });
});
