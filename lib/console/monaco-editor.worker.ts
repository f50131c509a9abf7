// Monaco's editor worker (diffs, word ranges, links), as Monaco 0.56+ exports it.
import "monaco-editor/editor/editor.worker.js";
