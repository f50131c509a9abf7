/** A refused API call: the error envelope's status, code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The console's JSON client: same-origin fetch, the error envelope turned into an ApiError, the answer parsed by its zod schema. */
export async function apiFetch<T>(url: string, parse: (v: unknown) => T, init?: { method?: string; body?: unknown }): Promise<T> {
  const res = await fetch(url, {
    method: init?.method ?? "GET",
    headers: init?.body === undefined ? { accept: "application/json" } : { "content-type": "application/json", accept: "application/json" },
    body: init?.body === undefined ? undefined : JSON.stringify(init.body),
    cache: "no-store",
  });
  const body = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
  if (!res.ok) throw new ApiError(res.status, body.error?.code ?? "error", body.error?.message ?? `request failed (${res.status})`);
  return parse(body);
}
