import {
	NodeConnectionTypes,
	type IDataObject,
	type IHookFunctions,
	type ILoadOptionsFunctions,
	type INodePropertyOptions,
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
	type IWebhookResponseData,
} from 'n8n-workflow';
import { tollgateApiRequest } from '../Tollgate/shared/transport';
import { verifySignature } from './signature';
import { checkExists, create, deleteSubscription, type SubscriptionState } from './webhookMethods';

export class TollgateTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Tollgate Trigger',
		name: 'tollgateTrigger',
		icon: { light: 'file:../../icons/tollgate.svg', dark: 'file:../../icons/tollgate.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{"On " + $parameter["events"].join(", ")}}',
		description: 'Starts the workflow on Tollgate events: cap thresholds, spend spikes, reports, invoices',
		defaults: { name: 'Tollgate Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'tollgateApi', required: true }],
		webhooks: [{ name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: 'webhook' }],
		properties: [
			{
				displayName: 'Events',
				name: 'events',
				type: 'multiOptions',
				required: true,
				default: ['cap.threshold_reached'],
				options: [
					{
						name: 'BYOK Key Failed',
						value: 'byok.failed',
						description:
							"A client's own provider key stopped serving (revoked, or refused by the provider); its traffic falls back or is refused as the agency set",
					},
					{
						name: 'Cap Exceeded',
						value: 'cap.exceeded',
						description: 'Spend reached 100% of a budget, or a hard budget refused its first request',
					},
					{
						name: 'Cap Threshold Reached',
						value: 'cap.threshold_reached',
						description: 'Spend reached a threshold of a budget (by default 50% and 80%)',
					},
					{
						name: 'Invoice Ready',
						value: 'invoice.ready',
						description: 'An invoice draft was made for a client and month',
					},
					{
						name: 'Price Unknown',
						value: 'price.unknown',
						description: 'Requests to a model without a known price were logged unpriced',
					},
					{
						name: 'Report Ready',
						value: 'report.ready',
						description: 'A monthly report was made and can be downloaded',
					},
					{
						name: 'Spend Spike',
						value: 'spend.spike',
						description: "Today's or the last hour's spend is far above the trailing average",
					},
				],
			},
			{
				displayName: 'Client Names or IDs',
				name: 'clientIds',
				type: 'multiOptions',
				typeOptions: { loadOptionsMethod: 'getClients' },
				default: [],
				description:
					'Only events of these clients (empty: every client). Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
			},
		],
	};

	methods = {
		loadOptions: {
			async getClients(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
				const options: INodePropertyOptions[] = [];
				let cursor: string | undefined;
				do {
					const page = await tollgateApiRequest.call(this, 'GET', '/clients', {
						limit: 200,
						sort: 'name',
						...(cursor ? { cursor } : {}),
					});
					for (const row of (page.data ?? []) as IDataObject[]) {
						options.push({ name: String(row.name), value: String(row.id) });
					}
					cursor = (page.next_cursor as string | null) ?? undefined;
				} while (cursor);
				return options;
			},
		},
	};

	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				return await checkExists.call(this);
			},
			async create(this: IHookFunctions): Promise<boolean> {
				return await create.call(this);
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				return await deleteSubscription.call(this);
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const request = this.getRequestObject();
		const state = this.getWorkflowStaticData('node') as SubscriptionState;
		const rawBody = (request as unknown as { rawBody?: Buffer }).rawBody ?? Buffer.from('');
		const check = verifySignature(
			state.secret ?? '',
			this.getHeaderData()['tollgate-signature'] as string | undefined,
			rawBody,
			Math.floor(Date.now() / 1000),
		);
		if (!state.secret || !check.valid) {
			const response = this.getResponseObject();
			response.status(401).json({ error: 'invalid signature' });
			return { noWebhookResponse: true };
		}
		const event = this.getBodyData();
		const events = this.getNodeParameter('events') as string[];
		const clientIds = this.getNodeParameter('clientIds', []) as string[];
		const wanted =
			events.includes(String(event.type)) &&
			(clientIds.length === 0 || clientIds.includes(String(event.client_id)));
		if (!wanted) return { webhookResponse: { received: true, ignored: true } };
		return { workflowData: [this.helpers.returnJsonArray([event])] };
	}
}
