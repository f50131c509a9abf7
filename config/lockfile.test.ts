import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";

// `npm ci` installs exactly the lockfile: a native optional package whose variant for a platform is
// missing from it breaks installs on that platform (the lockfile is rewritten on one OS, and npm
// only records the variants it saw). CI runs `npm ci`; these checks keep it working everywhere.
interface LockEntry {
  os?: string[];
  cpu?: string[];
  libc?: string[];
  optionalDependencies?: Record<string, string>;
}
const lock = JSON.parse(readFileSync("package-lock.json", "utf8")) as { lockfileVersion: number; packages: Record<string, LockEntry> };
const entries = Object.entries(lock.packages);

const PLATFORMS = [
  { label: "Linux x64 (glibc)", os: "linux", cpu: "x64", libc: "glibc" },
  { label: "Linux arm64 (glibc)", os: "linux", cpu: "arm64", libc: "glibc" },
  { label: "macOS arm64", os: "darwin", cpu: "arm64" },
  { label: "macOS x64", os: "darwin", cpu: "x64" },
  { label: "Windows x64", os: "win32", cpu: "x64" },
] as const;

// The native packages the build, the dev server and the tests load.
const NATIVE = ["@next/swc-", "@esbuild/", "@tailwindcss/oxide-", "lightningcss-"];

const fits = (e: LockEntry, p: (typeof PLATFORMS)[number]) =>
  (!e.os || e.os.includes(p.os)) && (!e.cpu || e.cpu.includes(p.cpu)) && (!e.libc || !("libc" in p) || e.libc.includes(p.libc));

describe("package-lock.json installs with npm ci on every platform", () => {
  test("lockfile format 3", () => expect(lock.lockfileVersion).toBe(3));

  test("every optional dependency any package declares has its own entry", () => {
    const missing: string[] = [];
    for (const [at, e] of entries) {
      for (const dep of Object.keys(e.optionalDependencies ?? {})) {
        const nested = `${at ? `${at}/` : ""}node_modules/${dep}`;
        if (!lock.packages[nested] && !lock.packages[`node_modules/${dep}`]) missing.push(`${at || "(root)"} → ${dep}`);
      }
    }
    expect(missing).toEqual([]);
  });

  test.each(NATIVE.flatMap((prefix) => PLATFORMS.map((p) => [prefix, p.label, p] as const)))("%s has a variant for %s", (prefix, _label, platform) => {
    const variants = entries.filter(([at, e]) => at.replace(/^.*node_modules\//, "").startsWith(prefix) && (e.os || e.cpu));
    expect(variants.length).toBeGreaterThan(0);
    expect(variants.filter(([, e]) => fits(e, platform)).map(([at]) => at)).not.toEqual([]);
  });
});
