import type { INodeProperties } from 'n8n-workflow';
import { throwOnProblem } from '../../shared/errors';
import { dropEmpty } from '../../shared/preSend';
import { waitForReports } from './wait';
import { reportGenerateDescription } from './generate';
import { reportGetManyDescription } from './getAll';
import { reportShareLinkDescription } from './shareLink';

const showOnlyForReports = { resource: ['report'] };

export const reportDescription: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: showOnlyForReports },
		options: [
			{
				name: 'Create Share Link',
				value: 'createShareLink',
				action: 'Create a report share link',
				description:
					'A link that opens the report without an account until it expires (a new link revokes the previous one)',
				routing: {
					request: {
						method: 'POST',
						url: '=/api/v1/reports/{{$parameter.reportId}}/share-link',
					},
					output: { postReceive: [throwOnProblem] },
				},
			},
			{
				name: 'Generate',
				value: 'generate',
				action: 'Generate a monthly report',
				description:
					"Make a client's monthly report (or every active client's), and wait for it or return the job",
				routing: {
					request: { method: 'POST', url: '/api/v1/reports' },
					send: { preSend: [dropEmpty] },
					output: {
						postReceive: [
							throwOnProblem,
							{ type: 'rootProperty', properties: { property: 'data' } },
							waitForReports,
						],
					},
				},
			},
			{
				name: 'Get',
				value: 'get',
				action: 'Get a report',
				description: 'One report and its job status',
				routing: {
					request: { method: 'GET', url: '=/api/v1/reports/{{$parameter.reportId}}' },
					output: { postReceive: [throwOnProblem] },
				},
			},
			{
				name: 'Get Many',
				value: 'getAll',
				action: 'Get many reports',
				description: 'List reports',
				routing: {
					request: { method: 'GET', url: '/api/v1/reports' },
					send: { preSend: [dropEmpty] },
					output: {
						postReceive: [throwOnProblem, { type: 'rootProperty', properties: { property: 'data' } }],
					},
				},
			},
		],
		default: 'generate',
	},
	...reportGenerateDescription,
	...reportGetManyDescription,
	...reportShareLinkDescription,
];
