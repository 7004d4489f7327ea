/**
 * Ready-to-paste client configurations for a deployment's MCP endpoint. Claude Desktop speaks stdio, so its
 * entry runs `mcp-remote` (a stdio-to-HTTP bridge) with the bearer header passed through an environment
 * variable; the MCP Inspector and other HTTP clients take the URL and header directly.
 */
export interface McpSnippets {
  claudeDesktop: Record<string, unknown>;
  inspector: Record<string, unknown>;
}

/** The config snippets for `name` at `url`, authenticated with `token` (an API key with the mcp scope). */
export function mcpSnippets(name: string, url: string, token: string): McpSnippets {
  return {
    claudeDesktop: {
      mcpServers: {
        [name]: {
          command: 'npx',
          args: ['-y', 'mcp-remote', url, '--header', 'Authorization:${HANGAR_AUTH}'],
          env: { HANGAR_AUTH: `Bearer ${token}` },
        },
      },
    },
    inspector: {
      mcpServers: {
        [name]: { type: 'streamable-http', url, headers: { Authorization: `Bearer ${token}` } },
      },
    },
  };
}

/** The snippets as text for a terminal, with where each goes. */
export function formatSnippets(snippets: McpSnippets): string {
  return [
    'Claude Desktop (claude_desktop_config.json):',
    JSON.stringify(snippets.claudeDesktop, null, 2),
    '',
    'MCP Inspector (`npx @modelcontextprotocol/inspector --config mcp.json`) or any Streamable HTTP client:',
    JSON.stringify(snippets.inspector, null, 2),
  ].join('\n');
}
