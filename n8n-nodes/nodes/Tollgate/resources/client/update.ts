import type { INodeProperties } from 'n8n-workflow';

export const clientUpdateDescription: INodeProperties[] = [
	{
		displayName: 'Update Fields',
		name: 'updateFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		displayOptions: { show: { operation: ['update'], resource: ['client'] } },
		options: [
			{
				displayName: 'External Reference',
				name: 'external_ref',
				type: 'string',
				default: '',
				routing: { send: { type: 'body', property: 'external_ref' } },
			},
			{
				displayName: 'Key Allowed Models',
				name: 'key_allowed_models',
				type: 'string',
				default: '',
				placeholder: 'e.g. gpt-4o-mini, gpt-4o',
				description: 'Comma-separated models for keys the client makes itself (empty: any)',
				routing: { send: { type: 'body', property: 'key_allowed_models' } },
			},
			{
				displayName: 'Name',
				name: 'name',
				type: 'string',
				default: '',
				routing: { send: { type: 'body', property: 'name' } },
			},
			{
				displayName: 'Slug',
				name: 'slug',
				type: 'string',
				default: '',
				routing: { send: { type: 'body', property: 'slug' } },
			},
		],
	},
];
