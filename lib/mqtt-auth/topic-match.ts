/**
 * MQTT topic filters: whether a filter matches a topic, and whether every topic a filter matches
 * is also matched by another filter (a subscription inside an ACL grant). `$`-topics are only
 * matched by filters that name their first level, as brokers do.
 */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (t[0].startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** True when the two filters can match a common topic. */
export function filtersOverlap(a: string, b: string): boolean {
  const x = a.split('/');
  const y = b.split('/');
  if ((x[0].startsWith('$') && (y[0] === '+' || y[0] === '#')) || (y[0].startsWith('$') && (x[0] === '+' || x[0] === '#'))) return false;
  for (let i = 0; ; i++) {
    if (x[i] === '#' || y[i] === '#') return true;
    if (i >= x.length || i >= y.length) return x.length === y.length;
    if (x[i] !== '+' && y[i] !== '+' && x[i] !== y[i]) return false;
  }
}

/** The filter a shared subscription (`$share/<group>/<filter>`) applies; other filters unchanged. */
export function unshared(filter: string): string {
  if (!filter.startsWith('$share/')) return filter;
  const rest = filter.slice('$share/'.length);
  const slash = rest.indexOf('/');
  return slash < 0 ? '' : rest.slice(slash + 1);
}
