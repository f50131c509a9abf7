import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parse, parseAllDocuments } from "yaml";

// No helm binary or Docker engine runs on our machines. The chart is rendered by deploy/helm-render
// (Helm's recipe on Go's text/template + sprig + gojsonschema, the libraries Helm itself uses, from
// Debian's packages: .ci/run installs them) and the manifests are checked as a cluster would need.
const chart = "deployment/helm/canopyiq-mcp"; // the seed's path (a link to deploy/)
const values = parse(readFileSync(`${chart}/values.yaml`, "utf8"));
const templates = readdirSync(`${chart}/templates`).map((f) => [f, readFileSync(`${chart}/templates/${f}`, "utf8")] as const);

// Seed 000 §4, as written (the public key is any base64 text).
const SEED_FLAGS = [
  "--set", "image.repository=yourrepo/canopyiq-mcp",
  "--set", "image.tag=v0.1.0",
  "--set", "env.APPROVAL_SYNC_WAIT_MS=20000",
  "--set", "env.POLICY_PUBLIC_KEY_B64=MCowBQYDK2VwAyEAq0Pg3yXh0/Xlxl5+3vR2j1HqkDJSBQfkiQpAMA8R3oY=",
  "--set", "env.POLICY_REQUIRE_SIGNATURE=true",
];

let bin = "";
let workDir = "";
beforeAll(() => {
  workDir = mkdtempSync(path.join(tmpdir(), "helm-render-"));
  bin = path.join(workDir, "helm-render");
  const go = spawnSync("go", ["build", "-o", bin, "./deploy/helm-render"], {
    env: { ...process.env, GOPATH: "/usr/share/gocode", GO111MODULE: "off", GOFLAGS: "", GOCACHE: path.join(tmpdir(), "canopy-gocache") },
    encoding: "utf8",
  });
  if (go.error || go.status !== 0) {
    throw new Error(`cannot build deploy/helm-render (needs Debian's golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v3-dev golang-github-xeipuuv-gojsonschema-dev, as .ci/run installs): ${go.error?.message ?? go.stderr}`);
  }
}, 120_000);
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

interface Manifest {
  kind: string;
  apiVersion: string;
  metadata: { name: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  spec?: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  data?: Record<string, string>;
}

function render(extra: string[] = []): Manifest[] {
  const out = execFileSync(bin, [...SEED_FLAGS, ...extra, "canopyiq-mcp", chart], { encoding: "utf8" });
  return parseAllDocuments(out).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS() as Manifest;
  });
}

function renderFails(extra: string[]): string {
  const r = spawnSync(bin, [...SEED_FLAGS, ...extra, "canopyiq-mcp", chart], { encoding: "utf8" });
  expect(r.status).toBe(1);
  return r.stderr;
}

const byKind = (ms: Manifest[], kind: string) => ms.filter((m) => m.kind === kind);
const one = (ms: Manifest[], kind: string, name: string) => {
  const m = ms.find((x) => x.kind === kind && x.metadata.name === name);
  if (!m) throw new Error(`no ${kind} ${name} in ${ms.map((x) => `${x.kind}/${x.metadata.name}`).join(", ")}`);
  return m;
};

