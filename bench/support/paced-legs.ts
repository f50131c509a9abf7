import { createServer, request, Agent } from "node:http";
import { connect } from "node:net";
import { timed } from "./timing";

/**
 * Round trips the gateway adds to a call, timed bare and paced like the added-latency bench (one
 * every `gapMs`): an HTTP POST to a trivial node:http echo in this process over a keep-alive
 * socket (the agent→gateway leg a direct call does not have) and a Redis PING (the limits step's
 * floor). On a virtual machine an idle gap makes every round trip pay for waking its peers.
 */
export async function pacedLegs(redisUrl: string, gapMs: number, n = 300): Promise<{ http_leg_p50_ms: number; redis_ping_p50_ms: number }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      res.setHeader("content-type", "application/json");
      res.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "echo", arguments: { message: "hi" } } });
  const post = () =>
    new Promise<void>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, method: "POST", path: "/mcp", agent, headers: { "content-type": "application/json" } }, (res) => {
        res.resume();
        res.on("end", resolve);
      });
      req.on("error", reject);
      req.end(body);
    });
  const u = new URL(redisUrl);
  const sock = connect(Number(u.port || 6379), u.hostname);
  await new Promise<void>((r, j) => (sock.once("connect", () => r()), sock.once("error", j)));
  let waiting: ((reply: string) => void) | null = null;
  sock.on("data", (d: Buffer) => waiting?.(d.toString("latin1")));
  // One command, its whole (short) reply; anything but the expected status line stops the bench.
  const command = (text: string, expect: string) =>
    new Promise<void>((resolve, reject) => {
      waiting = (reply) => (reply.startsWith(expect) ? resolve() : reject(new Error(`Redis answered ${reply.trim()} to ${text.split("\r\n")[0]}`)));
      sock.write(text);
    });
  const ping = () => command("PING\r\n", "+PONG");
  try {
    // A Redis with a password answers PING only after AUTH.
    if (u.password) {
      const user = decodeURIComponent(u.username);
      const pass = decodeURIComponent(u.password);
      const args = user ? ["AUTH", user, pass] : ["AUTH", pass];
      await command(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`, "+OK");
    }
    return { http_leg_p50_ms: (await timed(n, gapMs, post)).p50, redis_ping_p50_ms: (await timed(n, gapMs, ping)).p50 };
  } finally {
    sock.destroy();
    agent.destroy();
    server.close();
  }
}
