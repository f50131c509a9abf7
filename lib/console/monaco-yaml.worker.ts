// The YAML language service (completion and hovers from the policy JSON Schema) in its own worker.
import "monaco-yaml/yaml.worker.js";
