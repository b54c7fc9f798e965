import type { INodeProperties } from 'n8n-workflow';
import {
	filtersCollection,
	getManyFields,
	queryFilter,
	statusFilter,
} from '../../shared/descriptions';

const showOnlyForReportGetMany = { operation: ['getAll'], resource: ['report'] };

export const reportGetManyDescription: INodeProperties[] = [
	...getManyFields(showOnlyForReportGetMany),
	filtersCollection(showOnlyForReportGetMany, [
		queryFilter('Client ID', 'client_id'),
		queryFilter('Month', 'month', { placeholder: 'e.g. 2026-11' }),
		statusFilter(
			[
				['Failed', 'failed'],
				['Queued', 'queued'],
				['Ready', 'ready'],
				['Running', 'running'],
			],
			'ready',
		),
	]),
];
