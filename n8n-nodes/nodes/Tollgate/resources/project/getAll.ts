import type { INodeProperties } from 'n8n-workflow';
import { clientSelect, getManyFields } from '../../shared/descriptions';

const showOnlyForProjectGetMany = { operation: ['getAll'], resource: ['project'] };

export const projectGetManyDescription: INodeProperties[] = [
	{
		...clientSelect,
		required: false,
		description: "Only this client's projects (leave empty for all)",
		displayOptions: { show: showOnlyForProjectGetMany },
		routing: { send: { type: 'query', property: 'client_id' } },
	},
	...getManyFields(showOnlyForProjectGetMany),
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		displayOptions: { show: showOnlyForProjectGetMany },
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
