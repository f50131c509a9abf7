import { describe, expect, test } from "vitest";
import { compilePolicy, parsePolicy } from "@/lib/policy";
import { mayBeAllowed, templateMayBeAllowed } from "./list-tools";

const POLICY = `version: 1
defaults: { decision: allow }
rules:
  - { name: tools, match: "*", action: allow }
  - { name: no-secrets, kind: resource, match: "docs.test://secret/*", action: deny }
  - { name: docs, kind: resource, match: "docs.test://*", action: allow }
  - { name: by-host, kind: resource, match: "https://*", where: { host_in: [docs.example.com] }, action: allow }
  - { name: no-internal, kind: prompt, match: "docs.internal", action: deny }
  - { name: prompts, kind: prompt, match: "docs.*", action: allow }
`;

const parsed = parsePolicy(POLICY);
if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
const compiled = compilePolicy(parsed.policy);

describe("what lists show, per kind", () => {
  test.each([
    { label: "a tool under match: *", name: "anything", kind: "tool" as const, shown: true },
    { label: "an allowed resource", name: "docs.test://readme", kind: "resource" as const, shown: true },
    { label: "a resource an unconditional deny catches first", name: "docs.test://secret/keys", kind: "resource" as const, shown: false },
    { label: "a resource only a conditional rule may allow", name: "https://docs.example.com/a", kind: "resource" as const, shown: true },
    { label: "a resource no rule names (defaults: allow is for tools)", name: "file:///etc/passwd", kind: "resource" as const, shown: false },
    { label: "an allowed prompt", name: "docs.greet", kind: "prompt" as const, shown: true },
    { label: "a denied prompt", name: "docs.internal", kind: "prompt" as const, shown: false },
    { label: "a prompt no rule names", name: "other.greet", kind: "prompt" as const, shown: false },
  ])("$label: shown $shown", ({ name, kind, shown }) => {
    expect(mayBeAllowed(compiled, name, kind)).toBe(shown);
  });

  test.each([
    { label: "a template inside an allowed area", template: "docs.test://pages/{page}", shown: true },
    { label: "a template all of whose URIs a deny covers", template: "docs.test://secret/{name}", shown: false },
    { label: "a template that reaches both areas (some URIs may be allowed)", template: "docs.test://{+path}", shown: true },
    { label: "a template no rule can allow", template: "file:///{path}", shown: false },
    { label: "a template a conditional rule may allow", template: "https://{host}/{path}", shown: true },
  ])("$label: shown $shown", ({ template, shown }) => {
    expect(templateMayBeAllowed(compiled, template)).toBe(shown);
  });
});
