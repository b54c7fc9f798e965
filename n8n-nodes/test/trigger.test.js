'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { createHmac } = require('node:crypto');
const { verifySignature } = require('../dist/nodes/TollgateTrigger/signature');
const methods = require('../dist/nodes/TollgateTrigger/webhookMethods');
const { TollgateTrigger } = require('../dist/nodes/TollgateTrigger/TollgateTrigger.node');
const { fakeContext } = require('./fakes');

const SECRET = 'whsec_test';
const URL = 'http://n8n.test/webhook/abc/webhook';

function sign(body, t, secret = SECRET) {
	return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex')}`;
}

test('signature: the documented scheme passes; tampering, other secrets, stale times and no header fail', () => {
	const body = Buffer.from('{"type":"cap.exceeded"}');
	const now = 1_800_000_000;
	assert.deepEqual(verifySignature(SECRET, sign(body, now), body, now), { valid: true });
	assert.equal(verifySignature(SECRET, sign(body, now), Buffer.from('{"type":"x"}'), now).valid, false);
	assert.equal(verifySignature(SECRET, sign(body, now, 'whsec_other'), body, now).valid, false);
	assert.equal(verifySignature(SECRET, sign(body, now - 301), body, now).reason, 'timestamp outside the tolerance');
	assert.equal(verifySignature(SECRET, undefined, body, now).reason, 'missing Tollgate-Signature header');
	assert.equal(verifySignature(SECRET, 'v1=00', body, now).valid, false);
	// a second v1 (secret rotation) may match
	assert.equal(verifySignature(SECRET, `t=${now},v1=00,${sign(body, now).split(',')[1]}`, body, now).valid, true);
});

test('create subscribes the webhook URL to the chosen events and clients and keeps id and secret', async () => {
	const context = fakeContext({
		webhookUrl: URL,
		parameters: { events: ['cap.threshold_reached', 'cap.exceeded'], clientIds: ['cli_1'] },
		responses: [{ statusCode: 201, body: { id: 'whs_1', secret: SECRET, url: URL } }],
	});
	assert.equal(await methods.create.call(context), true);
	assert.deepEqual(context.staticData, { subscriptionId: 'whs_1', secret: SECRET });
	const [call] = context.calls;
	assert.equal(call.method, 'POST');
	assert.equal(call.url, 'http://tollgate.test/api/v1/webhook-subscriptions');
	assert.deepEqual(call.body, {
		url: URL,
		event_types: ['cap.threshold_reached', 'cap.exceeded'],
		client_ids: ['cli_1'],
		description: 'n8n workflow "Alerts"',
	});
});

test('checkExists: true for the live subscription, false and forgotten when gone, stale ones deleted', async () => {
	assert.equal(await methods.checkExists.call(fakeContext({ webhookUrl: URL })), false);

	const live = fakeContext({
		webhookUrl: URL,
		staticData: { subscriptionId: 'whs_1', secret: SECRET },
		responses: [{ statusCode: 200, body: { id: 'whs_1', url: URL, disabled_at: null } }],
	});
	assert.equal(await methods.checkExists.call(live), true);
	assert.equal(live.calls[0].url, 'http://tollgate.test/api/v1/webhook-subscriptions/whs_1');

	const gone = fakeContext({
		webhookUrl: URL,
		staticData: { subscriptionId: 'whs_1', secret: SECRET },
		responses: [{ statusCode: 404, body: { title: 'Not Found', status: 404 } }],
	});
	assert.equal(await methods.checkExists.call(gone), false);
	assert.deepEqual(gone.staticData, {});

	const stale = fakeContext({
		webhookUrl: URL,
		staticData: { subscriptionId: 'whs_1', secret: SECRET },
		responses: [
			{ statusCode: 200, body: { id: 'whs_1', url: 'http://old.test/webhook', disabled_at: null } },
			{ statusCode: 204, body: '' },
		],
	});
	assert.equal(await methods.checkExists.call(stale), false);
	assert.equal(stale.calls[1].method, 'DELETE');
	assert.deepEqual(stale.staticData, {});

	const refused = fakeContext({
		webhookUrl: URL,
		staticData: { subscriptionId: 'whs_1', secret: SECRET },
		responses: [{ statusCode: 401, body: { title: 'Unauthorized', status: 401 } }],
	});
	await assert.rejects(methods.checkExists.call(refused), /Unauthorized \(401\)/);
});

test('delete unsubscribes, and a subscription already gone counts as deleted', async () => {
	for (const statusCode of [204, 404]) {
		const context = fakeContext({
			staticData: { subscriptionId: 'whs_1', secret: SECRET },
			responses: [{ statusCode, body: {} }],
		});
		assert.equal(await methods.deleteSubscription.call(context), true);
		assert.equal(context.calls[0].method, 'DELETE');
		assert.deepEqual(context.staticData, {});
	}
	const failing = fakeContext({
		staticData: { subscriptionId: 'whs_1', secret: SECRET },
		responses: [{ statusCode: 500, body: {} }],
	});
	assert.equal(await methods.deleteSubscription.call(failing), false);
	assert.equal(failing.staticData.subscriptionId, 'whs_1');
});

function delivery({ event, signature, clientIds = [] }) {
	const raw = Buffer.from(JSON.stringify(event));
	const t = Math.floor(Date.now() / 1000);
	return fakeContext({
		staticData: { subscriptionId: 'whs_1', secret: SECRET },
		parameters: { events: ['cap.threshold_reached'], clientIds },
		headers: { 'tollgate-signature': signature ?? sign(raw, t) },
		body: event,
		rawBody: raw,
	});
}

test('webhook: a signed delivery starts the workflow with the event', async () => {
	const event = { id: 'evt_1', type: 'cap.threshold_reached', client_id: 'cli_1', data: { percent_used: 80.2 } };
	const result = await new TollgateTrigger().webhook.call(delivery({ event }));
	assert.deepEqual(result, { workflowData: [[{ json: event }]] });
});

test('webhook: a bad signature is refused with 401 and starts nothing', async () => {
	const event = { id: 'evt_1', type: 'cap.threshold_reached', client_id: 'cli_1' };
	const context = delivery({ event, signature: `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}` });
	const result = await new TollgateTrigger().webhook.call(context);
	assert.deepEqual(result, { noWebhookResponse: true });
	assert.equal(context.sent().code, 401);
});

test('webhook: events of other types or other clients are acknowledged but start nothing', async () => {
	const other = { id: 'evt_2', type: 'cap.threshold_reached', client_id: 'cli_2' };
	const filtered = await new TollgateTrigger().webhook.call(delivery({ event: other, clientIds: ['cli_1'] }));
	assert.deepEqual(filtered, { webhookResponse: { received: true, ignored: true } });
	const wrongType = { id: 'evt_3', type: 'report.ready', client_id: 'cli_1' };
	const ignored = await new TollgateTrigger().webhook.call(delivery({ event: wrongType }));
	assert.equal(ignored.workflowData, undefined);
});
