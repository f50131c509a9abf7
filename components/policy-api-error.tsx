import type { PolicyApiError } from "@/lib/console/policy-api";

/** The API's error envelope, in full: code, message and the details that say where. */
export function ApiErrorNote({ error, what }: { error: PolicyApiError; what: string }) {
  const details = error.details as { errors?: { line: number; column: number; message: string }[] } | undefined;
  return (
    <div role="alert" className="rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-800">
      <p>
        <span className="font-semibold">{what} refused</span> ({error.status} {error.code}): {error.message}
      </p>
      {details?.errors && details.errors.length > 0 && (
        <ul className="mt-1 list-disc pl-5 text-xs">
          {details.errors.slice(0, 10).map((e, i) => (
            <li key={i}>
              line {e.line}, column {e.column}: {e.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
