import { describe, expect, test } from "vitest";
import type { UpstreamEvent } from "./connection";
import { hiddenNameRecord } from "./default-registry";

describe("hidden names become the tenant's audit records", () => {
  test.each([
    { label: "a hidden prompt", event: { type: "prompt_hidden", upstream: "b", name: "deploy", tenant: "t1", detail: "prompt deploy of upstream b is hidden" } as UpstreamEvent, expected: { tenant: "t1", kind: "upstream_name_hidden", tool: "deploy", decision: "hidden", data: { upstream: "b", event: "prompt_hidden" } } },
    { label: "a hidden tool", event: { type: "tool_hidden", upstream: "b", name: "echo", tenant: "t2", detail: "x" } as UpstreamEvent, expected: { tenant: "t2", tool: "echo", data: { event: "tool_hidden" } } },
  ])("$label", ({ event, expected }) => {
    expect(hiddenNameRecord(event)).toMatchObject(expected);
  });

  test.each([
    { label: "no tenant to record it for", event: { type: "resource_hidden", upstream: "b", name: "x" } as UpstreamEvent },
    { label: "not a hidden name", event: { type: "connected", upstream: "b", tenant: "t1" } as UpstreamEvent },
  ])("nothing for $label", ({ event }) => {
    expect(hiddenNameRecord(event)).toBeNull();
  });
});
