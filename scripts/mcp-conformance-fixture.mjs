#!/usr/bin/env node
// A stdio MCP server with the tools, resources, prompts and completions the conformance suite's
// scenarios ask for by name (test_simple_text, test://static-text, test_simple_prompt, …): the
// reference server (@modelcontextprotocol/server-everything) has others, and the suite's own
// test server ships in no package. Mounted beside the reference server
// by scripts/mcp-conformance.mjs, so those scenarios measure how faithfully the gateway relays a
// tool's content blocks, and how it relays a call's logs, progress and server→client requests
// (sampling, elicitation) to the caller.
import { completable } from "@modelcontextprotocol/sdk/server/completable.js";
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { CreateMessageResultSchema, ElicitResultSchema, SubscribeRequestSchema, UnsubscribeRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";

const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
const WAV = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=";

const server = new McpServer({ name: "canopy-conformance-fixture", version: "1.0.0" }, { capabilities: { logging: {}, resources: { subscribe: true } } });
const tool = (name, description, result) => server.registerTool(name, { description }, async () => result);

tool("test_simple_text", "Tests simple text content response", { content: [{ type: "text", text: "This is a simple text response for testing." }] });
tool("test_image_content", "Tests image content response", { content: [{ type: "image", data: PNG, mimeType: "image/png" }] });
tool("test_audio_content", "Tests audio content response", { content: [{ type: "audio", data: WAV, mimeType: "audio/wav" }] });
tool("test_embedded_resource", "Tests embedded resource content response", {
  content: [{ type: "resource", resource: { uri: "test://embedded-resource", mimeType: "text/plain", text: "This is an embedded resource content." } }],
});
tool("test_multiple_content_types", "Tests response with multiple content types (text, image, resource)", {
  content: [
    { type: "text", text: "Multiple content types test:" },
    { type: "image", data: PNG, mimeType: "image/png" },
    { type: "resource", resource: { uri: "test://mixed-content-resource", mimeType: "application/json", text: JSON.stringify({ test: "data", value: 123 }) } },
  ],
});
tool("test_error_handling", "Tests error response handling", { isError: true, content: [{ type: "text", text: "This tool intentionally returns an error for testing" }] });

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const textResult = (t) => ({ content: [{ type: "text", text: t }] });

server.registerTool("test_tool_with_logging", { description: "Sends three log messages while it runs" }, async (extra) => {
  for (const [i, data] of ["Tool execution started", "Tool processing data", "Tool execution completed"].entries()) {
    if (i > 0) await pause(50);
    await extra.sendNotification({ method: "notifications/message", params: { level: "info", data } });
  }
  return textResult("Logging test completed");
});

server.registerTool("test_tool_with_progress", { description: "Reports progress 0, 50, 100 of 100" }, async (extra) => {
  const token = extra._meta?.progressToken;
  for (const [i, progress] of [0, 50, 100].entries()) {
    if (i > 0) await pause(50);
    if (token !== undefined) await extra.sendNotification({ method: "notifications/progress", params: { progressToken: token, progress, total: 100 } });
  }
  return textResult("Progress test completed");
});

server.registerTool("test_sampling", { description: "Asks the client's LLM", inputSchema: { prompt: z.string() } }, async ({ prompt }, extra) => {
  const r = await extra.sendRequest({ method: "sampling/createMessage", params: { messages: [{ role: "user", content: { type: "text", text: prompt } }], maxTokens: 100 } }, CreateMessageResultSchema);
  return textResult(`LLM response: ${r.content.type === "text" ? r.content.text : JSON.stringify(r.content)}`);
});

const elicit = async (extra, params) => extra.sendRequest({ method: "elicitation/create", params }, ElicitResultSchema);

server.registerTool("test_elicitation", { description: "Asks the user", inputSchema: { message: z.string() } }, async ({ message }, extra) => {
  const r = await elicit(extra, {
    message,
    requestedSchema: { type: "object", properties: { username: { type: "string", description: "User's response" }, email: { type: "string", description: "User's email address" } }, required: ["username", "email"] },
  });
  return textResult(`User response: action=${r.action}, content=${JSON.stringify(r.content ?? {})}`);
});

server.registerTool("test_elicitation_sep1034_defaults", { description: "Asks with defaults for every primitive type" }, async (extra) => {
  const r = await elicit(extra, {
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
  return textResult(`Elicitation completed: action=${r.action}, content=${JSON.stringify(r.content ?? {})}`);
});

server.registerTool("test_elicitation_sep1330_enums", { description: "Asks with the five enum shapes" }, async (extra) => {
  const r = await elicit(extra, {
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
  return textResult(`Elicitation completed: action=${r.action}, content=${JSON.stringify(r.content ?? {})}`);
});
const text = (uri, mimeType, body) => ({ contents: [{ uri: uri.href, mimeType, text: body }] });
server.registerResource("static-text", "test://static-text", { description: "A static text resource", mimeType: "text/plain" }, async (uri) => text(uri, "text/plain", "This is the content of the static text resource."));
server.registerResource("static-binary", "test://static-binary", { description: "A static binary resource", mimeType: "image/png" }, async (uri) => ({ contents: [{ uri: uri.href, mimeType: "image/png", blob: PNG }] }));
server.registerResource("watched-resource", "test://watched-resource", { description: "A resource to subscribe to", mimeType: "text/plain" }, async (uri) => text(uri, "text/plain", "Watched resource content."));
server.registerResource("template", new ResourceTemplate("test://template/{id}/data", { list: undefined }), { description: "A templated resource", mimeType: "application/json" }, async (uri, { id }) =>
  text(uri, "application/json", JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` })),
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

await server.connect(new StdioServerTransport());
