/**
 * Monaco for the policy studio, from the installed package (never a CDN), loaded only in the
 * browser: components import this module dynamically inside an effect, so the server never
 * evaluates it. The editor core and diff editor with the contributions an author uses (hover,
 * completion and snippets, the marker widget, find, folding, comments, clipboard, multi-cursor,
 * the read-only message), YAML highlighting, and monaco-yaml with the engine's JSON Schema for
 * completion and hovers. Not `editor.main`: its eighty languages and every contribution would
 * double the code the page parses before the editor can take a keystroke.
 *
 * Schema validation in the editor stays off: the markers come from the server's own validator,
 * so the editor and `canopy policy validate` never disagree.
 */
import * as monaco from "monaco-editor/editor/editor.api.js";
import "monaco-editor/features/codeEditor/register.js";
import "monaco-editor/features/diffEditor/register.js";
import "monaco-editor/features/codicon/register.js";
import "monaco-editor/features/hover/register.js";
import "monaco-editor/features/gotoError/register.js";
import "monaco-editor/features/find/register.js";
import "monaco-editor/features/folding/register.js";
import "monaco-editor/features/bracketMatching/register.js";
import "monaco-editor/features/clipboard/register.js";
import "monaco-editor/features/contextmenu/register.js";
import "monaco-editor/features/cursorUndo/register.js";
import "monaco-editor/features/comment/register.js";
import "monaco-editor/features/indentation/register.js";
import "monaco-editor/features/linesOperations/register.js";
import "monaco-editor/features/wordOperations/register.js";
import "monaco-editor/features/multicursor/register.js";
import "monaco-editor/features/readOnlyMessage/register.js";
import "monaco-editor/features/wordHighlighter/register.js";
import "monaco-editor/features/smartSelect/register.js";
import "monaco-editor/features/snippet/register.js";
import "monaco-editor/editor/contrib/suggest/browser/suggestController.js";
import "monaco-editor/languages/definitions/yaml/register.js";
import { configureMonacoYaml, type MonacoYaml } from "monaco-yaml";

export type Monaco = typeof monaco;

/** Models the policy schema applies to. */
export const POLICY_FILE_MATCH = "**/*.policy.yaml";

let yaml: MonacoYaml | null = null;
let schemaJson: string | null = null;

function workerFor(label: string): Worker {
  // Turbopack bundles each `new Worker(new URL(…, import.meta.url))` as its own entry, a classic
  // worker script that loads its chunks with importScripts (so no `type: "module"`).
  if (label === "yaml") return new Worker(new URL("./monaco-yaml.worker.ts", import.meta.url), { name: "monaco-yaml" });
  return new Worker(new URL("./monaco-editor.worker.ts", import.meta.url), { name: "monaco-editor" });
}

/**
 * Monaco 0.56+ takes a ready Worker in editor.createWebWorker; monaco-yaml (through
 * monaco-worker-manager) still passes {moduleId, label, createData}. This adapter does what
 * Monaco's own language services do (monaco-editor/internal/common/workers.js, which would also
 * pull in every contribution): create the worker for the label, hand it its creation data in the
 * second message (the first wakes the worker's bootstrap), and give Monaco the worker.
 */
function createWebWorker(opts: { label?: string; createData?: unknown; host?: Record<string, (...args: unknown[]) => unknown>; keepIdleModels?: boolean }) {
  const worker = workerFor(opts.label ?? "monaco-editor-worker");
  worker.postMessage("ignore");
  worker.postMessage(opts.createData);
  return monaco.editor.createWebWorker({ worker, host: opts.host, keepIdleModels: opts.keepIdleModels });
}

/** Monaco, with its workers and the YAML language service configured for `schema` (idempotent). */
export function loadMonaco(schema: Record<string, unknown>): Monaco {
  globalThis.MonacoEnvironment = { getWorker: (_moduleId: string, label: string) => workerFor(label) };
  const json = JSON.stringify(schema);
  const options = {
    enableSchemaRequest: false,
    validate: false,
    completion: true,
    hover: true,
    format: { enable: false },
    schemas: [{ uri: "https://canopyiq.local/schemas/policy.json", fileMatch: [POLICY_FILE_MATCH], schema: schema as never }],
  };
  // monaco-yaml keeps one configuration per page: later editors update it.
  if (!yaml) yaml = configureMonacoYaml({ ...monaco, editor: { ...monaco.editor, createWebWorker } } as unknown as Monaco, options);
  else if (json !== schemaJson) yaml.update(options);
  schemaJson = json;
  return monaco;
}
