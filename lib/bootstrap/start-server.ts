import { bootstrap, formatReport } from "./index";

/** Validate configuration, migrate, seed, print how to sign in; a bad configuration stops the server. */
export async function startServer() {
  try {
    const report = await bootstrap();
    console.log(formatReport(report));
  } catch (err) {
    console.error(`\nCanopyIQ cannot start: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
