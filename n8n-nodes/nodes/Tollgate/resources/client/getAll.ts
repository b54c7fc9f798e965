import type { INodeProperties } from 'n8n-workflow';
import {
	archivedStatusFilter,
	filtersCollection,
	getManyFields,
	nameContainsFilter,
} from '../../shared/descriptions';

const showOnlyForClientGetMany = { operation: ['getAll'], resource: ['client'] };

export const clientGetManyDescription: INodeProperties[] = [
	...getManyFields(showOnlyForClientGetMany),
	filtersCollection(showOnlyForClientGetMany, [nameContainsFilter, archivedStatusFilter]),
];
