import type { INodeProperties } from 'n8n-workflow';
import { throwOnProblem } from '../../shared/errors';
import { dropEmpty, slugFromName } from '../../shared/preSend';
import { projectCreateDescription } from './create';
import { projectGetManyDescription } from './getAll';

const showOnlyForProjects = { resource: ['project'] };

export const projectDescription: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: showOnlyForProjects },
		options: [
			{
				name: 'Create',
				value: 'create',
				action: 'Create a project',
				description: 'Create a project (a workflow or product) for a client',
				routing: {
					request: { method: 'POST', url: '/api/v1/projects' },
					send: { preSend: [slugFromName] },
					output: { postReceive: [throwOnProblem] },
				},
			},
			{
				name: 'Get Many',
				value: 'getAll',
				action: 'Get many projects',
				description: 'List projects, optionally of one client',
				routing: {
					request: { method: 'GET', url: '/api/v1/projects' },
					send: { preSend: [dropEmpty] },
					output: {
						postReceive: [throwOnProblem, { type: 'rootProperty', properties: { property: 'data' } }],
					},
				},
			},
		],
		default: 'create',
	},
	...projectCreateDescription,
	...projectGetManyDescription,
];
