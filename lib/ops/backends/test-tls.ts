/**
 * Test-only TLS material made with the openssl CLI: a CA, a server certificate for 127.0.0.1
 * and localhost, and a client certificate (for Docker's mutual TLS). Nothing is committed.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export interface TestPki {
  ca: string;
  serverKey: string;
  serverCert: string;
  clientKey: string;
  clientCert: string;
  /** Another CA, that signed nothing here (to prove verification). */
  otherCa: string;
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(path.join(tmpdir(), "ops-pki-"));
  const f = (n: string) => path.join(dir, n);
  const ssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  try {
    ssl("req", "-x509", ...ec, "-keyout", f("ca.key"), "-out", f("ca.pem"), "-days", "2", "-subj", "/CN=ops test CA");
    ssl("req", "-x509", ...ec, "-keyout", f("other.key"), "-out", f("other.pem"), "-days", "2", "-subj", "/CN=ops other CA");
    writeFileSync(f("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
    writeFileSync(f("client.ext"), "extendedKeyUsage=clientAuth\n");
    for (const who of ["server", "client"]) {
      ssl("req", ...ec, "-keyout", f(`${who}.key`), "-out", f(`${who}.csr`), "-subj", `/CN=ops test ${who}`);
      ssl("x509", "-req", "-in", f(`${who}.csr`), "-CA", f("ca.pem"), "-CAkey", f("ca.key"), "-CAcreateserial", "-out", f(`${who}.pem`), "-days", "2", "-extfile", f(`${who}.ext`));
    }
    const r = (n: string) => readFileSync(f(n), "utf8");
    return { ca: r("ca.pem"), serverKey: r("server.key"), serverCert: r("server.pem"), clientKey: r("client.key"), clientCert: r("client.pem"), otherCa: r("other.pem") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Recorded {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}
