/**
 * A scanner for secret-looking values in the repository's files (used by test/secret-scan.test.ts).
 * What it looks for:
 *  - private key blocks (PEM, OpenSSH, PGP);
 *  - passwords inside URLs (scheme://user:password@host), placeholders excepted;
 *  - `password = "…"` / `secret: '…'` / `apiKey=…` literals (a quoted value without spaces);
 *  - provider tokens: AWS access keys, GitHub, Slack, Stripe, and Octopus's own `octo_` API tokens;
 *  - in configuration files (flows, examples, mosquitto/, .env*, *.conf, *.json, *.yml), long
 *    high-entropy strings (keys and tokens pasted into config).
 */
export interface Finding {
  file: string;
  line: number;
  rule: string;
  excerpt: string;
  /** The secret-looking value itself, where the rule captures one. */
  value?: string;
}

// Values that stand for a secret without being one.
// An all-capitals name (PASSWORD, MQTT_PASSWORD) stands for a value too.
const CAPITALS = /^[A-Z][A-Z0-9_]*$/;
const PLACEHOLDER = /^(\*+|<[^>]*>|\$\{[^}]*\}|\$[A-Z_][A-Z0-9_]*|%[sd]|x+|\.{3}|…|your[-_ ]?\w*|example\w*|redacted|changeme_in_env)$/i;

const DOC_USER = /^(user|username|name)$/i;
const DOC_PASSWORD = /^(password|pass|secret)$/i;

const RULES: Array<{ rule: string; pattern: RegExp; value?: number }> = [
  { rule: 'private key block', pattern: /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----/ },
  { rule: 'password in a URL', pattern: /\b[a-z][a-z0-9+.-]*:\/\/([^\s:@/'"`]+):([^\s@/'"`]+)@[^\s'"`]/i, value: 2 },
  {
    rule: 'password literal',
    pattern: /\b(?:pass(?:word|wd|phrase)?|secret|api[_-]?key|access[_-]?key|private[_-]?key|client[_-]?secret|auth[_-]?token)["']?\s*[:=]\s*["']([^"'\s]{6,})["']/i,
    value: 1,
  },
  { rule: 'AWS access key', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { rule: 'AWS secret key', pattern: /aws_secret_access_key\s*[:=]\s*["']?[A-Za-z0-9/+=]{40}/i },
  { rule: 'GitHub token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b/ },
  { rule: 'Slack token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/ },
  { rule: 'Stripe key', pattern: /\b[sr]k_live_[A-Za-z0-9]{20,}\b/ },
  { rule: 'Octopus API token', pattern: /\bocto_[A-Za-z0-9_-]{43}\b/ },
];

export function isConfigFile(path: string): boolean {
  return /(^|\/)(flows|examples|mosquitto)\//.test(path) || /(^|\/)\.env/.test(path) || /\.(json|ya?ml|conf|ini|toml|env|properties)$/.test(path);
}

/** Shannon entropy in bits per character. */
export function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) h -= (n / s.length) * Math.log2(n / s.length);
  return h;
}

const CANDIDATE = /[A-Za-z0-9+/=_-]{24,}/g;

/** A random-looking token: long, mixed letters and digits, and of high entropy for its alphabet. */
export function looksRandom(s: string): boolean {
  if (!/[0-9]/.test(s) || !/[A-Za-z]/.test(s)) return false;
  const hex = /^[0-9a-fA-F]+$/.test(s);
  return hex ? s.length >= 32 && entropy(s) > 3.5 : entropy(s) > 4.3;
}

export function scanText(file: string, text: string): Finding[] {
  const findings: Finding[] = [];
  const lines = text.split('\n');
  const config = isConfigFile(file);
  lines.forEach((lineText, i) => {
    for (const { rule, pattern, value } of RULES) {
      const m = pattern.exec(lineText);
      if (!m) continue;
      if (value !== undefined && (PLACEHOLDER.test(m[value]) || CAPITALS.test(m[value]))) continue;
      // Documentation's shape of a URL: user:password@host.
      if (rule === 'password in a URL' && DOC_USER.test(m[1]) && DOC_PASSWORD.test(m[2])) continue;
      findings.push({ file, line: i + 1, rule, excerpt: lineText.trim().slice(0, 120), ...(value === undefined ? {} : { value: m[value] }) });
    }
    if (config) {
      for (const m of lineText.matchAll(CANDIDATE)) {
        if (looksRandom(m[0])) findings.push({ file, line: i + 1, rule: 'high-entropy string in config', excerpt: m[0].slice(0, 12) + '…' });
      }
    }
  });
  return findings;
}
