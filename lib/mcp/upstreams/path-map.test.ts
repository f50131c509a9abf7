import { describe, expect, test } from "vitest";
import { mapPaths, unmapPathsInResult } from "./path-map";

const map = { "/sandbox": "data/box" };

describe("mapPaths", () => {
  test.each([
    ["inside the prefix", { path: "/sandbox/tmp/a.txt" }, { path: "/base/data/box/tmp/a.txt" }],
    ["the prefix itself", { path: "/sandbox" }, { path: "/base/data/box" }],
    ["traversal normalized first, out of the prefix: unchanged", { path: "/sandbox/../etc/passwd" }, { path: "/sandbox/../etc/passwd" }],
    ["a look-alike prefix is not the prefix", { path: "/sandboxevil/x" }, { path: "/sandboxevil/x" }],
    ["a relative path is left for the upstream to refuse", { path: "sandbox/x" }, { path: "sandbox/x" }],
    ["other arguments untouched", { path: "/sandbox/a", content: "/sandbox/not-a-path" }, { path: "/base/data/box/a", content: "/sandbox/not-a-path" }],
  ])("%s", (_label, args, expected) => {
    expect(mapPaths(args, undefined, map, "/base")).toEqual(expected);
  });

  test("fact sources name the path arguments, lists mapped element by element", () => {
    expect(mapPaths({ paths: ["/sandbox/a", "/tmp/b"] }, { path: "paths" }, map, "/base")).toEqual({ paths: ["/base/data/box/a", "/tmp/b"] });
    expect(mapPaths({ source: "/sandbox/a", destination: "/sandbox/b" }, { path: ["source", "destination"] }, map, "/base")).toEqual({
      source: "/base/data/box/a",
      destination: "/base/data/box/b",
    });
  });

  test("no map, no change", () => {
    const args = { path: "/sandbox/a" };
    expect(mapPaths(args, undefined, {}, "/base")).toBe(args);
  });
});

describe("unmapPathsInResult", () => {
  test("real folders in an answer are shown as their virtual prefix", () => {
    const result = { content: [{ type: "text", text: "Successfully wrote to /base/data/box/tmp/a.txt" }], structuredContent: { path: "/base/data/box" } };
    expect(unmapPathsInResult(result, map, "/base")).toEqual({
      content: [{ type: "text", text: "Successfully wrote to /sandbox/tmp/a.txt" }],
      structuredContent: { path: "/sandbox" },
    });
  });
  test("answers without host paths are returned as they are", () => {
    const result = { content: [{ type: "text", text: "ok" }] };
    expect(unmapPathsInResult(result, map, "/base")).toBe(result);
  });
});
