/**
 * `canopy policy …`: gen-key, sign, verify, validate, migrate, simulate.
 * Exit codes: 0 success; 1 verification or a test case failed; 2 invalid input or usage.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import { compilePolicy, formatValidationError, migratePolicy, parsePolicy, runTestCases, simulate, testCasesFileSchema, type ValidationError } from "@/lib/policy";
import { generateKeyPair, sign, verify, KeyFormatError } from "@/lib/signing";

export interface CommandIO {
  out: (s: string) => void;
  err: (s: string) => void;
}

const defaultIO: CommandIO = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
};

export const PRIVATE_KEY_FILE = "canopyiq_policy_private.key";
export const PUBLIC_KEY_FILE = "canopyiq_policy_public.key";

const USAGE = `usage: canopy policy <command>
  gen-key --out-dir DIR                                 write an Ed25519 key pair
  sign FILE --private-key K                             write FILE.sig
  verify FILE --public-key K --signature SIG            exit 0 when the signature is valid
  validate FILE                                         exit 0 when valid, 2 with line:column errors
  migrate FILE                                          AegisMCP v1/v2 or TailOps v2 → canonical YAML on stdout
  simulate --policy FILE --call JSON [--tenant T] [--subject S] [--roles a,b] [--target-role R] [--at ISO] [--no-trace]
  test FILE --cases CASES.yaml [--tenant T] [--subject S] [--at ISO] [--json]
                                                        run test cases; exit 0 when all pass, 1 when any fails
`;

class UsageError extends Error {}

export async function policyCommand(argv: string[], io: CommandIO = defaultIO): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    switch (sub) {
      case "gen-key":
        return genKey(rest, io);
      case "sign":
        return signCmd(rest, io);
      case "verify":
        return verifyCmd(rest, io);
      case "validate":
        return validateCmd(rest, io);
      case "migrate":
        return migrateCmd(rest, io);
      case "simulate":
        return simulateCmd(rest, io);
      case "test":
        return testCmd(rest, io);
      case undefined:
      case "help":
      case "--help":
      case "-h":
        io.out(USAGE);
        return sub === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown policy command \`${sub}\``);
    }
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      io.err(`canopy policy: ${(e as Error).message}\n${USAGE}`);
      return 2;
    }
    if (e instanceof KeyFormatError) {
      io.err(`canopy policy: ${e.message}\n`);
      return 2;
    }
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "EACCES" || code === "EISDIR") {
      io.err(`canopy policy: ${(e as Error).message}\n`);
      return 2;
    }
    throw e;
  }
}

function args<T extends Record<string, { type: "string" | "boolean" }>>(argv: string[], options: T, positionals = 0) {
  const r = parseArgs({ args: argv, options, allowPositionals: positionals > 0, strict: true });
  if (r.positionals.length > positionals) throw new UsageError(`unexpected argument \`${r.positionals[positionals]}\``);
  return r;
}

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined || v === "") throw new UsageError(`missing ${what}`);
  return v;
}

function genKey(argv: string[], io: CommandIO): number {
  const { values } = args(argv, { "out-dir": { type: "string" }, force: { type: "boolean" } });
  const dir = need(values["out-dir"], "--out-dir DIR");
  mkdirSync(dir, { recursive: true });
  const priv = join(dir, PRIVATE_KEY_FILE);
  const pub = join(dir, PUBLIC_KEY_FILE);
  if (!values.force && (existsSync(priv) || existsSync(pub))) {
    io.err(`canopy policy: ${priv} or ${pub} already exists; pass --force to overwrite\n`);
    return 2;
  }
  const keys = generateKeyPair();
  writeFileSync(priv, `${keys.privateKey}\n`, { mode: 0o600 });
  chmodSync(priv, 0o600); // the mode option does not apply when the file already existed
  writeFileSync(pub, `${keys.publicKey}\n`, { mode: 0o644 });
  io.out(`wrote ${priv} (private, mode 0600)\nwrote ${pub} (public; its content is POLICY_PUBLIC_KEY_B64)\n`);
  return 0;
}

function signCmd(argv: string[], io: CommandIO): number {
  const { values, positionals } = args(argv, { "private-key": { type: "string" }, out: { type: "string" } }, 1);
  const file = need(positionals[0], "FILE to sign");
  const key = readFileSync(need(values["private-key"], "--private-key K"), "utf8");
  const signature = sign(readFileSync(file), key);
  const out = values.out ?? `${file}.sig`;
  writeFileSync(out, `${signature}\n`);
  io.out(`wrote ${out}\n`);
  return 0;
}

function verifyCmd(argv: string[], io: CommandIO): number {
  const { values, positionals } = args(argv, { "public-key": { type: "string" }, signature: { type: "string" } }, 1);
  const file = need(positionals[0], "FILE to verify");
  const keyPath = need(values["public-key"], "--public-key K");
  const sigPath = values.signature ?? `${file}.sig`;
  const data = readFileSync(file);
  const key = readFileSync(keyPath, "utf8");
  const sig = existsSync(sigPath) ? readFileSync(sigPath, "utf8") : null;
  const r = verify(data, sig, key);
  if (r.ok) {
    io.out(`OK: ${file} is signed by ${keyPath}\n`);
    return 0;
  }
  const why = r.reason === "missing_signature" && sig === null ? `signature file ${sigPath} not found` : r.message;
  io.err(`INVALID (${r.reason}): ${file}: ${why}\n`);
  return 1;
}

function printErrors(file: string, errors: ValidationError[], io: CommandIO) {
  for (const e of errors) io.err(e.line > 0 ? `${file}:${e.line}:${e.column}: ${e.message}\n` : `${file}: ${formatValidationError(e)}\n`);
}

const FORMAT_NAMES: Record<string, string> = { "aegis-v1": "AegisMCP v1", "aegis-v2": "AegisMCP v2", "tailops-v2": "TailOps v2" };

/**
 * Validates a policy in our language, or natively an AegisMCP v1/v2 or TailOps v2 file (seed 004's
 * `tools/cli.py validate policy.yml`): the format is detected and said; a foreign file is valid when
 * it converts to a valid policy (what `policy migrate` would write), with the importer's notes.
 */
