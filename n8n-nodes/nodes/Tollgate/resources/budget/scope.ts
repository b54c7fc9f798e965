import type { INodeProperties } from 'n8n-workflow';
import { clientSelect, projectSelect, subKeySelect } from '../../shared/descriptions';

const scoped = ['set', 'getCapStatus'];

/** Budgets and cap status apply to a client, a project or a sub-key: one picker shows for the chosen scope. */
export const budgetScopeDescription: INodeProperties[] = [
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
		displayOptions: { show: { operation: scoped, resource: ['budget'] } },
	},
	{
		...clientSelect,
		displayOptions: { show: { operation: scoped, resource: ['budget'], scope: ['client'] } },
	},
	{
		...projectSelect,
		displayOptions: { show: { operation: scoped, resource: ['budget'], scope: ['project'] } },
	},
	{
		...subKeySelect,
		displayOptions: { show: { operation: scoped, resource: ['budget'], scope: ['key'] } },
	},
];
