/**
 * A large, realistic policy for limit tests: `rules` rules cycling through the condition kinds a
 * real policy uses (paths, hosts, methods, sizes, cost, approvals with reasons), each with a name
 * and a reason like an author would write. Used by the unit tests and the e2e security suite to
 * prove the policy routes' body limit fits a 1,000-rule policy.
 */
export function generatePolicy(rules: number): string {
  const out = [
    "version: 1",
    `name: generated-${rules}-rules`,
    "description: A generated policy with many rules, as a large organisation would write (limit tests).",
    "defaults:",
    "  decision: deny",
    '  reason: "No rule allows this call (deny by default)"',
    "rules:",
  ];
  for (let i = 0; i < rules; i++) {
    const team = `team-${String(i).padStart(4, "0")}`;
    switch (i % 5) {
      case 0:
        out.push(
          `  - name: "${team}: writes outside the team jail need two secops approvers"`,
          `    match: ["fs.write", "fs.edit", "fs.move"]`,
          `    where:`,
          `      path_not_under: ["/sandbox/${team}/tmp", "/sandbox/${team}/out"]`,
          `    action: approval`,
          `    approver_group: "secops"`,
          `    required_approvals: 2`,
          `    reason: "Writes outside ${team}'s jail require two approvers from secops"`,
        );
        break;
      case 1:
        out.push(
          `  - name: "${team}: internal API reads"`,
          `    match: "net.http"`,
          `    where:`,
          `      method: ["GET", "HEAD"]`,
          `      host_in: ["${team}.internal.example.com", "*.${team}.internal.example.com"]`,
          `    action: allow`,
          `    reason: "Read-only calls to ${team}'s internal APIs are allowed"`,
        );
        break;
      case 2:
        out.push(
          `  - name: "${team}: large uploads are blocked"`,
          `    match: "net.http"`,
          `    where:`,
          `      body_bytes_over: ${1_048_576 + i}`,
          `      host_in: ["upload.${team}.example.com"]`,
          `    action: deny`,
          `    reason: "Request bodies over 1 MiB to ${team}'s upload host are blocked"`,
        );
        break;
      case 3:
        out.push(
          `  - name: "${team}: expensive cloud operations need finance"`,
          `    match: "cloud.*"`,
          `    where:`,
          `      estimated_cost_usd_over: ${50 + i}`,
          `    action: approval`,
          `    approver_group: "finance"`,
          `    reason: "Cloud operations over ${50 + i} USD for ${team} need a finance approver"`,
        );
        break;
      default:
        out.push(
          `  - name: "${team}: sandbox reads"`,
          `    match: ["fs.read", "fs.list", "fs.search"]`,
          `    where:`,
          `      path_under: ["/sandbox/${team}"]`,
          `    action: allow`,
          `    reason: "Reading ${team}'s sandbox is allowed"`,
        );
    }
  }
  return `${out.join("\n")}\n`;
}
