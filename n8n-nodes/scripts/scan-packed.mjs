// Run n8n's community-package scanner offline, as its CLI does after the provenance and download steps:
// the source leg (TypeScript sources, SOURCE_FILE_PATTERNS) on this folder, and the dist leg (compiled
// JavaScript and package.json) on the tarball `npm pack` makes. The CLI itself needs the registry,
// provenance attestations and GitHub, none of which a local build has.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzePackage, SOURCE_FILE_PATTERNS } from '@n8n/scan-community-package/scanner/scanner.mjs';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const work = mkdtempSync(join(tmpdir(), 'tollgate-scan-'));
try {
	const packed = JSON.parse(
		execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8' }),
	);
	const tarball = join(work, packed[0].filename);
	execFileSync('tar', ['-xzf', tarball, '-C', work]);
	const legs = [
		['source', await analyzePackage(root, SOURCE_FILE_PATTERNS)],
		['tarball', await analyzePackage(join(work, 'package'), ['**/*.js', 'package.json'])],
	];
	let failed = false;
	for (const [leg, result] of legs) {
		console.log(`scanner (${leg}): ${result.passed ? 'passed' : 'FAILED'} ${result.message ?? ''}`);
		if (!result.passed) {
			failed = true;
			if (result.details) console.log(result.details);
		}
	}
	process.exitCode = failed ? 1 : 0;
} finally {
	rmSync(work, { recursive: true, force: true });
}
