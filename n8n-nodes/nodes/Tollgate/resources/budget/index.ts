import type { INodeProperties } from 'n8n-workflow';
import { throwOnProblem } from '../../shared/errors';
import { withTightestBudget } from '../../shared/postReceive';
import { amountToMicros, budgetScopeId, capStatusUrl, dropEmpty } from '../../shared/preSend';
import { budgetGetManyDescription } from './getAll';
import { budgetScopeDescription } from './scope';
import { budgetSetDescription } from './set';

const showOnlyForBudgets = { resource: ['budget'] };

export const budgetDescription: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: showOnlyForBudgets },
		options: [
			{
				name: 'Get Cap Status',
				value: 'getCapStatus',
				action: 'Get cap status',
				description:
					'Where the budgets of a client, project or sub-key stand: percent used, spent, remaining, state, period end, projection',
				routing: {
					request: { method: 'GET', url: '/api/v1/cap-status' },
					send: { preSend: [capStatusUrl] },
					output: { postReceive: [throwOnProblem, withTightestBudget] },
				},
			},
			{
				name: 'Get Many',
				value: 'getAll',
				action: 'Get many budgets',
				description: 'List budgets, optionally of one client',
				routing: {
					request: { method: 'GET', url: '/api/v1/budgets' },
					send: { preSend: [dropEmpty] },
					output: {
						postReceive: [throwOnProblem, { type: 'rootProperty', properties: { property: 'data' } }],
					},
				},
			},
			{
				name: 'Set',
				value: 'set',
				action: 'Set a budget',
				description: "Set a budget on a client, a project or a sub-key",
				routing: {
					request: { method: 'POST', url: '/api/v1/budgets' },
					send: { preSend: [budgetScopeId, amountToMicros, dropEmpty] },
					output: { postReceive: [throwOnProblem] },
				},
			},
		],
		default: 'getCapStatus',
	},
	...budgetScopeDescription,
	...budgetSetDescription,
	...budgetGetManyDescription,
];
