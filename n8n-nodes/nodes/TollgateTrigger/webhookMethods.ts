import type { IDataObject, IHookFunctions } from 'n8n-workflow';
import { problemError, tollgateApiCall, tollgateApiRequest } from '../Tollgate/shared/transport';

/** What the trigger keeps between activation and deliveries: the subscription and its signing secret. */
export type SubscriptionState = { subscriptionId?: string; secret?: string };

function forget(state: SubscriptionState): void {
	delete state.subscriptionId;
	delete state.secret;
}

/**
 * True when the subscription stored for this workflow still exists, is enabled and points at this webhook
 * URL. A stale one (other URL, disabled) is deleted so that `create` makes a fresh one; a missing one is
 * forgotten. n8n calls this on every activation, including after a restart.
 */
export async function checkExists(this: IHookFunctions): Promise<boolean> {
	const state = this.getWorkflowStaticData('node') as SubscriptionState;
	if (!state.subscriptionId || !state.secret) return false;
	const path = `/webhook-subscriptions/${state.subscriptionId}`;
	const found = await tollgateApiCall.call(this, 'GET', path);
	if (found.statusCode === 404) {
		forget(state);
		return false;
	}
	if (found.statusCode >= 400) throw problemError.call(this, found);
	if (found.body.url === this.getNodeWebhookUrl('default') && !found.body.disabled_at) return true;
	const deleted = await tollgateApiCall.call(this, 'DELETE', path);
	if (deleted.statusCode >= 400 && deleted.statusCode !== 404) throw problemError.call(this, deleted);
	forget(state);
	return false;
}

/** Subscribe this workflow's webhook URL to the chosen events (and clients); keep the id and secret. */
export async function create(this: IHookFunctions): Promise<boolean> {
	const events = this.getNodeParameter('events') as string[];
	const clientIds = this.getNodeParameter('clientIds', []) as string[];
	const workflow = this.getWorkflow();
	const body: IDataObject = {
		url: this.getNodeWebhookUrl('default'),
		event_types: events,
		client_ids: clientIds.length ? clientIds : null,
		description: `n8n workflow "${workflow.name ?? workflow.id}"`,
	};
	const subscription = await tollgateApiRequest.call(this, 'POST', '/webhook-subscriptions', {}, body);
	const state = this.getWorkflowStaticData('node') as SubscriptionState;
	state.subscriptionId = String(subscription.id);
	state.secret = String(subscription.secret);
	return true;
}

/** Unsubscribe on deactivation; a subscription already gone counts as deleted. */
export async function deleteSubscription(this: IHookFunctions): Promise<boolean> {
	const state = this.getWorkflowStaticData('node') as SubscriptionState;
	if (state.subscriptionId) {
		const path = `/webhook-subscriptions/${state.subscriptionId}`;
		const deleted = await tollgateApiCall.call(this, 'DELETE', path);
		if (deleted.statusCode >= 400 && deleted.statusCode !== 404) return false;
	}
	forget(state);
	return true;
}
