/**
 * The scenario registry: one file per worker, merged here. A later worker adds `scenarios/<worker>.ts`
 * exporting its `defineScenarios({...})` and one line below.
 */
import type { Scenarios } from '../harness/types';
import { authScenarios } from './auth';
import { contentScenarios } from './content-api';
import { ecomScenarios } from './ecom-api';
import { identityScenarios } from './identity-api';
import { metaScenarios } from './meta';

const sources: Array<[string, Scenarios]> = [
  ['meta', metaScenarios],
  ['auth', authScenarios],
  ['identity-api', identityScenarios],
  ['content-api', contentScenarios],
  ['ecom-api', ecomScenarios],
];

/** operationId → cases, failing loudly when two files claim the same operation. */
export const scenarios: Scenarios = {};
export const scenarioSource: Record<string, string> = {};
for (const [file, s] of sources) {
  for (const [operationId, cases] of Object.entries(s)) {
    if (scenarios[operationId]) {
      throw new Error(
        `scenarios/${file}.ts and scenarios/${scenarioSource[operationId]}.ts both define ${operationId}`,
      );
    }
    scenarios[operationId] = cases;
    scenarioSource[operationId] = file;
  }
}

/**
 * Generated cases that do not apply to an operation, each with its reason (shown in the skipped test's name),
 * e.g. `receiveStripeBookingWebhook: [{ match: /unknown field/, reason: 'Stripe adds fields; the payload is not strict' }]`.
 * Keep this short: every entry is a hole in the contract checks.
 */
export const generatedExclusions: Record<string, Array<{ match: RegExp; reason: string }>> = {};