describe("helm chart canopyiq-mcp, rendered with seed 000's flags", () => {
  test("Chart.yaml names the chart the seed installs, at the seed's path", () => {
    expect(parse(readFileSync(`${chart}/Chart.yaml`, "utf8"))).toMatchObject({ apiVersion: "v2", name: "canopyiq-mcp" });
    expect(existsSync("deploy/helm/canopyiq-mcp/Chart.yaml")).toBe(true);
  });

  test("the release holds the console, the data plane with HPA and PDB, the migration hook and the shared keys", () => {
    const ms = render();
    expect(ms.map((m) => `${m.kind}/${m.metadata.name}`).sort()).toEqual([
      "Deployment/canopyiq-mcp",
      "Deployment/canopyiq-mcp-data-plane",
      "HorizontalPodAutoscaler/canopyiq-mcp-data-plane",
      "Job/canopyiq-mcp-migrate",
      "PodDisruptionBudget/canopyiq-mcp-data-plane",
      "Secret/canopyiq-mcp-keys",
      "Service/canopyiq-mcp",
      "Service/canopyiq-mcp-data-plane",
    ]);
  });

  test.each(["canopyiq-mcp", "canopyiq-mcp-data-plane"])("Deployment %s: seed settings, secrets, probes, non-root", (name) => {
    const d = one(render(), "Deployment", name);
    const pod = d.spec!.template.spec;
    const c = pod.containers[0];
    const env = Object.fromEntries(c.env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(env).toMatchObject({
      APPROVAL_SYNC_WAIT_MS: "20000",
      POLICY_REQUIRE_SIGNATURE: "true",
      POLICY_PUBLIC_KEY_B64: "MCowBQYDK2VwAyEAq0Pg3yXh0/Xlxl5+3vR2j1HqkDJSBQfkiQpAMA8R3oY=",
      POLICY_SIG_PATH: "/etc/canopyiq/policy/policy.sig",
    });
    for (const v of Object.values(env)) expect(typeof v).toBe("string"); // Kubernetes wants strings
    expect(c.envFrom.map((e: { secretRef: { name: string } }) => e.secretRef.name)).toEqual(["canopyiq-mcp-secrets", "canopyiq-mcp-keys"]);
    expect(pod.volumes).toEqual([{ name: "policy-sig", secret: { secretName: "canopyiq-policy-sig" } }]);
    expect(c.volumeMounts[0]).toMatchObject({ name: "policy-sig", mountPath: "/etc/canopyiq/policy", readOnly: true });
    for (const probe of ["readinessProbe", "livenessProbe", "startupProbe"]) expect(c[probe].httpGet).toEqual({ path: "/api/health", port: "http" });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001 });
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    expect(c.image).toBe("yourrepo/canopyiq-mcp:v0.1.0");
    // Selectors pick only their own component's pods (the data plane's HPA must not scale the console).
    expect(d.spec!.selector.matchLabels).toEqual(d.spec!.template.metadata.labels);
    expect(d.spec!.selector.matchLabels["app.kubernetes.io/component"]).toBe(name.endsWith("data-plane") ? "data-plane" : "console");
  });

  test("the data plane runs `canopy gateway` on all interfaces with its in-flight bound, scaled by the HPA (no fixed replicas)", () => {
    const ms = render();
    const d = one(ms, "Deployment", "canopyiq-mcp-data-plane");
    const c = d.spec!.template.spec.containers[0];
    expect(c.args).toEqual(["canopy", "gateway", "--port", "8080", "--host", "0.0.0.0"]);
    expect(c.env).toContainEqual({ name: "DATA_PLANE_MAX_IN_FLIGHT", value: "256" });
    expect(d.spec!.replicas).toBeUndefined();
    const hpa = one(ms, "HorizontalPodAutoscaler", "canopyiq-mcp-data-plane");
    expect(hpa.apiVersion).toBe("autoscaling/v2");
    expect(hpa.spec!.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: "canopyiq-mcp-data-plane" });
    expect(hpa.spec!.minReplicas).toBeLessThanOrEqual(hpa.spec!.maxReplicas);
    const pdb = one(ms, "PodDisruptionBudget", "canopyiq-mcp-data-plane");
    expect(pdb.spec!.selector.matchLabels).toEqual(d.spec!.selector.matchLabels);
    const svc = one(ms, "Service", "canopyiq-mcp-data-plane");
    expect(svc.spec!.selector).toEqual(d.spec!.selector.matchLabels);
  });

  test("migrations run as a pre-install/pre-upgrade hook Job with only the database secret", () => {
    const job = one(render(), "Job", "canopyiq-mcp-migrate");
    expect(job.metadata.annotations).toMatchObject({ "helm.sh/hook": "pre-install,pre-upgrade" });
    const c = job.spec!.template.spec.containers[0];
    expect(c.args).toEqual(["canopy", "db", "migrate"]);
    expect(c.envFrom).toEqual([{ secretRef: { name: "canopyiq-mcp-secrets" } }]);
    expect(job.spec!.template.spec.restartPolicy).toBe("Never");
  });

  test("the shared keys are generated once (Ed25519 PEMs, random secrets) and kept on uninstall", () => {
    const [first, second] = [render(), render()].map((ms) => one(ms, "Secret", "canopyiq-mcp-keys"));
    expect(first.metadata.annotations).toMatchObject({ "helm.sh/resource-policy": "keep" });
    const data = Object.fromEntries(Object.entries(first.data!).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]));
    expect(Object.keys(data).sort()).toEqual(["CANOPY_AUDIT_PRIVATE_KEY", "CANOPY_JWT_PRIVATE_KEY", "HMAC_SECRET", "NEXTAUTH_SECRET"]);
    expect(data.CANOPY_JWT_PRIVATE_KEY).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n?$/);
    expect(data.HMAC_SECRET.length).toBeGreaterThanOrEqual(32);
    expect(data.NEXTAUTH_SECRET.length).toBeGreaterThanOrEqual(32);
    // Offline, lookup finds nothing, so each render generates new keys; in a cluster the template
    // reads the existing Secret back (keys-secret.yaml), which is why they differ here.
    expect(second.data!.HMAC_SECRET).not.toBe(first.data!.HMAC_SECRET);
    expect(readFileSync(`${chart}/templates/keys-secret.yaml`, "utf8")).toMatch(/lookup "v1" "Secret" \.Release\.Namespace \$name/);
  });

  test("existingSecret replaces the generated keys", () => {
    const ms = render(["--set", "sharedKeys.existingSecret=my-keys"]);
    expect(byKind(ms, "Secret")).toEqual([]);
    const c = one(ms, "Deployment", "canopyiq-mcp").spec!.template.spec.containers[0];
    expect(c.envFrom).toContainEqual({ secretRef: { name: "my-keys" } });
  });

  test("the ServiceMonitor renders only when enabled and the cluster has its CRD", () => {
    expect(byKind(render(["--set", "serviceMonitor.enabled=true"]), "ServiceMonitor")).toEqual([]);
    const ms = render(["--set", "serviceMonitor.enabled=true", "--api-versions", "monitoring.coreos.com/v1"]);
    const sm = one(ms, "ServiceMonitor", "canopyiq-mcp");
    // It scrapes the console's and the data plane's Services (each serves its process's /api/metrics), nothing else.
    const selects = (svc: Manifest) =>
      Object.entries(sm.spec!.selector.matchLabels).every(([k, v]) => svc.metadata.labels?.[k] === v) &&
      sm.spec!.selector.matchExpressions.every((e: { key: string; operator: string; values: string[] }) => e.operator === "In" && e.values.includes(svc.metadata.labels?.[e.key] ?? ""));
    expect(byKind(ms, "Service").filter(selects).map((svc) => svc.metadata.name).sort()).toEqual(["canopyiq-mcp", "canopyiq-mcp-data-plane"]);
    expect(sm.spec!.endpoints[0]).toMatchObject({ port: "http", path: "/api/metrics", bearerTokenSecret: { name: "canopyiq-metrics-token", key: "token" } });
    expect(sm.spec!.endpoints[0].interval).toMatch(/^\d+s$/);
  });

  test("with the ServiceMonitor, the chart creates its bearer token and gives it to every pod as METRICS_SCRAPE_TOKEN", () => {
    const ms = render(["--set", "serviceMonitor.enabled=true", "--api-versions", "monitoring.coreos.com/v1"]);
    const secret = one(ms, "Secret", "canopyiq-metrics-token");
    expect(secret.metadata.annotations?.["helm.sh/resource-policy"]).toBe("keep");
    expect(Buffer.from(secret.data!.token, "base64").toString()).toMatch(/^[A-Za-z0-9]{48}$/);
    for (const name of ["canopyiq-mcp", "canopyiq-mcp-data-plane"]) {
      const env = one(ms, "Deployment", name).spec!.template.spec.containers[0].env;
      expect(env).toContainEqual({ name: "METRICS_SCRAPE_TOKEN", valueFrom: { secretKeyRef: { name: "canopyiq-metrics-token", key: "token" } } });
    }
    expect(readFileSync(`${chart}/templates/metrics-token-secret.yaml`, "utf8")).toMatch(/lookup "v1" "Secret" \.Release\.Namespace \$name/);
    // An operator's own Secret (a minted token): nothing generated, no scrape token in the pods.
    const own = render(["--set", "serviceMonitor.enabled=true", "--set", "serviceMonitor.bearerTokenSecret.create=false", "--api-versions", "monitoring.coreos.com/v1"]);
    expect(byKind(own, "Secret").map((s) => s.metadata.name)).not.toContain("canopyiq-metrics-token");
    expect(JSON.stringify(byKind(own, "Deployment"))).not.toContain("METRICS_SCRAPE_TOKEN");
    // Off by default: neither.
    expect(JSON.stringify(render())).not.toMatch(/METRICS_SCRAPE_TOKEN|canopyiq-metrics-token/);
  });

  test("the ingress sends MCP traffic to the data plane and the rest to the console", () => {
    const ing = one(render(["--set", "ingress.enabled=true", "--set", "ingress.host=gw.example.com"]), "Ingress", "canopyiq-mcp");
    const paths = ing.spec!.rules[0].http.paths.map((p: { path: string; backend: { service: { name: string } } }) => [p.path, p.backend.service.name]);
    expect(paths).toEqual([["/mcp", "canopyiq-mcp-data-plane"], ["/api/mcp", "canopyiq-mcp-data-plane"], ["/", "canopyiq-mcp"]]);
  });

  test.each([
    ["a misspelt value", ["--set", "image.tg=v2"], /image: Additional property tg is not allowed/],
    ["a wrong type", ["--set", "dataPlane.maxInFlight=lots"], /dataPlane.maxInFlight: Invalid type/],
    ["an unknown top-level value", ["--set", "replicas=3"], /Additional property replicas is not allowed/],
    ["an env name that is not a variable name", ["--set", "env.bad-name=1"], /env: Property name of "bad-name" does not match/],
  ])("values.schema.json refuses %s", (_label, flags, message) => {
    expect(renderFails(flags)).toMatch(message);
  });

  test.each(templates)("%s: every .Values reference exists in values.yaml", (_file, text) => {
    const has = (keys: string[]) => keys.reduce<unknown>((cur, k) => (cur !== null && typeof cur === "object" && k in cur ? (cur as Record<string, unknown>)[k] : undefined), values) !== undefined;
    for (const m of text.matchAll(/\.Values((?:\.\w+)+)/g)) expect(has(m[1].slice(1).split(".")), m[1]).toBe(true);
  });
});

describe("Dockerfile", () => {
  const text = readFileSync("deploy/Dockerfile", "utf8");
  test("every COPY source from the build context exists", () => {
    const sources = [...text.matchAll(/^COPY (?!--from)(?:--\S+ )*(.+) \S+$/gm)].flatMap((m) => m[1].split(/\s+/));
    for (const s of sources.filter((x) => x !== ".")) expect(existsSync(path.resolve(s)), s).toBe(true);
  });
  test("runs on the current Node LTS (26 since October 2026) as a non-root user and checks health", () => {
    expect(text).toMatch(/^FROM node:26-slim AS runtime$/m);
    expect(text).toMatch(/^USER canopy$/m);
    // The chart's data plane and migration Job run `canopy …` from PATH.
    expect(text).toMatch(/ln -s \/app\/cli\/canopy\.mjs \/usr\/local\/bin\/canopy/);
    expect(text).toMatch(/HEALTHCHECK .*\/api\/health/);
  });
});
