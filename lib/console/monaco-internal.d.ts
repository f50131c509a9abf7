// monaco-editor ships no types for its adapter of the pre-0.56 createWebWorker options
// (lib/console/monaco.ts hands it to monaco-yaml).
declare module "monaco-editor/internal/common/workers.js" {
  export function createWebWorker(opts: { moduleId?: string; label?: string; createData?: unknown; host?: unknown; keepIdleModels?: boolean }): unknown;
}
