import type { Counter, MetricsRegistry } from '../metrics/registry.ts';
import type { CallObserver, CallRow } from './call-log.ts';

/** The label of tools past a deployment's cap, of names that are not tool names, and of deployments past theirs. */
export const OVERFLOW_LABEL = '_other';

export interface CallMetricsLimits {
  /** Distinct tool labels per deployment; later tools count under `_other`. */
  toolsPerDeployment: number;
  /** Distinct deployment labels; later deployments count under `_other`. */
  deployments: number;
}

const TOOL_NAME = /^[A-Za-z0-9_.\-/]{1,128}$/;

/**
 * Per-deployment MCP call and error counts by tool in `/metrics`. Tool names come from clients, so label
 * sets are bounded: at most `toolsPerDeployment` tools per deployment and `deployments` deployments are
 * named, the rest count under `_other`. Requests that are not tool calls count with `tool=""`.
 */
export class CallMetrics implements CallObserver {
  private readonly calls: Counter;
  private readonly errors: Counter;
  private readonly dropped: Counter;
  private readonly seen = new Map<string, Set<string>>();

  constructor(
    registry: MetricsRegistry,
    private readonly limits: CallMetricsLimits = { toolsPerDeployment: 50, deployments: 2000 },
  ) {
    this.calls = registry.counter('hangar_mcp_calls_total', 'MCP requests through the proxy, by deployment and tool (tool "" for other methods; "_other" past the label cap)', ['deployment', 'tool']);
    this.errors = registry.counter('hangar_mcp_call_errors_total', 'MCP requests that ended in an error (JSON-RPC error, tool isError, HTTP error), by deployment and tool', ['deployment', 'tool']);
    this.dropped = registry.counter('hangar_call_log_dropped_total', 'Call log rows dropped because the write queue was full');
  }

  /** Counts one call under its bounded labels. */
  observeCall(row: CallRow): void {
    const labels = this.labelsOf(row.deploymentId, row.tool);
    this.calls.inc(labels);
    if (row.outcome === 'error') this.errors.inc(labels);
  }

  /** Counts one call log row dropped by a full queue. */
  observeDrop(): void {
    this.dropped.inc();
  }

  private labelsOf(deploymentId: string, tool: string | null): { deployment: string; tool: string } {
    let tools = this.seen.get(deploymentId);
    if (!tools) {
      if (this.seen.size >= this.limits.deployments) return { deployment: OVERFLOW_LABEL, tool: tool === null ? '' : OVERFLOW_LABEL };
      tools = new Set();
      this.seen.set(deploymentId, tools);
    }
    if (tool === null) return { deployment: deploymentId, tool: '' };
    if (!TOOL_NAME.test(tool) || (!tools.has(tool) && tools.size >= this.limits.toolsPerDeployment)) return { deployment: deploymentId, tool: OVERFLOW_LABEL };
    tools.add(tool);
    return { deployment: deploymentId, tool };
  }
}
