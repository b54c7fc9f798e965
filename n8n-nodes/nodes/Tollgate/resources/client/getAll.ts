import type { INodeProperties } from 'n8n-workflow';
import { getManyFields } from '../../shared/descriptions';

const showOnlyForClientGetMany = { operation: ['getAll'], resource: ['client'] };

export const clientGetManyDescription: INodeProperties[] = [
	...getManyFields(showOnlyForClientGetMany),
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		displayOptions: { show: showOnlyForClientGetMany },
		options: [
			{
				displayName: 'Name Contains',
				name: 'q',
				type: 'string',
				default: '',
				routing: { send: { type: 'query', property: 'q' } },
			},
			{
				displayName: 'Status',
				name: 'status',
				type: 'options',
				options: [
					{ name: 'Active', value: 'active' },
					{ name: 'Archived', value: 'archived' },
					{ name: 'All', value: 'all' },
				],
				default: 'active',
				routing: { send: { type: 'query', property: 'status' } },
			},
		],
	},
];
