#!/usr/bin/env node
// A stdio MCP server with the tools, resources, prompts and completions the conformance suite's
// scenarios ask for by name (test_simple_text, test://static-text, test_simple_prompt, …): the
// reference server (@modelcontextprotocol/server-everything) has others, and the suite's own
// test server ships in no package. Mounted beside the reference server
// by scripts/mcp-conformance.mjs, so those scenarios measure how faithfully the gateway relays a
// tool's content blocks. Tools that need server→client requests or notifications (logging,
// progress, sampling, elicitation) are left out: the gateway does not relay those yet.
import { completable } from "@modelcontextprotocol/sdk/server/completable.js";
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { SubscribeRequestSchema, UnsubscribeRequestSchema } from "@modelcontextprotocol/sdk/types.js";
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
