/**
 * The labels of one sample line of the Prometheus text format (`name{a="x",b="y"} 1`), or null
 * for comments, blank lines and lines that are not samples. Label values are unescaped
 * (`\\`, `\"`, `\n`), so a value can never pose as another label.
 */
export function sampleLabels(line: string): Record<string, string> | null {
  const m = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
  if (!m) return null;
  let i = m[0].length;
  const labels: Record<string, string> = {};
  if (line[i] !== "{") return labels;
  i++;
  while (i < line.length) {
    while (line[i] === " " || line[i] === ",") i++;
    if (line[i] === "}") return labels;
    const name = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i));
    if (!name) return null;
    i += name[0].length;
    if (line[i] !== "=" || line[i + 1] !== '"') return null;
    i += 2;
    let value = "";
    for (;;) {
      const c = line[i];
      if (c === undefined) return null;
      if (c === '"') break;
      if (c === "\\") {
        const n = line[i + 1];
        value += n === "n" ? "\n" : (n ?? "");
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    i++;
    labels[name[0]] = value;
  }
  return null;
}

/**
 * The exposition with only the series a tenant may see: every series carrying a `tenant` label
 * for another tenant is dropped (`tenant` null keeps everything: platform admins). Series without
 * a tenant label are process-wide and kept. A sample line that cannot be parsed is dropped
 * (fail closed); comment lines stay.
 */
export function exposeFor(text: string, tenant: string | null): string {
  if (tenant === null) return text;
  const out: string[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) {
      out.push(line);
      continue;
    }
    const labels = sampleLabels(line);
    if (!labels) continue;
    if (labels.tenant !== undefined && labels.tenant !== tenant) continue;
    out.push(line);
  }
  return out.join("\n");
}
