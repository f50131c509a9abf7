#!/usr/bin/env node
// A stdio MCP server with the tools, resources, prompts and completions the conformance suite's
// scenarios ask for by name (test_simple_text, test_input_required_result_*, test://static-text,
// test_simple_prompt, …): the reference server (@modelcontextprotocol/server-everything) has
// others, and the suite's own test server ships in no package. Mounted beside the reference server
// by scripts/mcp-conformance.mjs, so those scenarios measure how faithfully the gateway relays a
// tool's content blocks, how it relays a call's logs, progress and server→client requests
// (sampling, elicitation) to a session-era caller, and, at 2026-07-28, its multi round-trip results
// (SEP-2322: input_required, inputResponses, requestState), which the gateway carries over this session.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { completable } from "@modelcontextprotocol/sdk/server/completable.js";
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { CreateMessageResultSchema, ElicitResultSchema, ListToolsRequestSchema, McpError, SubscribeRequestSchema, UnsubscribeRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";

const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
const WAV = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=";
const CAPABILITIES_KEY = "io.modelcontextprotocol/clientCapabilities";

// The fixture's own requestState is HMAC-signed too: the gateway hands it back unchanged or not at all.
const KEY = randomBytes(32);
const mac = (v) => createHmac("sha256", KEY).update(v).digest("base64url");
const mint = (payload) => {
  const body = Buffer.from(JSON.stringify(payload)).toString("base64url");
  return `${body}.${mac(body)}`;
};
function verify(state) {
  const [body, sig] = typeof state === "string" ? state.split(".") : [];
  if (!body || !sig || sig.length !== mac(body).length || !timingSafeEqual(Buffer.from(sig), Buffer.from(mac(body)))) return null;
  return JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
}
class InvalidState extends McpError {
  constructor() {
    super(-32602, "requestState failed verification");
  }
}

const text = (t) => ({ content: [{ type: "text", text: t }] });
const elicit = (message, properties, required) => ({ method: "elicitation/create", params: { message, requestedSchema: { type: "object", properties, required } } });
const sample = (prompt, maxTokens) => ({ method: "sampling/createMessage", params: { messages: [{ role: "user", content: { type: "text", text: prompt } }], maxTokens } });
const ROOTS = { method: "roots/list", params: {} };
const inputRequired = (inputRequests, requestState) => ({ resultType: "input_required", inputRequests, ...(requestState ? { requestState } : {}) });

/** name → [description, handler(params)]; a handler returns a tool result or an input_required result. */
const TOOLS = {
  test_simple_text: ["Tests simple text content response", () => text("This is a simple text response for testing.")],
  test_image_content: ["Tests image content response", () => ({ content: [{ type: "image", data: PNG, mimeType: "image/png" }] })],
  test_audio_content: ["Tests audio content response", () => ({ content: [{ type: "audio", data: WAV, mimeType: "audio/wav" }] })],
  test_embedded_resource: [
    "Tests embedded resource content response",
    () => ({ content: [{ type: "resource", resource: { uri: "test://embedded-resource", mimeType: "text/plain", text: "This is an embedded resource content." } }] }),
  ],
  test_multiple_content_types: [
    "Tests response with multiple content types (text, image, resource)",
    () => ({
      content: [
        { type: "text", text: "Multiple content types test:" },
        { type: "image", data: PNG, mimeType: "image/png" },
        { type: "resource", resource: { uri: "test://mixed-content-resource", mimeType: "application/json", text: JSON.stringify({ test: "data", value: 123 }) } },
      ],
    }),
  ],
  test_error_handling: ["Tests error response handling", () => ({ isError: true, content: [{ type: "text", text: "This tool intentionally returns an error for testing" }] })],
  test_missing_capability: [
    "Needs the sampling capability: refused with MissingRequiredClientCapability (-32021) when the request did not declare it",
    ({ _meta }) => {
      if (!_meta?.[CAPABILITIES_KEY]?.sampling) throw new McpError(-32021, "this tool needs the sampling capability", { requiredCapabilities: { sampling: {} } });
      return text("sampling was declared");
    },
  ],
  test_input_required_result_elicitation: [
    "Asks the user's name through an in-band elicitation (SEP-2322)",
    ({ inputResponses }) => {
      const name = inputResponses?.user_name?.content?.name;
      return name ? text(`Hello, ${name}!`) : inputRequired({ user_name: elicit("What is your name?", { name: { type: "string" } }, ["name"]) });
    },
  ],
  test_input_required_result_sampling: [
    "Asks the client's model a question in-band (SEP-2322)",
    ({ inputResponses }) => {
      const answer = inputResponses?.capital_question?.content?.text;
      return answer ? text(`The model answered: ${answer}`) : inputRequired({ capital_question: sample("What is the capital of France?", 100) });
    },
  ],
  test_input_required_result_list_roots: [
    "Asks the client's roots in-band (SEP-2322)",
    ({ inputResponses }) => {
      const roots = inputResponses?.client_roots?.roots;
      return Array.isArray(roots) ? text(`Roots: ${roots.map((r) => r.uri).join(", ")}`) : inputRequired({ client_roots: ROOTS });
    },
  ],
  test_input_required_result_request_state: [
    "Round-trips a signed requestState (SEP-2322)",
    ({ inputResponses, requestState }) => {
      if (!inputResponses?.confirm) return inputRequired({ confirm: elicit("Please confirm", { ok: { type: "boolean" } }, ["ok"]) }, mint({ step: "confirm" }));
      if (verify(requestState)?.step !== "confirm") throw new InvalidState();
      return text("state-ok: the confirmation arrived with the state this server issued");
    },
  ],
  test_input_required_result_tampered_state: [
    "Issues a signed requestState and refuses an altered one (SEP-2322)",
    ({ inputResponses, requestState }) => {
      if (!inputResponses) return inputRequired({ confirm: elicit("Please confirm", { ok: { type: "boolean" } }, ["ok"]) }, mint({ step: "tamper" }));
      if (verify(requestState)?.step !== "tamper") throw new InvalidState();
      return text("state-ok");
    },
  ],
  test_input_required_result_multiple_inputs: [
    "Asks for an elicitation, a sample and the roots at once (SEP-2322)",
    ({ inputResponses, requestState }) => {
      const all = ["user_name", "greeting", "client_roots"].every((k) => inputResponses?.[k]);
      if (!all) return inputRequired({ user_name: elicit("What is your name?", { name: { type: "string" } }, ["name"]), greeting: sample("Generate a greeting", 50), client_roots: ROOTS }, mint({ step: "multiple" }));
      if (verify(requestState)?.step !== "multiple") throw new InvalidState();
      return text(`All inputs received for ${inputResponses.user_name.content?.name ?? "someone"}`);
    },
  ],
  test_input_required_result_multi_round: [
    "Asks twice, the state evolving between rounds (SEP-2322)",
    ({ inputResponses, requestState }) => {
      const state = requestState === undefined ? null : verify(requestState);
      if (requestState !== undefined && !state) throw new InvalidState();
      if (state?.step === 2 && inputResponses?.step2) return text(`${state.name} likes ${inputResponses.step2.content?.color}`);
      if (state?.step === 1 && inputResponses?.step1) {
        return inputRequired({ step2: elicit("Step 2: What is your favorite color?", { color: { type: "string" } }, ["color"]) }, mint({ step: 2, name: inputResponses.step1.content?.name }));
      }
      return inputRequired({ step1: elicit("Step 1: What is your name?", { name: { type: "string" } }, ["name"]) }, mint({ step: 1 }));
    },
  ],
  test_input_required_result_capabilities: [
    "Asks only for what the client declared it can answer (SEP-2322)",
    ({ inputResponses, _meta }) => {
      if (inputResponses) return text("inputs received");
      const caps = _meta?.[CAPABILITIES_KEY] ?? {};
      const requests = {
        ...(caps.sampling ? { summary: sample("Summarize the request", 50) } : {}),
        ...(caps.elicitation ? { confirm: elicit("Please confirm", { ok: { type: "boolean" } }, ["ok"]) } : {}),
        ...(caps.roots ? { client_roots: ROOTS } : {}),
      };
      return Object.keys(requests).length > 0 ? inputRequired(requests) : text("the client declared no capability to ask through");
    },
  ],
};

// Session era: tools that log, report progress and ask the client through the gateway (the relay).
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

TOOLS.test_tool_with_logging = ["Sends three log messages while it runs", async (_params, extra) => {
  for (const [i, data] of ["Tool execution started", "Tool processing data", "Tool execution completed"].entries()) {
    if (i > 0) await pause(50);
    await extra.sendNotification({ method: "notifications/message", params: { level: "info", data } });
  }
  return text("Logging test completed");
}];

// 2026-07-28 (server-stateless probes): logs the suite checks are withheld from a request that set
// no _meta log level, and a question the gateway must not put on a stateless request's stream.
// No pauses: the suite reads this call's answer for 500 ms only, and a loaded CI machine needs the margin.
TOOLS.test_logging_tool = ["Sends three log messages while it runs (relayed at 2026-07-28 only at the request's _meta log level)", async (_params, extra) => {
  for (const data of ["Tool execution started", "Tool processing data", "Tool execution completed"]) await extra.sendNotification({ method: "notifications/message", params: { level: "info", data } });
  return text("Logging test completed");
}];

const NAME_QUESTION = ["What is your name?", { name: { type: "string" } }, ["name"]];
TOOLS.test_streaming_elicitation = [
  "Asks the user mid-call (a server→client request); when the caller cannot be asked that way (a 2026-07-28 request's stream carries none), asks in-band with input_required",
  async ({ inputResponses }, extra) => {
    const given = inputResponses?.user_name?.content?.name;
    if (given) return text(`Hello, ${given}!`);
    try {
      const r = await elicitNow(extra, elicit(...NAME_QUESTION).params);
      return text(`Hello, ${r.content?.name ?? "someone"}!`);
    } catch {
      return inputRequired({ user_name: elicit(...NAME_QUESTION) });
    }
  },
];

TOOLS.test_tool_with_progress = ["Reports progress 0, 50, 100 of 100", async (params, extra) => {
  const token = params._meta?.progressToken;
  for (const [i, progress] of [0, 50, 100].entries()) {
    if (i > 0) await pause(50);
    if (token !== undefined) await extra.sendNotification({ method: "notifications/progress", params: { progressToken: token, progress, total: 100 } });
  }
  return text("Progress test completed");
}];

TOOLS.test_sampling = ["Asks the client's LLM", async ({ arguments: { prompt } = {} }, extra) => {
  const r = await extra.sendRequest({ method: "sampling/createMessage", params: { messages: [{ role: "user", content: { type: "text", text: prompt } }], maxTokens: 100 } }, CreateMessageResultSchema);
  return text(`LLM response: ${r.content.type === "text" ? r.content.text : JSON.stringify(r.content)}`);
}];

const elicitNow = async (extra, params) => extra.sendRequest({ method: "elicitation/create", params }, ElicitResultSchema);

TOOLS.test_elicitation = ["Asks the user", async ({ arguments: { message } = {} }, extra) => {
  const r = await elicitNow(extra, {
    message,
    requestedSchema: { type: "object", properties: { username: { type: "string", description: "User's response" }, email: { type: "string", description: "User's email address" } }, required: ["username", "email"] },
  });
  return text(`User response: action=${r.action}, content=${JSON.stringify(r.content ?? {})}`);
}];

TOOLS.test_elicitation_sep1034_defaults = ["Asks with defaults for every primitive type", async (_params, extra) => {
  const r = await elicitNow(extra, {
    message: "Please review your details",
    requestedSchema: {
      type: "object",
      properties: {
        name: { type: "string", default: "John Doe" },
        age: { type: "integer", default: 30 },
        score: { type: "number", default: 95.5 },
        status: { type: "string", enum: ["active", "inactive", "pending"], default: "active" },
        verified: { type: "boolean", default: true },
      },
    },
  });
  return text(`Elicitation completed: action=${r.action}, content=${JSON.stringify(r.content ?? {})}`);
}];

TOOLS.test_elicitation_sep1330_enums = ["Asks with the five enum shapes", async (_params, extra) => {
  const r = await elicitNow(extra, {
    message: "Please pick options",
    requestedSchema: {
      type: "object",
      properties: {
        untitledSingle: { type: "string", enum: ["option1", "option2", "option3"] },
        titledSingle: { type: "string", oneOf: [{ const: "value1", title: "First Option" }, { const: "value2", title: "Second Option" }, { const: "value3", title: "Third Option" }] },
        legacyEnum: { type: "string", enum: ["opt1", "opt2", "opt3"], enumNames: ["Option One", "Option Two", "Option Three"] },
        untitledMulti: { type: "array", items: { type: "string", enum: ["option1", "option2", "option3"] } },
        titledMulti: { type: "array", items: { anyOf: [{ const: "value1", title: "First Choice" }, { const: "value2", title: "Second Choice" }, { const: "value3", title: "Third Choice" }] } },
      },
    },
  });
  return text(`Elicitation completed: action=${r.action}, content=${JSON.stringify(r.content ?? {})}`);
}];

// Tools are served by hand (below): McpServer's own tools/call handler would drop a call's
// 2026-07-28 fields (inputResponses, requestState). Resources, prompts and completions are its.
const server = new McpServer({ name: "canopy-conformance-fixture", version: "1.0.0" }, { capabilities: { tools: {}, logging: {}, resources: { subscribe: true } } });
server.server.setRequestHandler(ListToolsRequestSchema, async () => ({
  tools: Object.entries(TOOLS).map(([name, [description]]) => ({ name, description, inputSchema: { type: "object", properties: {} } })),
}));
// Loose params: the SDK 1.x schema would drop the 2026-07-28 fields (inputResponses, requestState).
const CallSchema = z.object({ method: z.literal("tools/call"), params: z.looseObject({ name: z.string() }) });
server.server.setRequestHandler(CallSchema, async ({ params }, extra) => {
  const tool = TOOLS[params.name];
  if (!tool) throw new McpError(-32602, `Unknown tool: ${params.name}`);
  return tool[1](params, extra);
});

const resourceText = (uri, mimeType, body) => ({ contents: [{ uri: uri.href, mimeType, text: body }] });
server.registerResource("static-text", "test://static-text", { description: "A static text resource", mimeType: "text/plain" }, async (uri) => resourceText(uri, "text/plain", "This is the content of the static text resource."));
server.registerResource("static-binary", "test://static-binary", { description: "A static binary resource", mimeType: "image/png" }, async (uri) => ({ contents: [{ uri: uri.href, mimeType: "image/png", blob: PNG }] }));
server.registerResource("watched-resource", "test://watched-resource", { description: "A resource to subscribe to", mimeType: "text/plain" }, async (uri) => resourceText(uri, "text/plain", "Watched resource content."));
server.registerResource("template", new ResourceTemplate("test://template/{id}/data", { list: undefined }), { description: "A templated resource", mimeType: "application/json" }, async (uri, { id }) =>
  resourceText(uri, "application/json", JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` })),
);
const subscriptions = new Set();
server.server.setRequestHandler(SubscribeRequestSchema, async (req) => (subscriptions.add(req.params.uri), {}));
server.server.setRequestHandler(UnsubscribeRequestSchema, async (req) => (subscriptions.delete(req.params.uri), {}));

const user = (content) => ({ role: "user", content });
server.registerPrompt("test_simple_prompt", { description: "A prompt without arguments" }, () => ({ messages: [user({ type: "text", text: "This is a simple prompt for testing." })] }));
server.registerPrompt(
  "test_prompt_with_arguments",
  {
    description: "A prompt with two arguments",
    argsSchema: { arg1: completable(z.string().describe("First test argument"), (value) => ["paris", "park", "party"].filter((v) => v.startsWith(value))), arg2: z.string().describe("Second test argument") },
  },
  ({ arg1, arg2 }) => ({ messages: [user({ type: "text", text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` })] }),
);
server.registerPrompt("test_prompt_with_embedded_resource", { description: "A prompt embedding a resource", argsSchema: { resourceUri: z.string().describe("URI of the resource to embed") } }, ({ resourceUri }) => ({
  messages: [user({ type: "resource", resource: { uri: resourceUri, mimeType: "text/plain", text: "Embedded resource content for testing." } }), user({ type: "text", text: "Please process the embedded resource above." })],
}));
server.registerPrompt("test_prompt_with_image", { description: "A prompt with an image" }, () => ({
  messages: [user({ type: "image", data: PNG, mimeType: "image/png" }), user({ type: "text", text: "Please analyze the image above." })],
}));

// SEP-2322 on a non-tool request: the prompt asks for context in-band first. Registered for its
// listing; served by hand, as tools are, since the SDK 1.x prompts/get schema drops inputResponses.
server.registerPrompt("test_input_required_result_prompt", { description: "A prompt that asks for context first (SEP-2322)" }, () => ({ messages: [] }));
const promptsGet = server.server._requestHandlers.get("prompts/get");
server.server.removeRequestHandler("prompts/get");
const GetPromptSchema = z.object({ method: z.literal("prompts/get"), params: z.looseObject({ name: z.string() }) });
server.server.setRequestHandler(GetPromptSchema, async (request, extra) => {
  if (request.params.name !== "test_input_required_result_prompt") return promptsGet(request, extra);
  const context = request.params.inputResponses?.user_context?.content?.context;
  if (typeof context !== "string") return inputRequired({ user_context: elicit("What context should the prompt use?", { context: { type: "string" } }, ["context"]) });
  return { messages: [user({ type: "text", text: `Use this context: ${context}` })] };
});

await server.connect(new StdioServerTransport());
