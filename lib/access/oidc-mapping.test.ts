import { describe, expect, test } from "vitest";
import { mapClaims, parseOidcMapping } from "./oidc-mapping";

const rules = parseOidcMapping(
  JSON.stringify([
    { claim: "groups", equals: "secops", tenant: "acme", roles: ["approver"], groups: ["secops"] },
    { claim: "groups", equals: "platform", tenant: "acme", roles: ["admin"] },
    { claim: "email_domain", equals: "Example.com", tenant: "acme", roles: ["viewer"] },
    { claim: "email", equals: "boss@corp.example", tenant: "corp", roles: ["admin"] },
  ]),
);

describe("OIDC claim mapping", () => {
  test.each([
    ["a group maps to approver with its approver group", { sub: "1", groups: ["secops"] }, { acme: { roles: ["approver"], groups: ["secops"] } }],
    ["several rules of one tenant combine", { sub: "1", groups: ["secops", "platform"] }, { acme: { roles: ["approver", "admin"], groups: ["secops"] } }],
    ["a verified email domain matches case-insensitively", { sub: "1", email: "Ann@EXAMPLE.com", email_verified: true }, { acme: { roles: ["viewer"], groups: [] } }],
    ["an unverified email matches nothing", { sub: "1", email: "boss@corp.example", email_verified: false }, {}],
    ["a missing email_verified is not verified", { sub: "1", email: "boss@corp.example" }, {}],
    ["\"true\" as a string counts as verified", { sub: "1", email: "boss@corp.example", email_verified: "true" }, { corp: { roles: ["admin"], groups: [] } }],
    ["a look-alike domain does not match", { sub: "1", email: "x@notexample.com", email_verified: true }, {}],
    ["a groups claim given as one string", { sub: "1", groups: "secops" }, { acme: { roles: ["approver"], groups: ["secops"] } }],
    ["no claims, no memberships", { sub: "1" }, {}],
  ])("%s", (_label, claims, expected) => {
    expect(Object.fromEntries(mapClaims(rules, claims))).toEqual(expected);
  });

  test.each([
    ["not JSON", "{", /OIDC_MAPPING is not JSON/],
    ["an unknown role", JSON.stringify([{ claim: "groups", equals: "x", tenant: "acme", roles: ["root"] }]), /rule 0.roles.0/],
    ["an unknown claim", JSON.stringify([{ claim: "department", equals: "x", tenant: "acme", roles: ["viewer"] }]), /rule 0.claim/],
    ["a bad tenant id", JSON.stringify([{ claim: "groups", equals: "x", tenant: "Acme Corp", roles: ["viewer"] }]), /rule 0.tenant/],
  ])("refuses %s", (_label, text, message) => {
    expect(() => parseOidcMapping(text)).toThrow(message);
  });
});
