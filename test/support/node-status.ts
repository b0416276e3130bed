import { readFileSync } from 'node:fs';
import WebSocket from 'ws';

export interface StatusEvent {
  nodeId: string;
  text: string;
  fill?: string;
  at: number;
}

export interface StatusWatcher {
  events: StatusEvent[];
  /** Runtime notifications by topic (e.g. `runtime-deploy`, sent once a deploy's flows have started). */
  notifications: Array<{ topic: string; at: number }>;
  close(): void;
}

/**
 * Listens to node statuses the way the editor does: Node-RED's /comms websocket, topic status/#,
 * first authenticating with an admin API token when the editor needs a login.
 */
export async function watchNodeStatus(baseUrl: string, adminToken?: string): Promise<StatusWatcher> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/comms`);
  const events: StatusEvent[] = [];
  const notifications: StatusWatcher['notifications'] = [];
  ws.on('message', (data: WebSocket.RawData) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(data.toString());
    } catch {
      return;
    }
    for (const m of Array.isArray(parsed) ? parsed : [parsed]) {
      const { topic, data: d } = m as { topic?: string; data?: { text?: string; fill?: string } };
      if (typeof topic === 'string' && topic.startsWith('notification/')) notifications.push({ topic: topic.slice('notification/'.length), at: Date.now() });
      if (typeof topic === 'string' && topic.startsWith('status/') && d) {
        events.push({ nodeId: topic.slice('status/'.length), text: d.text ?? '', fill: d.fill, at: Date.now() });
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  if (adminToken) {
    const authed = new Promise<void>((resolve, reject) => {
      const onMessage = (data: WebSocket.RawData) => {
        const m = JSON.parse(data.toString()) as { auth?: string };
        if (m.auth === undefined) return;
        ws.off('message', onMessage);
        if (m.auth === 'ok') resolve();
        else reject(new Error(`/comms refused the admin token: ${m.auth}`));
      };
      ws.on('message', onMessage);
    });
    ws.send(JSON.stringify({ auth: adminToken }));
    await authed;
  }
  ws.send(JSON.stringify({ subscribe: 'status/#' }));
  ws.send(JSON.stringify({ subscribe: 'notification/#' }));
  return { events, notifications, close: () => ws.close() };
}

/** Resident memory of a process in MB, from /proc. */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export interface RssWatch {
  /** Highest and first sample, MB. */
  peak(): number;
  first(): number;
  samples(): number;
  stop(): void;
}

/** Samples a process's resident memory (VmRSS) every `periodMs` until stopped; a sample of an exited process is skipped. */
export function watchRss(pid: number, periodMs = 200): RssWatch {
  let peak = 0;
  let first = NaN;
  let n = 0;
  const sample = () => {
    let mb = NaN;
    try {
      mb = rssMb(pid);
    } catch {
      return;
    }
    if (!Number.isFinite(mb)) return;
    if (n++ === 0) first = mb;
    peak = Math.max(peak, mb);
  };
  sample();
  const timer = setInterval(sample, periodMs);
  return { peak: () => peak, first: () => first, samples: () => n, stop: () => clearInterval(timer) };
}
