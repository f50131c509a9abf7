#!/usr/bin/env node
// `npx canopy …`: the CLI is TypeScript, run through tsx's loader (a project dependency).
import { register } from "tsx/esm/api";

register();
const { main } = await import("./main.ts");
process.exitCode = await main(process.argv.slice(2));
