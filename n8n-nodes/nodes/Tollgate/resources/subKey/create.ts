import type { INodeProperties } from 'n8n-workflow';
import { clientSelect, projectSelect } from '../../shared/descriptions';

const showOnlyForSubKeyCreate = { operation: ['create'], resource: ['subKey'] };

export const subKeyCreateDescription: INodeProperties[] = [
	{
		...clientSelect,
		description: 'The client whose spend this key counts towards',
		displayOptions: { show: showOnlyForSubKeyCreate },
		routing: { send: { type: 'body', property: 'client_id' } },
	},
	{
		...projectSelect,
		required: false,
		description: "One of the client's projects (optional)",
		displayOptions: { show: showOnlyForSubKeyCreate },
		routing: { send: { type: 'body', property: 'project_id' } },
	},
	{
		displayName: 'Key Name',
		name: 'name',
		type: 'string',
		default: '={{ $workflow.name }}',
		required: true,
		description: 'A name to recognise the key by (default: the name of this workflow)',
		displayOptions: { show: showOnlyForSubKeyCreate },
		routing: { send: { type: 'body', property: 'name' } },
	},
	{
		displayName: 'Additional Fields',
		name: 'additionalFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		displayOptions: { show: showOnlyForSubKeyCreate },
		options: [
			{
				displayName: 'Allowed Models',
				name: 'allowed_models',
				type: 'string',
				default: '',
				placeholder: 'e.g. gpt-4o-mini, gpt-4o',
				description: 'Comma-separated models this key may call (empty: any)',
				routing: { send: { type: 'body', property: 'allowed_models' } },
			},
			{
				displayName: 'Expires At',
				name: 'expires_at',
				type: 'dateTime',
				default: '',
				description: 'When the key stops working (empty: never)',
				routing: { send: { type: 'body', property: 'expires_at' } },
			},
		],
	},
];
