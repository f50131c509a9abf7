/**
 * The Targets page's form as text fields and the API body it becomes (pure: tested beside it).
 * Maintenance windows are one per line, `days start-end [timezone]` (`mon-fri 08:00-12:00 UTC`,
 * `1,3,5 22:00-02:00 Europe/Paris`); options are the backend's JSON. The server validates it all
 * again: this only turns text into shapes and says which field is wrong.
 */

export const FORM_BACKENDS = ["local", "ssh", "docker", "proxmox"] as const;
export const FORM_ROLES = ["gateway", "production", "staging", "development", "testing", "maintenance"] as const;

export interface TargetFormState {
  id: string;
  name: string;
  backend: (typeof FORM_BACKENDS)[number];
  address: string;
  port: string;
  role: (typeof FORM_ROLES)[number];
  tags: string;
  credential_ref: string;
  windows: string;
  options: string;
}

export const EMPTY_TARGET_FORM: TargetFormState = { id: "", name: "", backend: "ssh", address: "", port: "", role: "development", tags: "", credential_ref: "", windows: "", options: "{}" };

export interface FormWindow {
  days: (number | string)[];
  start: string;
  end: string;
  timezone: string;
}

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const MAX_WINDOW_LINES = 16;

/** `mon-fri` → mon…fri; `1,3` → 1, 3; names and numbers as the API takes them. */
function parseDays(text: string): (number | string)[] | null {
  const out: (number | string)[] = [];
  for (const part of text.split(",").filter(Boolean)) {
    const range = /^([a-z]{3})-([a-z]{3})$/i.exec(part);
    if (range) {
      const a = DAYS.indexOf(range[1].toLowerCase());
      const b = DAYS.indexOf(range[2].toLowerCase());
      if (a < 0 || b < 0 || b < a) return null;
      out.push(...DAYS.slice(a, b + 1));
    } else if (/^[1-7]$/.test(part)) out.push(Number(part));
    else if (DAYS.includes(part.toLowerCase())) out.push(part.toLowerCase());
    else return null;
  }
  return out.length > 0 ? out : null;
}

export function parseWindows(text: string): { ok: true; windows: FormWindow[] } | { ok: false; message: string } {
  const lines = text.split("\n").map((l) => l.trim()).filter(Boolean);
  if (lines.length > MAX_WINDOW_LINES) return { ok: false, message: `at most ${MAX_WINDOW_LINES} windows` };
  const windows: FormWindow[] = [];
  for (const line of lines) {
    const m = /^(\S+)\s+(\d{2}:\d{2})-(\d{2}:\d{2})(?:\s+(\S+))?$/.exec(line);
    const days = m ? parseDays(m[1]) : null;
    if (!m || !days) return { ok: false, message: `"${line}" is not "days start-end [timezone]", e.g. mon-fri 08:00-12:00 UTC` };
    windows.push({ days, start: m[2], end: m[3], timezone: m[4] ?? "UTC" });
  }
  return { ok: true, windows };
}

export function formatWindows(windows: { days: number[]; start: string; end: string; timezone: string }[]): string {
  return windows.map((w) => `${w.days.join(",")} ${w.start}-${w.end} ${w.timezone}`).join("\n");
}

export type BodyResult = { ok: true; body: Record<string, unknown> } | { ok: false; field: keyof TargetFormState; message: string };

/** The API body of the form; in edit mode the id is the path's, not the body's. */
export function targetBody(f: TargetFormState, mode: "create" | "edit"): BodyResult {
  const windows = parseWindows(f.windows);
  if (!windows.ok) return { ok: false, field: "windows", message: windows.message };
  let options: unknown;
  try {
    options = f.options.trim() === "" ? {} : JSON.parse(f.options);
  } catch {
    return { ok: false, field: "options", message: "options must be a JSON object" };
  }
  if (typeof options !== "object" || options === null || Array.isArray(options)) return { ok: false, field: "options", message: "options must be a JSON object" };
  const port = f.port.trim();
  if (port !== "" && !/^\d{1,5}$/.test(port)) return { ok: false, field: "port", message: "port must be a number" };
  const body: Record<string, unknown> = {
    ...(mode === "create" ? { id: f.id.trim() } : {}),
    name: f.name.trim(),
    backend: f.backend,
    role: f.role,
    tags: f.tags.split(",").map((t) => t.trim()).filter(Boolean),
    maintenance_windows: windows.windows,
    options,
    ...(f.address.trim() ? { address: f.address.trim() } : {}),
    ...(port ? { port: Number(port) } : {}),
    ...(f.credential_ref.trim() ? { credential_ref: f.credential_ref.trim() } : {}),
  };
  return { ok: true, body };
}

/** The form of an existing target (for editing). */
export function formOf(t: { id: string; name: string; backend: string; address: string | null; port: number | null; role: string; tags: string[]; credential_ref: string | null; maintenance_windows: { days: number[]; start: string; end: string; timezone: string }[]; options: Record<string, unknown> }): TargetFormState {
  return {
    id: t.id,
    name: t.name,
    backend: t.backend as TargetFormState["backend"],
    address: t.address ?? "",
    port: t.port === null ? "" : String(t.port),
    role: t.role as TargetFormState["role"],
    tags: t.tags.join(", "),
    credential_ref: t.credential_ref ?? "",
    windows: formatWindows(t.maintenance_windows),
    options: JSON.stringify(t.options, null, 2),
  };
}
