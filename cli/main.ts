import { dbCommand } from "./commands/db";
import { mintTokenCommand } from "./commands/mint-token";

const USAGE = `Usage: canopy <command> [options]

Commands:
  mint-token --tenant T --subject S --roles a,b --ttl SECONDS   print an API token (JWT); the tenant must exist, roles
                                                                must be known, ttl at most CANOPY_TOKEN_MAX_TTL_SECONDS
  tokens list --tenant T [--limit N] [--json]                   the tenant's API tokens (never the tokens themselves)
  tokens revoke ID [--tenant T]                                 revoke a token: 401 from its next use, on every replica
  members list|set|remove|invite --tenant T ...                   a tenant's members, roles, approver groups, Slack ids, invitations
  tenants list|create ID [--name N]|suspend ID|resume ID         tenants (suspended, never deleted)
  policy gen-key --out-dir DIR                                  Ed25519 key pair for policy signing
  policy sign FILE --private-key K                              write FILE.sig
  policy verify FILE --public-key K --signature SIG             exit 0 when the signature is valid
  policy validate FILE                                          check a policy; errors with line and column
  policy migrate FILE                                           AegisMCP v1/v2 or TailOps → canonical YAML
  policy simulate --policy FILE --call JSON [--tenant T --subject S --roles a,b --target-role R --at ISO]
  policy test FILE --cases CASES.yaml [--json]                  run policy test cases; exit 1 when any fails (CI)
  approvals wait ID [--timeout S] [--url U] [--token T]         wait for a decision (long poll); prints the final state;
                                                                exit 0 approved, 3 rejected, 4 expired, 5 still pending
  audit verify [--tenant T] [--public-key K] [--json]           recompute the tenant's hash chain and checkpoints
  audit verify --from-export FILE --public-key K                verify an exported JSONL file offline (no database)
  audit export --tenant T [--out FILE]                          export the chain as JSONL
  audit checkpoints --tenant T                                  list signed checkpoints
  db migrate                                                    apply pending database migrations
  gateway [--port N] [--host ADDRESS]                           serve the MCP data plane alone (POST /mcp)
  help                                                          this text
`;

type Command = (argv: string[]) => Promise<number>;

async function audit(argv: string[]): Promise<number> {
  const { auditCommand } = await import("./commands/audit");
  return auditCommand(argv);
}

async function tokens(argv: string[]): Promise<number> {
  const { tokensCommand } = await import("./commands/tokens");
  return tokensCommand(argv);
}

async function members(argv: string[]): Promise<number> {
  const { membersCommand } = await import("./commands/members");
  return membersCommand(argv);
}

async function tenants(argv: string[]): Promise<number> {
  const { tenantsCommand } = await import("./commands/tenants");
  return tenantsCommand(argv);
}

async function policy(argv: string[]): Promise<number> {
  const { policyCommand } = await import("./commands/policy");
  return policyCommand(argv);
}

async function approvalsCmd(argv: string[]): Promise<number> {
  const { approvalsCommand } = await import("./commands/approvals");
  return approvalsCommand(argv);
}

async function gateway(argv: string[]): Promise<number> {
  const { gatewayCommand } = await import("./commands/gateway");
  return gatewayCommand(argv);
}

const COMMANDS: Record<string, Command> = {
  approvals: approvalsCmd,
  gateway,
  "mint-token": mintTokenCommand,
  tokens,
  members,
  tenants,
  policy,
  audit,
  db: dbCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    process.stdout.write(USAGE);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`canopy: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  try {
    return await command(rest);
  } catch (err) {
    process.stderr.write(`canopy ${name}: ${(err as Error).message}\n`);
    return 1;
  }
}
