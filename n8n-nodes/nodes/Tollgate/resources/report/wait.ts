import type {
	IDataObject,
	IExecuteSingleFunctions,
	INodeExecutionData,
} from 'n8n-workflow';
import { NodeOperationError, sleep } from 'n8n-workflow';
import { tollgateApiRequest } from '../../shared/transport';

const FINISHED = new Set(['ready', 'failed']);

/**
 * Reports are made in the background: when "Wait for Completion" is on, poll each report until it is ready
 * or failed, backing off from 0.5 s to 5 s, and fail the item on timeout (the job itself goes on).
 */
export async function waitForReports(
	this: IExecuteSingleFunctions,
	items: INodeExecutionData[],
): Promise<INodeExecutionData[]> {
	if (!(this.getNodeParameter('waitForCompletion', true) as boolean)) return items;
	const timeoutMs = (this.getNodeParameter('waitTimeout', 120) as number) * 1000;
	const deadline = Date.now() + timeoutMs;
	const finished: INodeExecutionData[] = [];
	for (const item of items) {
		let report: IDataObject = item.json;
		let delayMs = 500;
		while (!FINISHED.has(String(report.status))) {
			if (Date.now() > deadline) {
				throw new NodeOperationError(
					this.getNode(),
					`Report ${String(report.id)} is still ${String(report.status)} after ${timeoutMs / 1000} s`,
					{ description: 'Raise "Timeout (Seconds)", or turn "Wait for Completion" off and use the Report Ready trigger' },
				);
			}
			await sleep(delayMs);
			delayMs = Math.min(delayMs * 2, 5000);
			report = await tollgateApiRequest.call(this, 'GET', `/reports/${String(report.id)}`);
		}
		finished.push({ json: report });
	}
	return finished;
}
