/**
 * Monaco for the policy studio, from the installed package (never a CDN), loaded only in the
 * browser: components import this module dynamically inside an effect, so the server never
 * evaluates it. The editor core, its contributions (hover, suggest, markers, find, the diff
 * editor), YAML highlighting and monaco-yaml with the engine's JSON Schema for completion and
 * hovers. Schema validation in the editor stays off: the markers come from the server's own
 * validator, so the editor and `canopy policy validate` never disagree.
 */
import * as monaco from "monaco-editor/editor/editor.api.js";
import "monaco-editor/features/register.all.js";
// What editor.main adds beyond register.all (without its eighty languages).
import "monaco-editor/editor/contrib/caretOperations/browser/caretOperations.js";
import "monaco-editor/editor/contrib/dropOrPasteInto/browser/copyPasteContribution.js";
import "monaco-editor/editor/contrib/find/browser/findController.js";
import "monaco-editor/editor/contrib/gotoError/browser/markerSelectionStatus.js";
import "monaco-editor/editor/contrib/gotoSymbol/browser/goToCommands.js";
import "monaco-editor/editor/contrib/semanticTokens/browser/documentSemanticTokens.js";
import "monaco-editor/editor/contrib/suggest/browser/suggestController.js";
import "monaco-editor/editor/common/standaloneStrings.js";
import "monaco-editor/languages/definitions/yaml/register.js";
// Monaco 0.56+ takes a ready Worker in editor.createWebWorker; monaco-yaml (through
// monaco-worker-manager) still passes {moduleId, label, createData}. Monaco's own JSON and CSS
// services use this adapter of the older form, so monaco-yaml gets it too.
import { createWebWorker } from "monaco-editor/internal/common/workers.js";
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
