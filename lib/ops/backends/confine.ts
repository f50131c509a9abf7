/**
 * File access confined to a target's roots on the gateway host. A path is first matched to a
 * root lexically (it must be strictly below one), then every symlink is resolved and the result
 * must still be inside that root's resolved path; the final file is opened with O_NOFOLLOW (and
 * O_NONBLOCK, so a FIFO cannot stall a call) and must be a regular file. Writing never follows a
 * symlink at the final component; deleting removes the entry itself (a link, not what it points to).
 */
import { constants, type Stats } from "node:fs";
import { lstat, open, realpath, unlink } from "node:fs/promises";
import path from "node:path";
import { AppError } from "@/lib/errors";

export class ConfinementError extends AppError {
  constructor(message: string) {
    super(403, "path_outside_roots", message);
  }
}

const isUnder = (p: string, root: string) => p.startsWith(root === "/" ? "/" : `${root}/`) && p !== root;

/** The root (as configured) that lexically contains `p`, strictly below it. */
export function rootOf(roots: readonly string[], p: string): string {
  const root = roots.find((r) => isUnder(p, r));
  if (!root) throw new ConfinementError(roots.length === 0 ? `the target has no file roots; ${p} is refused` : `${p} is outside the target's file roots (${roots.join(", ")})`);
  return root;
}

async function realRoot(root: string): Promise<string> {
  try {
    return await realpath(root);
  } catch {
    throw new AppError(409, "root_missing", `file root ${root} does not exist on the target`);
  }
}

const notFound = (p: string) => new AppError(404, "file_not_found", `${p} does not exist`);

/** An existing file's resolved path, inside its root after every symlink is followed. */
export async function resolveExisting(roots: readonly string[], p: string): Promise<{ real: string; root: string }> {
  const root = rootOf(roots, p);
  const rootReal = await realRoot(root);
  let real: string;
  try {
    real = await realpath(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") throw notFound(p);
    throw e;
  }
  if (!isUnder(real, rootReal)) throw new ConfinementError(`${p} resolves outside the file root ${root}: refused (symlink escape)`);
  return { real, root };
}

/** Where a new entry named `p` would be: its parent resolved inside the root, the final name not followed. */
export async function resolveEntry(roots: readonly string[], p: string): Promise<{ real: string; root: string; existing: Stats | null }> {
  const root = rootOf(roots, p);
  const rootReal = await realRoot(root);
  let parent: string;
  try {
    parent = await realpath(path.dirname(p));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new AppError(404, "file_not_found", `the folder of ${p} does not exist`);
    throw e;
  }
  if (parent !== rootReal && !isUnder(parent, rootReal)) throw new ConfinementError(`the folder of ${p} resolves outside the file root ${root}: refused (symlink escape)`);
  const real = path.join(parent, path.basename(p));
  let existing: Stats | null = null;
  try {
    existing = await lstat(real);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  return { real, root, existing };
}

const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

export async function readConfined(roots: readonly string[], p: string, maxBytes: number): Promise<{ content: Buffer; size: number; truncated: boolean }> {
  const { real } = await resolveExisting(roots, p);
  const fh = await open(real, READ_FLAGS);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new AppError(400, "not_a_file", `${p} is not a regular file`);
    const want = Math.min(maxBytes, st.size);
    const buf = Buffer.alloc(want);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await fh.read(buf, got, want - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return { content: buf.subarray(0, got), size: st.size, truncated: st.size > got };
  } finally {
    await fh.close();
  }
}

export async function writeConfined(roots: readonly string[], p: string, content: Buffer, mode: number, overwrite: boolean): Promise<{ bytes: number; created: boolean }> {
  const { real, existing } = await resolveEntry(roots, p);
  if (existing) {
    if (existing.isSymbolicLink()) throw new ConfinementError(`${p} is a symlink; writing through a link is refused`);
    if (!existing.isFile()) throw new AppError(400, "not_a_file", `${p} exists and is not a regular file`);
    if (!overwrite) throw new AppError(409, "file_exists", `${p} exists; pass overwrite: true to replace it`);
  }
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK | (overwrite ? constants.O_TRUNC : constants.O_EXCL);
  const fh = await open(real, flags, mode);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new AppError(400, "not_a_file", `${p} is not a regular file`);
    await fh.writeFile(content);
    await fh.chmod(mode);
  } finally {
    await fh.close();
  }
  return { bytes: content.length, created: existing === null };
}

export async function deleteConfined(roots: readonly string[], p: string): Promise<{ deleted: "file" | "symlink" }> {
  const { real, existing } = await resolveEntry(roots, p);
  if (!existing) throw notFound(p);
  if (existing.isDirectory()) throw new AppError(400, "not_a_file", `${p} is a directory; file_delete removes files only`);
  await unlink(real);
  return { deleted: existing.isSymbolicLink() ? "symlink" : "file" };
}

/** Largest file file_copy copies. */
export const MAX_COPY_BYTES = 100 * 1024 * 1024;

export async function copyConfined(roots: readonly string[], source: string, destination: string, overwrite: boolean): Promise<{ bytes: number }> {
  const src = await resolveExisting(roots, source);
  const dst = await resolveEntry(roots, destination);
  if (dst.existing) {
    if (dst.existing.isSymbolicLink()) throw new ConfinementError(`${destination} is a symlink; writing through a link is refused`);
    if (!dst.existing.isFile()) throw new AppError(400, "not_a_file", `${destination} exists and is not a regular file`);
    if (!overwrite) throw new AppError(409, "file_exists", `${destination} exists; pass overwrite: true to replace it`);
  }
  const input = await open(src.real, READ_FLAGS);
  try {
    const st = await input.stat();
    if (!st.isFile()) throw new AppError(400, "not_a_file", `${source} is not a regular file`);
    if (st.size > MAX_COPY_BYTES) throw new AppError(413, "file_too_large", `${source} is ${st.size} bytes; file_copy copies at most ${MAX_COPY_BYTES}`);
    const output = await open(dst.real, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK | (overwrite ? constants.O_TRUNC : constants.O_EXCL), st.mode & 0o777);
    let bytes = 0;
    try {
      const buf = Buffer.alloc(64 * 1024);
      for (;;) {
        const { bytesRead } = await input.read(buf, 0, buf.length, bytes);
        if (bytesRead === 0) break;
        await output.write(buf, 0, bytesRead);
        bytes += bytesRead;
        if (bytes > MAX_COPY_BYTES) throw new AppError(413, "file_too_large", `${source} grew past ${MAX_COPY_BYTES} bytes while copying`);
      }
    } finally {
      await output.close();
    }
    return { bytes };
  } finally {
    await input.close();
  }
}
