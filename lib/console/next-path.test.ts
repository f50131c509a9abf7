import { describe, expect, test } from "vitest";
import { safeNextPath } from "./next-path";

describe("safeNextPath", () => {
  test.each([
    ["a console page", "/audit", "/audit"],
    ["a page with its query", "/audit?kind=tool_decision&decision=deny", "/audit?kind=tool_decision&decision=deny"],
    ["nothing", undefined, "/"],
    ["another origin", "https://evil.example/x", "/"],
    ["a protocol-relative URL", "//evil.example/x", "/"],
    ["backslashes browsers read as slashes", "/\\evil.example", "/"],
    ["the login page (no loop)", "/login?next=/x", "/"],
    ["a javascript: URL", "javascript:alert(1)", "/"],
    ["the first of repeated parameters", ["/tenants", "/x"], "/tenants"],
    ["a very long value", `/${"a".repeat(3000)}`, "/"],
  ])("%s", (_label, input, expected) => {
    expect(safeNextPath(input as string | string[] | undefined)).toBe(expected);
  });
});
