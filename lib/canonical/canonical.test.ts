import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { canonicalJson, digest, nonFiniteNumberAt } from "./index";

describe("canonicalJson", () => {
  test.each([
    ["sorted keys", { b: 1, a: 2 }, '{"a":2,"b":1}'],
    ["nested", { z: { y: [1, { b: true, a: null }] } }, '{"z":{"y":[1,{"a":null,"b":true}]}}'],
    ["undefined members dropped", { a: undefined, b: 1 }, '{"b":1}'],
    ["negative zero", -0, "0"],
    ["exponent form", 1e21, "1e+21"],
    ["unicode kept", { k: "é\u2028" }, '{"k":"é\u2028"}'],
  ])("%s", (_label, input, expected) => {
    expect(canonicalJson(input)).toBe(expected);
  });

  test("rejects non-finite numbers", () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/non-finite/);
  });

  test("independent of key insertion order", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        expect(digest(reversed)).toBe(digest(obj));
      }),
    );
  });

  test("round-trips through JSON.parse", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const parsed = JSON.parse(canonicalJson(v));
        expect(canonicalJson(parsed)).toBe(canonicalJson(v));
      }),
    );
  });
});

describe("nonFiniteNumberAt", () => {
  test.each([
    [{ a: 1, b: [1, 2, { c: 3 }] }, null],
    [JSON.parse('{"a":{"b":[0,1e309]}}'), "a.b[1]"],
    [JSON.parse("-1e999"), "(value)"],
    [{ n: Number.NaN }, "n"],
  ])("%j → %s", (value, path) => {
    expect(nonFiniteNumberAt(value)).toBe(path);
  });

  test("any depth, without recursion", () => {
    let deep: unknown = Infinity;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(nonFiniteNumberAt(deep)).toMatch(/^\[0\]/);
  });
});