function validateCmd(argv: string[], io: CommandIO): number {
  const { positionals } = args(argv, {}, 1);
  const file = need(positionals[0], "FILE to validate");
  const text = readFileSync(file, "utf8");
  const r = parsePolicy(text);
  if (r.ok) {
    io.out(`OK: ${file} is a valid policy (${r.policy.rules.length} rules, default ${r.policy.defaults?.decision ?? "deny"})\n`);
    return 0;
  }
  const migrated = migratePolicy(text);
  const foreign = FORMAT_NAMES[migrated.format];
  if (foreign) {
    if (migrated.ok && migrated.policy) {
      io.out(`OK: ${file} is a valid ${foreign} policy (${migrated.policy.rules.length} rules once converted, default ${migrated.policy.defaults?.decision ?? "deny"}; \`canopy policy migrate ${file}\` writes it in CanopyIQ's language)\n`);
      for (const w of migrated.warnings) io.err(`note: ${w}\n`);
      return 0;
    }
    io.err(`${file}: ${foreign} policy with errors\n`);
    printErrors(file, migrated.errors, io);
    io.err(`${migrated.errors.length} error${migrated.errors.length === 1 ? "" : "s"}\n`);
    return 2;
  }
  printErrors(file, r.errors, io);
  io.err(`${r.errors.length} error${r.errors.length === 1 ? "" : "s"}\n`);
  return 2;
}

/**
 * Converts to CanopyIQ's language on stdout; with `--backup` (seed 004's `policy_migrate.py policy.yml
 * --backup`) the file is converted in place after its original is copied to FILE.bak.
 */
function migrateCmd(argv: string[], io: CommandIO): number {
  const { values, positionals } = args(argv, { "emergency-role": { type: "string" }, "tool-prefix": { type: "string" }, backup: { type: "boolean" } }, 1);
  const file = need(positionals[0], "FILE to migrate");
  const original = readFileSync(file, "utf8");
  const r = migratePolicy(original, { emergencyRole: values["emergency-role"], toolPrefix: values["tool-prefix"] });
  if (!r.ok) {
    printErrors(file, r.errors, io);
    return 2;
  }
  for (const w of r.warnings) io.err(`note: ${w}\n`);
  if (!values.backup) {
    io.out(r.yaml);
    return 0;
  }
  // The backup is written (and flushed) before the original is replaced: a failure leaves the original.
  writeFileSync(`${file}.bak`, original, { flag: "w" });
  writeFileSync(file, r.yaml);
  io.out(`wrote ${file}.bak (the original ${FORMAT_NAMES[r.format] ?? "policy"}) and ${file} (CanopyIQ's language)\n`);
  return 0;
}

