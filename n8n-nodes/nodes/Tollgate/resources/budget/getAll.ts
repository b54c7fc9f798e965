import type { INodeProperties } from 'n8n-workflow';
import { filtersCollection, getManyFields, queryFilter } from '../../shared/descriptions';

const showOnlyForBudgetGetMany = { operation: ['getAll'], resource: ['budget'] };

export const budgetGetManyDescription: INodeProperties[] = [
	...getManyFields(showOnlyForBudgetGetMany),
	filtersCollection(showOnlyForBudgetGetMany, [
		queryFilter('Client ID', 'client_id'),
		queryFilter('Scope', 'scope', {
			type: 'options',
			options: [
				{ name: 'Client', value: 'client' },
				{ name: 'Project', value: 'project' },
				{ name: 'Sub-Key', value: 'key' },
			],
			default: 'client',
		}),
	]),
];
