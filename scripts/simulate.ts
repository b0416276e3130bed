/**
 * `npm run simulate`: a fleet of simulated houses publishing realistic readings to the broker
 * (MQTT_URL, else the embedded broker's port), and lights that obey commands.
 */
import { parseArgs } from 'node:util';
import { join, resolve } from 'node:path';
import { brokerCredentials } from '../lib/mqtt-auth/broker-credentials';
import { defaultMqttUrl } from '../lib/util/env-config';
import { readDevCredentials } from './embedded/broker-users';
import { DIALECTS, type Dialect } from '../lib/simulation/dialects';
import { Simulator } from '../lib/simulation/simulator';

const USAGE = `usage: npm run simulate -- [options]
  --url URL        broker (default: MQTT_URL, else mqtt://127.0.0.1:MQTT_PORT or 1883)
  --sites N        houses (default 2)
  --rooms N        rooms per house (default 3)
  --devices N      devices per room (default 3)
  --rate N         messages per second, all devices together (default 10)
  --count N        stop after N messages (default: run until Ctrl-C)
  --qos 0|1        (default 1)
  --plain          plain payloads (21.5) instead of JSON with unit, ts and seq
  --no-ts          JSON without the device timestamp
  --seed N         reproducible fleet and values (default 1)
  --prefix NAME    site name prefix (default casa)
  --profile NAME   the firmware the devices speak: octopus (default), tasmota, z2m, shelly, esphome, homie,
                   ha (Home Assistant discovery), owntracks
  --fulltopic FT   Tasmota's FullTopic for --profile tasmota (default %prefix%/%topic%/), e.g. casa1/%prefix%/%topic%/
  --prefixes P     Tasmota's prefixes command,status,telemetry (default cmnd,stat,tele)
  --silent N       after 10 s, the first N devices stop reporting (the registry marks them stale, then offline)
  --drop N         after 10 s, the next N devices drop off: their last will says offline (firmware profiles)
  --alarm S        after S seconds, a device raises an alarm (the default flow's rule makes it a critical alert
                   that reaches people: the bell in /ui); it clears 60 s later. Press Enter for another one.
  --username U --password P   (default: from the URL, MQTT_USERNAME / MQTT_PASSWORD, or, with no broker
                   named, the simulator user \`npm start\` wrote to data/mqtt/dev-credentials.json)`;

function int(v: string | undefined, name: string, fallback: number, min: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name} must be a whole number ≥ ${min}\n\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

function prefixesOf(v: string | undefined): { cmnd: string; stat: string; tele: string } | undefined {
  if (v === undefined) return undefined;
  const [cmnd, stat, tele] = v.split(',').map((s) => s.trim());
  if (!cmnd || !stat || !tele) {
    console.error(`--prefixes takes three: command,status,telemetry (e.g. cmnd,stat,tele)\n\n${USAGE}`);
    process.exit(2);
  }
  return { cmnd, stat, tele };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      sites: { type: 'string' },
      rooms: { type: 'string' },
      devices: { type: 'string' },
      rate: { type: 'string' },
      count: { type: 'string' },
      qos: { type: 'string' },
      plain: { type: 'boolean' },
      'no-ts': { type: 'boolean' },
      seed: { type: 'string' },
      prefix: { type: 'string' },
      profile: { type: 'string' },
      fulltopic: { type: 'string' },
      prefixes: { type: 'string' },
      silent: { type: 'string' },
      drop: { type: 'string' },
      alarm: { type: 'string' },
      username: { type: 'string' },
      password: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  // Credentials: --username/--password, else those in the URL or MQTT_USERNAME / MQTT_PASSWORD,
  // else (no broker named at all) the simulator's user that `npm start` made for its embedded broker.
  const named = values.url ?? process.env.MQTT_URL;
  const dev = named ? undefined : readDevCredentials(resolve(process.env.OCTOPUS_DATA_DIR || join(process.cwd(), 'data')));
  const resolved = brokerCredentials(named ?? defaultMqttUrl(), values.url ? {} : process.env);
  const url = resolved.url;
  const username = values.username ?? resolved.username ?? dev?.username;
  const password = values.password ?? resolved.password ?? dev?.password;
  const dialect = (values.profile ?? 'octopus') as Dialect;
  if (!DIALECTS.includes(dialect)) {
    console.error(`--profile must be one of ${DIALECTS.join(', ')}\n\n${USAGE}`);
    process.exit(2);
  }
  const qos = int(values.qos, 'qos', 1, 0);
  const sim = new Simulator({
    url,
    sites: int(values.sites, 'sites', 2, 1),
    roomsPerSite: int(values.rooms, 'rooms', 3, 1),
    devicesPerRoom: int(values.devices, 'devices', 3, 1),
    rate: int(values.rate, 'rate', 10, 1),
    count: int(values.count, 'count', 0, 0),
    qos: qos === 0 ? 0 : 1,
    plain: values.plain ?? false,
    timestamps: !values['no-ts'],
    seed: int(values.seed, 'seed', 1, 0),
    sitePrefix: values.prefix,
    dialect,
    tasmotaFullTopic: values.fulltopic,
    tasmotaPrefixes: prefixesOf(values.prefixes),
    maxInFlight: 2000,
    clientOptions: { username, password, reconnectPeriod: 0, connectTimeout: 5000 },
    log: (line) => console.log(line),
  });
  try {
    await sim.start();
  } catch (err) {
    console.error(`cannot connect to ${url}: ${(err as Error).message} — start the system with \`npm start\` or set MQTT_URL`);
    process.exit(1);
  }
  const target = Number(values.rate ?? 10);
  console.log(`simulating ${sim.devices.length} devices in ${new Set(sim.devices.map((d) => d.site)).size} houses → ${url} at ${target} msg/s`);
  const silent = int(values.silent, 'silent', 0, 0);
  const drop = int(values.drop, 'drop', 0, 0);
  if (silent + drop > 0) {
    setTimeout(() => {
      const quiet = sim.devices.slice(0, silent);
      const dropped = sim.devices.slice(silent, silent + drop);
      quiet.forEach((d) => sim.silence(d));
      dropped.forEach((d) => void sim.dropOff(d));
      console.log(`silenced ${quiet.map((d) => `${d.site}/${d.room}/${d.device}`).join(', ') || 'none'}; dropped ${dropped.map((d) => `${d.site}/${d.room}/${d.device}`).join(', ') || 'none'}`);
    }, 10000).unref();
  }
  if (values.alarm !== undefined) {
    const raise = () => {
      const d = sim.devices[Math.floor(Math.random() * sim.devices.length)];
      void sim.alarm(d, true).then((topic) => {
        console.log(`alarm raised on ${topic} (clears in 60 s)`);
        setTimeout(() => void sim.alarm(d, false), 60_000).unref();
      });
    };
    setTimeout(raise, int(values.alarm, 'alarm', 5, 0) * 1000).unref();
    if (process.stdin.isTTY) {
      process.stdin.on('data', raise);
      process.stdin.unref();
    }
  }
  let last = 0;
  const report = setInterval(() => {
    const s = sim.stats;
    console.log(`sent ${s.sent} (+${s.sent - last}/s, target ${target}/s) acked ${s.acked} errors ${s.errors} commands ${s.commands}`);
    last = s.sent;
  }, 1000);
  const stop = async () => {
    clearInterval(report);
    await sim.stop();
    const s = sim.stats;
    console.log(`done: sent ${s.sent}, acked ${s.acked}, errors ${s.errors}, commands obeyed ${s.commands}`);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  if (Number(values.count ?? 0) > 0) {
    await sim.done();
    await stop();
  }
}

void main();
