import type { INodeProperties } from 'n8n-workflow';
import { throwOnProblem } from '../../shared/errors';
import { dropEmpty, usageEventBody } from '../../shared/preSend';
import { usageBurnRateDescription } from './getBurnRate';
import { usageIngestDescription } from './ingestEvent';
import { usageTotalsDescription } from './getTotals';

const showOnlyForUsage = { resource: ['usage'] };

export const usageDescription: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: showOnlyForUsage },
		options: [
			{
				name: 'Get Burn Rate',
				value: 'getBurnRate',
				action: 'Get burn rate',
				description: 'Average cost per day of each client over the last days, highest first',
				routing: {
					request: { method: 'GET', url: '/api/v1/usage/burn-rate' },
					send: { preSend: [dropEmpty] },
					output: {
						postReceive: [throwOnProblem, { type: 'rootProperty', properties: { property: 'data' } }],
					},
				},
			},
			{
				name: 'Get Totals',
				value: 'getTotals',
				action: 'Get usage totals',
				description:
					'Requests, tokens and cost of a client or the workspace over a time range, grouped as you choose',
				routing: {
					request: { method: 'GET', url: '/api/v1/usage', qs: { limit: 200 } },
					send: { preSend: [dropEmpty] },
					output: { postReceive: [throwOnProblem] },
				},
			},
			{
				name: 'Ingest Event',
				value: 'ingestEvent',
				action: 'Ingest a usage event',
				description:
					'Report usage that did not pass through the gateway; it counts towards budgets and reports',
				routing: {
					request: { method: 'POST', url: '/api/v1/usage-events' },
					send: { preSend: [usageEventBody] },
					output: { postReceive: [throwOnProblem] },
				},
			},
		],
		default: 'getTotals',
	},
	...usageTotalsDescription,
	...usageBurnRateDescription,
	...usageIngestDescription,
];
