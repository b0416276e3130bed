/**
 * What the parser refused lately, per house: the parse node notes each reject here (only rejects,
 * never the readings' hot path), so a new device's page can say "the parser refused its message:
 * <reason>" instead of leaving its owner guessing. Bounded: a few per house, a cap on houses.
 */
export interface NotedReject {
  topic: string;
  code: string;
  reason: string;
  at: number;
}

const PER_SITE = 20;
const MAX_SITES = 10_000;
const bySite = new Map<string, NotedReject[]>();

export function noteReject(topic: string, code: string, reason: string, at = Date.now()): void {
  const slash = topic.indexOf('/');
  if (slash <= 0) return;
  const site = topic.slice(0, slash);
  let list = bySite.get(site);
  if (!list) {
    if (bySite.size >= MAX_SITES) bySite.delete(bySite.keys().next().value as string);
    bySite.set(site, (list = []));
  }
  list.push({ topic: topic.slice(0, 300), code, reason: reason.slice(0, 300), at });
  if (list.length > PER_SITE) list.shift();
}

/** The house's recent rejects on topics that name this topic id as one of their levels. */
export function rejectsOf(site: string, topicId: string, since: number): NotedReject[] {
  return (bySite.get(site) ?? []).filter((r) => r.at >= since && r.topic.split('/').includes(topicId));
}
