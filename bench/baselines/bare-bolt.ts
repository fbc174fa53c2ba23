/**
 * Baseline for the ack latency: a Bolt app that only acks /permission, behind Bolt's own
 * HTTPReceiver (node:http, signature verified), in its own process like the server under test.
 */
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import { serve } from '../harness.js';

let app: App | null = null;

serve({
  async start(a: { signingSecret: string; apiUrl: string }) {
    const receiver = new HTTPReceiver({ signingSecret: a.signingSecret, logLevel: LogLevel.ERROR });
    app = new App({
      token: 'xoxb-bench-bare', receiver, logLevel: LogLevel.ERROR, deferInitialization: true,
      clientOptions: { slackApiUrl: a.apiUrl },
    });
    app.command('/permission', async ({ ack }) => {
      await ack();
    });
    await app.init();
    const server = await receiver.start(0);
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  },
  async stop() {
    await app?.stop();
  },
});
