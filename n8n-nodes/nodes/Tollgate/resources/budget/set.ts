import type { INodeProperties } from 'n8n-workflow';

const showOnlyForBudgetSet = { operation: ['set'], resource: ['budget'] };

export const budgetSetDescription: INodeProperties[] = [
	{
		displayName: 'Amount (USD)',
		name: 'amountUsd',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. 100 or 49.99',
		description: 'The limit in US dollars, as a decimal number (sent to Tollgate as exact micro-dollars)',
		displayOptions: { show: showOnlyForBudgetSet },
	},
	{
		displayName: 'Period',
		name: 'period',
		type: 'options',
		options: [
			{ name: 'Daily', value: 'daily' },
			{ name: 'Lifetime', value: 'lifetime' },
			{ name: 'Monthly', value: 'monthly' },
			{ name: 'Weekly', value: 'weekly' },
		],
		default: 'monthly',
		displayOptions: { show: showOnlyForBudgetSet },
		routing: { send: { type: 'body', property: 'period' } },
	},
	{
		displayName: 'Hard Limit',
		name: 'hard',
		type: 'boolean',
		default: true,
		description:
			'Whether requests are refused once the budget is used up (otherwise it only alerts)',
		displayOptions: { show: showOnlyForBudgetSet },
		routing: { send: { type: 'body', property: 'hard' } },
	},
	{
		displayName: 'Budget Name',
		name: 'budgetName',
		type: 'string',
		default: '',
		placeholder: 'e.g. Acme monthly',
		displayOptions: { show: showOnlyForBudgetSet },
		routing: { send: { type: 'body', property: 'name' } },
	},
];
