import { ruleMatches, type CompiledRule, type SeriesIdentity } from './rule-compile';

interface SiteLevel {
  exact: Map<string, CompiledRule[]>;
  wild: CompiledRule[];
}
interface DeviceLevel {
  exact: Map<string, SiteLevel>;
  /** Device globs by their literal prefix (`nevera-*` under `nevera-`), so a name meets only the globs it can match. */
  prefixed: Map<string, SiteLevel>;
  /** The distinct prefix lengths in `prefixed`: a name is looked up once per length. */
  prefixLengths: number[];
  wild: SiteLevel;
}

const newSiteLevel = (): SiteLevel => ({ exact: new Map(), wild: [] });
const newDeviceLevel = (): DeviceLevel => ({ exact: new Map(), prefixed: new Map(), prefixLengths: [], wild: newSiteLevel() });

/**
 * Rules bucketed by their exact attribute, then exact device (or a device glob's literal prefix),
 * then exact site; a rule whose selector at a level is `*` (or a glob without a prefix) sits in
 * that level's wildcard bucket. A series looks up a handful of buckets, so with 10k per-device
 * rules it meets only the few that name its device or leave it open; room, kind and the globs
 * themselves are checked on those candidates alone. The engine does this once per series (and
 * again when the rules change), then keeps the series' rules with it.
 */
export class RuleIndex {
  private readonly byAttribute = new Map<string, DeviceLevel>();
  private readonly anyAttribute = newDeviceLevel();
  readonly size: number;
  /** Some rule selects by device kind: callers then look the kind up (otherwise they need not). */
  readonly usesKind: boolean;

  constructor(readonly rules: readonly CompiledRule[]) {
    for (const r of rules) this.add(r);
    this.size = rules.length;
    this.usesKind = rules.some((r) => r.kind !== undefined);
  }

  private add(r: CompiledRule): void {
    let dl: DeviceLevel;
    if (r.attribute.kind === 'exact') {
      dl = this.byAttribute.get(r.attribute.value) ?? newDeviceLevel();
      this.byAttribute.set(r.attribute.value, dl);
    } else dl = this.anyAttribute;
    let sl: SiteLevel;
    if (r.device.kind === 'exact') {
      sl = dl.exact.get(r.device.value) ?? newSiteLevel();
      dl.exact.set(r.device.value, sl);
    } else if (r.device.kind === 'glob' && r.device.prefix !== '') {
      const prefix = r.device.prefix;
      sl = dl.prefixed.get(prefix) ?? newSiteLevel();
      dl.prefixed.set(prefix, sl);
      if (!dl.prefixLengths.includes(prefix.length)) dl.prefixLengths.push(prefix.length);
    } else sl = dl.wild;
    if (r.site.kind === 'exact') {
      const list = sl.exact.get(r.site.value) ?? [];
      list.push(r);
      sl.exact.set(r.site.value, list);
    } else sl.wild.push(r);
  }

  /** The rules that match the series, in rule order, appended to `out`. */
  candidates(s: SeriesIdentity, kind: string | undefined, out: CompiledRule[] = []): CompiledRule[] {
    const start = out.length;
    this.fromDeviceLevel(this.byAttribute.get(s.attribute), s, kind, out);
    this.fromDeviceLevel(this.anyAttribute, s, kind, out);
    if (out.length - start > 1) {
      const found = out.splice(start).sort((a, b) => a.index - b.index);
      for (let i = 0; i < found.length; i++) if (i === 0 || found[i] !== found[i - 1]) out.push(found[i]);
    }
    return out;
  }

  private fromDeviceLevel(dl: DeviceLevel | undefined, s: SeriesIdentity, kind: string | undefined, out: CompiledRule[]): void {
    if (!dl) return;
    this.fromSiteLevel(dl.exact.get(s.device), s, kind, out);
    if (s.deviceId !== s.device) this.fromSiteLevel(dl.exact.get(s.deviceId), s, kind, out);
    for (const n of dl.prefixLengths) {
      if (n <= s.device.length) this.fromSiteLevel(dl.prefixed.get(s.device.slice(0, n)), s, kind, out);
      if (s.deviceId !== s.device && n <= s.deviceId.length) this.fromSiteLevel(dl.prefixed.get(s.deviceId.slice(0, n)), s, kind, out);
    }
    this.fromSiteLevel(dl.wild, s, kind, out);
  }

  private fromSiteLevel(sl: SiteLevel | undefined, s: SeriesIdentity, kind: string | undefined, out: CompiledRule[]): void {
    if (!sl) return;
    const exact = sl.exact.get(s.site);
    if (exact) for (const r of exact) if (ruleMatches(r, s, kind)) out.push(r);
    for (const r of sl.wild) if (ruleMatches(r, s, kind)) out.push(r);
  }
}
