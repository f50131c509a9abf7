/**
 * Where to land after signing in: a path of this site only. Anything else (another origin,
 * protocol-relative `//host`, backslashes that browsers treat as slashes, the login page itself)
 * falls back to the dashboard, so the parameter cannot send anyone elsewhere.
 */
export function safeNextPath(value: string | string[] | null | undefined): string {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v || v.length > 2000 || !v.startsWith("/") || v.startsWith("//") || /[\\\s]/.test(v) || v.startsWith("/login")) return "/";
  try {
    const u = new URL(v, "http://canopy.invalid");
    if (u.origin !== "http://canopy.invalid") return "/";
    return `${u.pathname}${u.search}`;
  } catch {
    return "/";
  }
}
