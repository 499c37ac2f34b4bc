/**
 * A small SVG line chart (no dependency): one panel per metric, one line per target.
 */
export interface Series {
  name: string;
  color: string;
  points: Array<[number, number]>;
}

function panel(title: string, unit: string, series: Series[], x0: number, width: number, height: number): string {
  const xs = series.flatMap((s) => s.points.map(([x]) => x));
  const ys = series.flatMap((s) => s.points.map(([, y]) => y));
  const [xMin, xMax] = [Math.min(...xs), Math.max(...xs)];
  const yMax = Math.max(...ys) * 1.15 || 1;
  const left = x0 + 50;
  const top = 40;
  const w = width - 70;
  const h = height - 80;
  const px = (x: number) => left + (xMax === xMin ? w / 2 : ((x - xMin) / (xMax - xMin)) * w);
  const py = (y: number) => top + h - (y / yMax) * h;
  const parts = [`<text x="${left}" y="22" font-size="14" font-weight="bold">${title}</text>`];
  for (let i = 0; i <= 4; i++) {
    const y = (yMax * i) / 4;
    parts.push(
      `<line x1="${left}" x2="${left + w}" y1="${py(y)}" y2="${py(y)}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${py(y) + 4}" font-size="10" text-anchor="end">${y.toFixed(y < 1 ? 3 : 1)}</text>`,
    );
  }
  for (const x of [...new Set(xs)]) parts.push(`<text x="${px(x)}" y="${top + h + 16}" font-size="10" text-anchor="middle">${x}</text>`);
  parts.push(
    `<text x="${left + w / 2}" y="${top + h + 32}" font-size="11" text-anchor="middle">concurrent calls</text>`,
    `<text x="${left}" y="${top - 6}" font-size="10">${unit}</text>`,
  );
  series.forEach((s, index) => {
    const points = s.points.map(([x, y]) => `${px(x)},${py(y)}`).join(' ');
    parts.push(`<polyline points="${points}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    for (const [x, y] of s.points) parts.push(`<circle cx="${px(x)}" cy="${py(y)}" r="3" fill="${s.color}"/>`);
    parts.push(
      `<rect x="${left + 8}" y="${top + 6 + index * 16}" width="10" height="10" fill="${s.color}"/><text x="${left + 24}" y="${top + 15 + index * 16}" font-size="11">${s.name}</text>`,
    );
  });
  return parts.join('\n');
}

export function chart(panels: Array<{ title: string; unit: string; series: Series[] }>): string {
  const width = 420;
  const height = 300;
  const body = panels.map((p, i) => panel(p.title, p.unit, p.series, i * width, width, height)).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width * panels.length}" height="${height}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${body}\n</svg>\n`;
}
