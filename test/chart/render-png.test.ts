import { describe, expect, it } from '@jest/globals';
import { inflateSync } from 'node:zlib';
import { loopChartPng } from '../../src/chart/loop-chart-png.js';
import { renderChartSvg } from '../../src/chart/render-png.js';
import { loopChartSpec, type LoopChart } from '../../src/report/loop-chart.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A known series: 20 minutes of a loop at 600-900 writes a minute, the rule at 60. */
const CHART: LoopChart = {
  title: 'Writes per minute of the objects written in a loop',
  subtitle: 'apiserver logs, 2022-05-07 08:00 UTC to 2022-05-07 08:19 UTC',
  series: [
    {
      label: 'c-dql6k/machine-h46dc',
      source: null,
      points: Array.from({ length: 20 }, (_, i) => ({
        minute: new Date(Date.UTC(2022, 4, 7, 8, i)).toISOString(),
        writes: 600 + (i % 4) * 100,
      })),
    },
  ],
  thresholds: [{ label: 'loop rule: 60/min', writesPerMinute: 60 }],
  memory: null,
};

interface Chunk {
  type: string;
  data: Buffer;
}

function chunks(png: Buffer): Chunk[] {
  const out: Chunk[] = [];
  let at = 8;
  while (at < png.length) {
    const length = png.readUInt32BE(at);
    out.push({ type: png.toString('latin1', at + 4, at + 8), data: png.subarray(at + 8, at + 8 + length) });
    at += 12 + length;
  }
  return out;
}

describe('the loop chart drawn to PNG (vega-lite, vega, resvg, DejaVu Sans)', () => {
  it('is a PNG of the expected size that decodes: signature, IHDR, IDAT inflating to every row', async () => {
    const png = await loopChartPng(CHART);
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    const parts = chunks(png);
    expect(parts[0]!.type).toBe('IHDR');
    expect(parts[parts.length - 1]!.type).toBe('IEND');
    const ihdr = parts[0]!.data;
    const width = ihdr.readUInt32BE(0);
    const height = ihdr.readUInt32BE(4);
    const [bitDepth, colorType] = [ihdr[8]!, ihdr[9]!];
    // The 720 x 320 plot, its axes, title and legend, drawn at twice the size.
    expect(width).toBeGreaterThan(1440);
    expect(width).toBeLessThan(2000);
    expect(height).toBeGreaterThan(640);
    expect(height).toBeLessThan(1200);
    expect(bitDepth).toBe(8);
    const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[colorType as 0 | 2 | 4 | 6];
    expect(channels).toBeDefined();
    const pixels = inflateSync(Buffer.concat(parts.filter((c) => c.type === 'IDAT').map((c) => c.data)));
    // One filter byte, then the row's pixels, on every row.
    expect(pixels.length).toBe(height * (1 + width * channels!));
  });

  it('labels its axes, draws the threshold with its label, and names the object (the SVG before rasterising)', async () => {
    const svg = await renderChartSvg(loopChartSpec(CHART));
    for (const text of [
      'writes per minute',
      'time (UTC)',
      'loop rule: 60/min',
      'c-dql6k/machine-h46dc',
      '08:10',
    ]) {
      expect(svg).toContain(`>${text}<`);
    }
    expect(svg).toContain('font-family="DejaVu Sans');
    expect(svg).toMatch(/stroke-dasharray="8,4"/);
  });
});
