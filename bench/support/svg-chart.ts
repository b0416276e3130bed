/** A plain horizontal bar chart as SVG: enough to see the benchmark at a glance, no dependency. */
export function barChartSvg(title: string, unit: string, bars: Array<{ label: string; value: number; note?: string }>): string {
  const width = 720;
  const rowHeight = 38;
  const left = 170;
  const top = 48;
  const max = Math.max(1, ...bars.map((b) => (Number.isFinite(b.value) ? b.value : 0)));
  const height = top + bars.length * rowHeight + 24;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const rows = bars
    .map((b, i) => {
      const y = top + i * rowHeight;
      const w = Number.isFinite(b.value) ? Math.max(1, Math.round(((width - left - 150) * b.value) / max)) : 0;
      const text = Number.isFinite(b.value) ? `${Math.round(b.value).toLocaleString('en-US')} ${unit}${b.note ? ` · ${b.note}` : ''}` : 'not measured';
      return [
        `<text x="${left - 10}" y="${y + 22}" text-anchor="end">${esc(b.label)}</text>`,
        `<rect x="${left}" y="${y + 6}" width="${w}" height="24" rx="3" fill="${i === bars.length - 1 ? '#2f7fbf' : '#9bb7cf'}"/>`,
        `<text x="${left + w + 8}" y="${y + 22}">${esc(text)}</text>`,
      ].join('');
    })
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="14">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="16" y="28" font-size="17" font-weight="bold">${esc(title)}</text>
${rows}
</svg>
`;
}
