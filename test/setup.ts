import { tmpdir } from "node:os";
import path from "node:path";

// Each test worker gets its own data folder: an embedded PGlite database may be opened by one
// process only, and tests never touch the developer's own .data folder.
process.env.CANOPY_DATA_DIR = path.join(tmpdir(), "canopy-vitest", String(process.pid));
process.env.LOG_LEVEL ??= "silent";
