// Preloaded into a process under a soak (node --import): every second, its event-loop delay
// (p50, p99, max in ms over that second) and RSS in MB, as one `loop-probe {json}` line on stderr.
import { monitorEventLoopDelay } from "node:perf_hooks";

const h = monitorEventLoopDelay({ resolution: 10 });
h.enable();
const ms = (ns) => Math.round(ns / 1e4) / 100;
setInterval(() => {
  const line = { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), rss_mb: Math.round(process.memoryUsage.rss() / 1048576), heap_mb: Math.round(process.memoryUsage().heapUsed / 1048576) };
  h.reset();
  process.stderr.write(`loop-probe ${JSON.stringify(line)}\n`);
}, 1000).unref();
