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

/** One per Octopus runtime (`OctopusRuntime.recentRejects`): the parse nodes note, onboarding reads. */
export class RecentRejects {
  private readonly bySite = new Map<string, NotedReject[]>();

  note(topic: string, code: string, reason: string, at = Date.now()): void {
    const slash = topic.indexOf('/');
    if (slash <= 0) return;
    const site = topic.slice(0, slash);
    let list = this.bySite.get(site);
    if (!list) {
      if (this.bySite.size >= MAX_SITES) this.bySite.delete(this.bySite.keys().next().value as string);
      this.bySite.set(site, (list = []));
    }
    list.push({ topic: topic.slice(0, 300), code, reason: reason.slice(0, 300), at });
    if (list.length > PER_SITE) list.shift();
  }

  /** The house's recent rejects on topics that name this topic id as one of their levels. */
  of(site: string, topicId: string, since: number): NotedReject[] {
    return (this.bySite.get(site) ?? []).filter((r) => r.at >= since && r.topic.split('/').includes(topicId));
  }
}
