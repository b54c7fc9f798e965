import type {
	IDataObject,
	IExecuteSingleFunctions,
	IN8nHttpFullResponse,
	INodeExecutionData,
} from 'n8n-workflow';
import { baseUrl } from './transport';

/** A 204 (archive, revoke) has no body: say what happened instead of an empty item. */
export function deletedResult(idParameter: string, what: string) {
	return async function (
		this: IExecuteSingleFunctions,
		items: INodeExecutionData[],
		response: IN8nHttpFullResponse,
	): Promise<INodeExecutionData[]> {
		const id = this.getNodeParameter(idParameter, undefined, { extractValue: true }) as string;
		return [{ json: { id, [what]: true, status_code: response.statusCode } }];
	};
}

/**
 * A new sub-key's secret is shown once: put the OpenAI-compatible base URL beside it so the next node (or a
 * person) can make n8n's OpenAI credential from the two fields.
 */
export async function withOpenAiBaseUrl(
	this: IExecuteSingleFunctions,
	items: INodeExecutionData[],
): Promise<INodeExecutionData[]> {
	const openAiBaseUrl = `${await baseUrl.call(this)}/v1`;
	return items.map((item) => ({ ...item, json: { ...item.json, openai_base_url: openAiBaseUrl } }));
}

/** The budget closest to its limit, lifted to the top of a cap status so a workflow can branch on one number. */
export async function withTightestBudget(
	this: IExecuteSingleFunctions,
	items: INodeExecutionData[],
): Promise<INodeExecutionData[]> {
	return items.map((item) => {
		const budgets = (item.json.budgets ?? []) as IDataObject[];
		const tightest = budgets.reduce<IDataObject | undefined>(
			(best, budget) =>
				best === undefined || Number(budget.percent_used) > Number(best.percent_used)
					? budget
					: best,
			undefined,
		);
		const top = tightest
			? {
					percent_used: tightest.percent_used,
					spent_micros: tightest.spent_micros,
					spent_usd: tightest.spent_usd,
					remaining_micros: tightest.remaining_micros,
					remaining_usd: tightest.remaining_usd,
					limit_micros: tightest.limit_micros,
					limit_usd: tightest.limit_usd,
					projected_micros: tightest.projected_micros,
					projected_usd: tightest.projected_usd,
					period_end: tightest.period_end,
					summary: tightest.summary,
				}
			: { percent_used: null };
		return { ...item, json: { ...item.json, ...top } };
	});
}
