import type { INodeProperties } from 'n8n-workflow';
import { clientSelect } from '../../shared/descriptions';

const showOnlyForProjectCreate = { operation: ['create'], resource: ['project'] };

export const projectCreateDescription: INodeProperties[] = [
	{
		...clientSelect,
		description: 'The client the project belongs to',
		displayOptions: { show: showOnlyForProjectCreate },
		routing: { send: { type: 'body', property: 'client_id' } },
	},
	{
		displayName: 'Name',
		name: 'name',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. Support bot',
		displayOptions: { show: showOnlyForProjectCreate },
		routing: { send: { type: 'body', property: 'name' } },
	},
	{
		displayName: 'Slug',
		name: 'slug',
		type: 'string',
		default: '',
		placeholder: 'e.g. support-bot',
		description: "Unique within the client (default: made from the name)",
		displayOptions: { show: showOnlyForProjectCreate },
		routing: { send: { type: 'body', property: 'slug' } },
	},
];
