'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { NodeApiError } = require('n8n-workflow');
const { usdToMicros, microsToUsd } = require('../dist/nodes/Tollgate/shared/money');
const { describeProblem, throwOnProblem } = require('../dist/nodes/Tollgate/shared/errors');
const preSend = require('../dist/nodes/Tollgate/shared/preSend');
const { withTightestBudget } = require('../dist/nodes/Tollgate/shared/postReceive');
const { fakeContext } = require('./fakes');

test('dollars typed as decimal strings become exact micro-dollars', () => {
	assert.equal(usdToMicros('49.99'), 49_990_000);
	assert.equal(usdToMicros('100'), 100_000_000);
	assert.equal(usdToMicros('$0.000001'), 1);
	assert.equal(usdToMicros('0.1'), 100_000); // 0.1 as a float would not be exact
	assert.equal(usdToMicros('1.2345678'), undefined);
	assert.equal(usdToMicros('-5'), undefined);
	assert.equal(usdToMicros('ten'), undefined);
	assert.equal(microsToUsd(1_500_000), '1.50');
	assert.equal(microsToUsd(1234), '0.001234');
});

test('a problem document becomes a message that names it and a description that says what to fix', () => {
	const { message, description } = describeProblem(422, {
		type: 'about:blank',
		title: 'Unprocessable Entity',
		status: 422,
		detail: 'The input is not valid.',
		errors: { json: { slug: ['Not a valid slug.'] } },
	});
	assert.equal(message, 'Tollgate: Unprocessable Entity (422): The input is not valid.');
	assert.match(description, /json\.slug: Not a valid slug\./);
	assert.match(describeProblem(401, { title: 'Unauthorized', status: 401 }).description, /token/);
	assert.match(describeProblem(404, '<html>nope</html>').message, /<html>nope<\/html>/);
});

test('throwOnProblem passes successes through and throws a NodeApiError for problems', async () => {
	const context = fakeContext();
	const items = [{ json: { id: 'cli_1' } }];
	assert.deepEqual(await throwOnProblem.call(context, items, { statusCode: 201, body: {}, headers: {} }), items);
	await assert.rejects(
		throwOnProblem.call(context, items, {
			statusCode: 403,
			headers: {},
			body: { title: 'Forbidden', status: 403, detail: "A token with role 'viewer' may not do this." },
		}),
		(error) => {
			assert.ok(error instanceof NodeApiError);
			assert.match(error.message, /role 'viewer' may not do this/);
			assert.match(error.description, /owner or admin token/);
			assert.equal(error.httpCode, '403');
			return true;
		},
	);
});

test('preSend: slug from name, amount in micro-dollars, budget scope, cap-status URL, empty values dropped', async () => {
	assert.equal(preSend.slugify('Acme Corp. (Zürich)'), 'acme-corp-zurich');
	const created = await preSend.slugFromName.call(fakeContext(), { body: { name: 'Acme Corp' } });
	assert.equal(created.body.slug, 'acme-corp');

	const budget = fakeContext({ parameters: { amountUsd: '80.50', scope: 'project', projectId: 'prj_1' } });
	let options = await preSend.amountToMicros.call(budget, { body: {} });
	options = await preSend.budgetScopeId.call(budget, options);
	assert.deepEqual(options.body, { amount_micros: 80_500_000, scope: 'project', scope_id: 'prj_1' });
	await assert.rejects(
		preSend.amountToMicros.call(fakeContext({ parameters: { amountUsd: '80,50' } }), { body: {} }),
		/not an amount of US dollars/,
	);

	const cap = fakeContext({ parameters: { scope: 'key', keyId: 'key_9' } });
	assert.equal((await preSend.capStatusUrl.call(cap, { url: '' })).url, '/api/v1/sub-keys/key_9/cap-status');

	const dropped = await preSend.dropEmpty.call(fakeContext(), {
		qs: { client_id: '', q: 'acme', limit: 50 },
		body: { project_id: '', name: 'x' },
	});
	assert.deepEqual(dropped.qs, { q: 'acme', limit: 50 });
	assert.deepEqual(dropped.body, { name: 'x' });
});

test('cap status lifts the budget closest to its limit to the top', async () => {
	const status = {
		scope: 'client',
		state: 'warning',
		budgets: [
			{ budget_id: 'b1', percent_used: 12.5, spent_usd: '12.50' },
			{ budget_id: 'b2', percent_used: 81, spent_usd: '8.10', period_end: '2026-12-31T23:00:00+00:00' },
		],
	};
	const [item] = await withTightestBudget.call(fakeContext(), [{ json: status }]);
	assert.equal(item.json.percent_used, 81);
	assert.equal(item.json.spent_usd, '8.10');
	assert.equal(item.json.budgets.length, 2);
	const [empty] = await withTightestBudget.call(fakeContext(), [{ json: { budgets: [] } }]);
	assert.equal(empty.json.percent_used, null);
});
