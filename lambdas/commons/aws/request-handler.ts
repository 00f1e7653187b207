/**
 * Connection settings every AWS client shares. The same code runs in AWS and in the local cloud:
 * only endpoints differ, and those come from the SDK's standard AWS_ENDPOINT_URL_<SERVICE> variables
 * (set by local/) plus IOT_DATA_ENDPOINT (set by lib/ from the account's ATS endpoint).
 *
 * One module per client (dynamodb.ts, sqs.ts, s3.ts, iot-data.ts) so that a handler bundles only
 * the SDK clients it imports: a shared module exporting all four put every client in every bundle.
 */

/**
 * Kept-alive sockets per client. A full report writes its changed shards at once (dozens of
 * requests), and the local cloud runs a few invocations in one execution environment; past the
 * SDK's default of 50 the rest queue and the SDK warns that socket usage is at capacity.
 */
const MAX_SOCKETS = 128;

export const requestHandler = {
  httpAgent: { keepAlive: true, maxSockets: MAX_SOCKETS },
  httpsAgent: { keepAlive: true, maxSockets: MAX_SOCKETS },
};