function simulateCmd(argv: string[], io: CommandIO): number {
  const { values } = args(argv, {
    policy: { type: "string" },
    call: { type: "string" },
    tenant: { type: "string" },
    subject: { type: "string" },
    roles: { type: "string" },
    "target-role": { type: "string" },
    at: { type: "string" },
    "no-trace": { type: "boolean" },
  });
  const file = need(values.policy, "--policy FILE");
  const callText = need(values.call, "--call JSON");
  let call: unknown;
  try {
    call = JSON.parse(callText);
  } catch (e) {
    io.err(`canopy policy simulate: --call is not valid JSON: ${(e as Error).message}\n`);
    return 2;
  }
  const now = values.at !== undefined ? new Date(values.at) : new Date();
  if (values.at !== undefined && (!/^\d{4}-\d{2}-\d{2}/.test(values.at) || Number.isNaN(now.getTime()))) {
    io.err(`canopy policy simulate: --at ${JSON.stringify(values.at)} is not an ISO 8601 instant\n`);
    return 2;
  }
  const r = simulate({
    policy: readFileSync(file, "utf8"),
    call,
    context: {
      tenant: values.tenant,
      subject: values.subject,
      roles: values.roles ? values.roles.split(",").map((s) => s.trim()).filter(Boolean) : [],
      targetRole: values["target-role"],
      now,
    },
    trace: !values["no-trace"],
  });
  if (!r.ok) {
    printErrors(r.errors.some((e) => e.path.startsWith("call")) ? "--call" : file, r.errors, io);
    return 2;
  }
  io.out(`${JSON.stringify(r.decision, null, 2)}\n`);
  return 0;
}

/** The cases file's problems, one per line, each with the path of the field (cases[2].expected.decision: …). */
function casesFileErrors(issues: { path: PropertyKey[]; message: string }[]): string[] {
  return issues.slice(0, 20).map((i) => `${i.path.length ? i.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "") : "(file)"}: ${i.message}`);
}

/**
 * `canopy policy test FILE --cases CASES.yaml`: every case decided by the production engine; a
 * line per case (PASS/FAIL, name, why), a summary, exit 1 when any fails (for CI). `--json`
 * prints the run as JSON instead.
 */
function testCmd(argv: string[], io: CommandIO): number {
  const { values, positionals } = args(argv, { cases: { type: "string" }, tenant: { type: "string" }, subject: { type: "string" }, at: { type: "string" }, json: { type: "boolean" } }, 1);
  const file = need(positionals[0], "policy FILE to test");
  const casesFile = need(values.cases, "--cases CASES.yaml");
  const parsed = parsePolicy(readFileSync(file, "utf8").replace(/^\uFEFF/, ""));
  if (!parsed.ok) {
    printErrors(file, parsed.errors, io);
    return 2;
  }
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(casesFile, "utf8"), { maxAliasCount: 100 });
  } catch (e) {
    io.err(`${casesFile}: not valid YAML: ${(e as Error).message}\n`);
    return 2;
  }
  const cases = testCasesFileSchema.safeParse(raw);
  if (!cases.success) {
    for (const line of casesFileErrors(cases.error.issues)) io.err(`${casesFile}: ${line}\n`);
    return 2;
  }
  const now = values.at !== undefined ? new Date(values.at) : new Date();
  if (Number.isNaN(now.getTime())) {
    io.err(`canopy policy test: --at ${JSON.stringify(values.at)} is not an ISO 8601 instant\n`);
    return 2;
  }
  const run = runTestCases(compilePolicy(parsed.policy), cases.data, { tenant: values.tenant, subject: values.subject, now });
  if (values.json) {
    io.out(`${JSON.stringify(run, null, 2)}\n`);
    return run.failed ? 1 : 0;
  }
  for (const r of run.results) io.out(`${r.pass ? "PASS" : "FAIL"}  ${r.name}: ${r.message}\n`);
  io.out(`\n${run.passed} passed, ${run.failed} failed (${run.total} test case${run.total === 1 ? "" : "s"} against ${file})\n`);
  return run.failed ? 1 : 0;
}
