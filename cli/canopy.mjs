#!/usr/bin/env node
// `npx canopy …`: the CLI is TypeScript, run through tsx's loader (a project dependency). The
// project's tsconfig is named explicitly: tsx would otherwise look for one from the working
// directory, and the `@/` path aliases would not resolve when the CLI runs from anywhere else
// (a container's `canopy` on PATH, a Kubernetes Job, a cron entry).
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";

register({ tsconfig: fileURLToPath(new URL("../tsconfig.json", import.meta.url)) });
const { main } = await import("./main.ts");
process.exitCode = await main(process.argv.slice(2));
