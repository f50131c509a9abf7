// Runs once when the server starts. NEXT_RUNTIME is a build-time constant (not configuration):
// the check lets the bundler drop the Node-only start-up from the edge build.
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { startServer } = await import("./lib/bootstrap/start-server");
    await startServer();
  }
}
