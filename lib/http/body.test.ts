import fc from "fast-check";
import { afterEach, describe, expect, test } from "vitest";
import { resetEnvForTests } from "@/lib/env";
import { bodyLimitBytes, readBodyBytes, readBodyForm, readBodyText } from "./body";

/** A request whose body would be `total` bytes, produced chunk by chunk on demand; `pulled` counts what was taken. */
function streamed(total: number, chunk = 64 * 1024, headers: Record<string, string> = {}) {
  const counter = { pulled: 0, cancelled: false };
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const n = Math.min(chunk, total - counter.pulled);
      if (n <= 0) return controller.close();
      counter.pulled += n;
      controller.enqueue(new Uint8Array(n).fill(0x61));
    },
    cancel() {
      counter.cancelled = true;
    },
  }, { highWaterMark: 0 });
  const req = new Request("http://test/api/x", { method: "POST", body, headers, duplex: "half" } as RequestInit);
  return { req, counter };
}

afterEach(() => {
  delete process.env.BODY_LIMIT_API_BYTES;
  resetEnvForTests();
});

describe("readBodyBytes", () => {
  test("a body within the limit is read whole", async () => {
    const { req } = streamed(100_000, 7_000);
    expect((await readBodyBytes(req, { bytes: 100_000, what: "tests" })).byteLength).toBe(100_000);
  });

  test("50 MB streamed without Content-Length: refused with 413 once 64 KiB are passed, the rest never pulled", async () => {
    const { req, counter } = streamed(50 * 1024 * 1024, 16 * 1024);
    const err = await readBodyBytes(req, "slack").catch((e) => e);
    expect(err).toMatchObject({ status: 413, code: "payload_too_large", details: { limit_bytes: 64 * 1024, setting: "BODY_LIMIT_SLACK_BYTES" } });
    expect(err.message).toMatch(/the limit for Slack interactivity callbacks is 64 KiB; send a smaller body; an operator can raise BODY_LIMIT_SLACK_BYTES/);
    // At most one chunk past the limit was taken from the stream, and the transfer was cancelled.
    expect(counter.pulled).toBeLessThanOrEqual(64 * 1024 + 16 * 1024);
    expect(counter.cancelled).toBe(true);
  });

  test("a declared Content-Length past the limit is refused before a byte is read", async () => {
    const { req, counter } = streamed(50 * 1024 * 1024, 16 * 1024, { "content-length": String(50 * 1024 * 1024) });
    const err = await readBodyBytes(req, "api").catch((e) => e);
    expect(err).toMatchObject({ status: 413, code: "payload_too_large", details: { content_length: 50 * 1024 * 1024 } });
    expect(err.message).toMatch(/declares 52428800 bytes: the limit for JSON API request bodies is 1 MiB/);
    expect(counter.pulled).toBe(0);
  });

  test("a Content-Length that is not a byte count is a 400", async () => {
    const req = new Request("http://test/", { method: "POST", body: "x", headers: { "content-length": "12abc" } });
    await expect(readBodyBytes(req, "api")).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/Content-Length "12abc" is not a byte count/) });
  });

  test("limits come from the environment", async () => {
    process.env.BODY_LIMIT_API_BYTES = "2048";
    resetEnvForTests();
    expect(bodyLimitBytes("api")).toBe(2048);
    await expect(readBodyText(new Request("http://t/", { method: "POST", body: "x".repeat(2049) }), "api")).rejects.toMatchObject({ status: 413, details: { limit_bytes: 2048 } });
    expect(await readBodyText(new Request("http://t/", { method: "POST", body: "x".repeat(2048) }), "api")).toHaveLength(2048);
  });

  test("no body reads as empty", async () => {
    expect((await readBodyBytes(new Request("http://t/"), "api")).byteLength).toBe(0);
  });

  test("property: accepted exactly when size ≤ limit, and never more than limit + one chunk is pulled", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 200_000 }), fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 1, max: 30_000 }), async (size, limit, chunk) => {
        const { req, counter } = streamed(size, chunk);
        const r = await readBodyBytes(req, { bytes: limit, what: "tests" }).then(
          (b) => b.byteLength,
          (e) => e,
        );
        if (size <= limit) expect(r).toBe(size);
        else expect(r).toMatchObject({ status: 413 });
        expect(counter.pulled).toBeLessThanOrEqual(Math.max(size <= limit ? size : 0, limit + chunk));
      }),
      { numRuns: 60 },
    );
  });
});

describe("readBodyText and readBodyForm", () => {
  test("text is UTF-8 like Request.text(): a BOM is dropped", async () => {
    const req = new Request("http://t/", { method: "POST", body: new Uint8Array([0xef, 0xbb, 0xbf, 0x68, 0xc3, 0xa9]) });
    expect(await readBodyText(req, "api")).toBe("hé");
  });

  test("multipart is bounded before it is parsed", async () => {
    const form = new FormData();
    form.set("strategy", "all");
    form.set("policy", new Blob(["x".repeat(5000)]), "p.yaml");
    const make = () => new Request("http://t/", { method: "POST", body: form });
    const ok = await readBodyForm(make(), { bytes: 10_000, what: "tests" });
    expect(ok.get("strategy")).toBe("all");
    await expect(readBodyForm(make(), { bytes: 4096, what: "tests" })).rejects.toMatchObject({ status: 413, code: "payload_too_large" });
  });
});
