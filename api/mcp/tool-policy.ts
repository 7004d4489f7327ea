import { z } from 'zod';
import type { Deployment } from '../db/generated/client.ts';

/**
 * A tool name or a simple glob: the characters MCP allows in tool names (letters, digits, `_`, `-`, `.`,
 * `/`) plus `*` (any run of characters) and `?` (one character). Nothing else, so a pattern never needs
 * escaping and never becomes a regular expression of the caller's making.
 */
export const ToolPatternSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.\-/*?]+$/, 'a tool name or glob: letters, digits, _ - . / and the wildcards * ?');

/** Patterns one policy holds at most. */
export const MAX_TOOL_PATTERNS = 100;

export const ToolPatternListSchema = z.array(ToolPatternSchema).max(MAX_TOOL_PATTERNS);

/** A deployment's tool policy: an allow-list (only matching tools) or a deny-list (matching tools hidden). */
export type ToolPolicy = { kind: 'allow'; patterns: string[] } | { kind: 'deny'; patterns: string[] };

/** The policy stored on a deployment, or undefined when every tool is allowed. */
export function toolPolicyOf(dep: Pick<Deployment, 'allowTools' | 'allowToolsSet' | 'denyTools'>): ToolPolicy | undefined {
  if (dep.allowToolsSet) return { kind: 'allow', patterns: dep.allowTools };
  return dep.denyTools.length > 0 ? { kind: 'deny', patterns: dep.denyTools } : undefined;
}

/** Whether `name` matches the glob `pattern` (whole name, case-sensitive like tool names). */
export function globMatches(pattern: string, name: string): boolean {
  // Iterative wildcard match (no regular expression, linear in practice; patterns and names are ≤ 128).
  let p = 0;
  let n = 0;
  let star = -1;
  let mark = 0;
  while (n < name.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === name[n])) {
      p += 1;
      n += 1;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p;
      mark = n;
      p += 1;
    } else if (star >= 0) {
      p = star + 1;
      mark += 1;
      n = mark;
    } else return false;
  }
  while (p < pattern.length && pattern[p] === '*') p += 1;
  return p === pattern.length;
}

/** Whether the policy lets a client see and call the tool `name` (no policy: every tool). */
export function isToolAllowed(policy: ToolPolicy | undefined, name: string): boolean {
  if (!policy) return true;
  const matched = policy.patterns.some((pattern) => globMatches(pattern, name));
  return policy.kind === 'allow' ? matched : !matched;
}

/** JSON-RPC error code of a refused tool call: "invalid params", what MCP servers answer for an unknown tool. */
export const TOOL_DENIED_CODE = -32602;

/** The JSON-RPC error answer to a `tools/call` the policy refuses (never forwarded to the server). */
export function deniedToolAnswer(id: string | number | null, tool: string): { jsonrpc: '2.0'; id: string | number | null; error: { code: number; message: string } } {
  return { jsonrpc: '2.0', id, error: { code: TOOL_DENIED_CODE, message: `Tool ${tool} is not allowed on this deployment` } };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A `tools/list` answer with the tools the policy refuses taken out; any other message is returned as is.
 * Works on one JSON-RPC message (a JSON body, or the data of one SSE `message` event).
 */
export function filterToolsList(message: unknown, policy: ToolPolicy): unknown {
  if (!isObject(message) || !isObject(message.result) || !Array.isArray(message.result.tools)) return message;
  const tools = message.result.tools.filter((tool) => isObject(tool) && typeof tool.name === 'string' && isToolAllowed(policy, tool.name));
  return { ...message, result: { ...message.result, tools } };
}
