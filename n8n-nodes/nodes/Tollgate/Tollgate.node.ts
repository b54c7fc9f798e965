import { NodeConnectionTypes, type INodeType, type INodeTypeDescription } from 'n8n-workflow';
import { searchClients, searchProjects, searchReports, searchSubKeys } from './listSearch/search';
import { budgetDescription } from './resources/budget';
import { clientDescription } from './resources/client';
import { invoiceDescription } from './resources/invoice';
import { projectDescription } from './resources/project';
import { reportDescription } from './resources/report';
import { subKeyDescription } from './resources/subKey';
import { usageDescription } from './resources/usage';

export class Tollgate implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Tollgate',
		name: 'tollgate',
		icon: { light: 'file:../../icons/tollgate.svg', dark: 'file:../../icons/tollgate.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description:
			'Manage clients, sub-keys, budgets, usage, reports and invoices of a Tollgate AI gateway',
		defaults: { name: 'Tollgate' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'tollgateApi', required: true }],
		requestDefaults: {
			baseURL: '={{$credentials.baseUrl.replace(/\\/+$/, "")}}',
			headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
			json: true,
			ignoreHttpStatusErrors: true,
		},
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Budget and Cap', value: 'budget' },
					{ name: 'Client', value: 'client' },
					{ name: 'Invoice', value: 'invoice' },
					{ name: 'Project', value: 'project' },
					{ name: 'Report', value: 'report' },
					{ name: 'Sub-Key', value: 'subKey' },
					{ name: 'Usage', value: 'usage' },
				],
				default: 'client',
			},
			...budgetDescription,
			...clientDescription,
			...invoiceDescription,
			...projectDescription,
			...reportDescription,
			...subKeyDescription,
			...usageDescription,
		],
	};

	methods = {
		listSearch: { searchClients, searchProjects, searchReports, searchSubKeys },
	};
}
