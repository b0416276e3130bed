import { createServer } from 'node:http';
import { connectAsync } from 'mqtt';

/**
 * The benchmark's "Mosquitto alone" consumer (issue #23): a plain mqtt.js QoS 1 subscriber in its
 * own process, acknowledging on receipt and counting, with no Node-RED and no database. It answers
 * GET /bench/count like the core flow does. Arguments come from the environment:
 * BENCH_MQTT_URL, BENCH_TOPIC, PORT.
 */
async function main(): Promise<void> {
  let count = 0;
  const client = await connectAsync(String(process.env.BENCH_MQTT_URL), { clean: true, clientId: `bench-broker-only-${process.pid}`, log: () => undefined });
  client.on('message', () => {
    count++;
  });
  await client.subscribeAsync(String(process.env.BENCH_TOPIC), { qos: 1 });
  const server = createServer((_req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ count }));
  });
  server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('[octopus] flows started (broker-only subscriber)'));
  process.on('SIGTERM', () => {
    server.close();
    void client.endAsync().then(() => process.exit(0));
  });
}

main().catch((err: Error) => {
  console.error(err.stack || err.message);
  process.exit(1);
});
