import { describe, expect, test } from "vitest";
import { formatDate } from "./format-date";

describe("formatDate: the console's one date format", () => {
  test.each([
    ["an ISO string", "2026-11-30T14:05:09.123Z", "2026-11-30 14:05:09 UTC"],
    ["an offset is shown in UTC", "2026-11-30T15:05:09+01:00", "2026-11-30 14:05:09 UTC"],
    ["epoch milliseconds", Date.UTC(2026, 0, 2, 3, 4, 5), "2026-01-02 03:04:05 UTC"],
    ["a Date", new Date(Date.UTC(2026, 10, 30)), "2026-11-30 00:00:00 UTC"],
    ["null", null, "—"],
    ["undefined", undefined, "—"],
    ["garbage", "yesterday", "—"],
  ])("%s", (_label, value, expected) => {
    expect(formatDate(value)).toBe(expected);
  });
});
