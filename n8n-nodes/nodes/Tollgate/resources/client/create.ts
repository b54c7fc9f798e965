import type { INodeProperties } from 'n8n-workflow';

const showOnlyForClientCreate = { operation: ['create'], resource: ['client'] };

export const clientCreateDescription: INodeProperties[] = [
	{
		displayName: 'Name',
		name: 'name',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. Acme Corp',
		displayOptions: { show: showOnlyForClientCreate },
		routing: { send: { type: 'body', property: 'name' } },
	},
	{
		displayName: 'Additional Fields',
		name: 'additionalFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		displayOptions: { show: showOnlyForClientCreate },
		options: [
			{
				displayName: 'External Reference',
				name: 'external_ref',
				type: 'string',
				default: '',
				description: 'Your own ID for this client, e.g. in your CRM or invoicing tool',
				routing: { send: { type: 'body', property: 'external_ref' } },
			},
			{
				displayName: 'Key Allowed Models',
				name: 'key_allowed_models',
				type: 'string',
				default: '',
				placeholder: 'e.g. gpt-4o-mini, gpt-4o',
				description:
					'Comma-separated models that sub-keys this client makes itself may use (empty: any)',
				routing: { send: { type: 'body', property: 'key_allowed_models' } },
			},
			{
				displayName: 'Slug',
				name: 'slug',
				type: 'string',
				default: '',
				placeholder: 'e.g. acme-corp',
				description:
					'Unique short name in lowercase letters, digits and dashes (default: made from the name)',
				routing: { send: { type: 'body', property: 'slug' } },
			},
		],
	},
];
