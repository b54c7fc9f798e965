import type { INodeProperties } from 'n8n-workflow';
import { getManyFields } from '../../shared/descriptions';

const showOnlyForBudgetGetMany = { operation: ['getAll'], resource: ['budget'] };

export const budgetGetManyDescription: INodeProperties[] = [
	...getManyFields(showOnlyForBudgetGetMany),
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		displayOptions: { show: showOnlyForBudgetGetMany },
		options: [
			{
				displayName: 'Client ID',
				name: 'client_id',
				type: 'string',
				default: '',
				routing: { send: { type: 'query', property: 'client_id' } },
			},
			{
				displayName: 'Scope',
				name: 'scope',
				type: 'options',
				options: [
					{ name: 'Client', value: 'client' },
					{ name: 'Project', value: 'project' },
					{ name: 'Sub-Key', value: 'key' },
				],
				default: 'client',
				routing: { send: { type: 'query', property: 'scope' } },
			},
		],
	},
];
