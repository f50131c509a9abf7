#!/usr/bin/env node
// A stdio MCP server with the tools the conformance suite's tools-call scenarios call by name
// (test_simple_text, …): the reference server (@modelcontextprotocol/server-everything) has other
// tools, and the suite's own test server ships in no package. Mounted beside the reference server
// by scripts/mcp-conformance.mjs, so those scenarios measure how faithfully the gateway relays a
// tool's content blocks. Tools that need server→client requests or notifications (logging,
// progress, sampling, elicitation) are left out: the gateway does not relay those yet.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";

const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
const WAV = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=";

const server = new McpServer({ name: "canopy-conformance-fixture", version: "1.0.0" });
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

await server.connect(new StdioServerTransport());
