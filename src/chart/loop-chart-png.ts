import { writeFile } from 'node:fs/promises';
import type { DiagnosisReport } from '../diagnosis/types.js';
import { loopChartFromReport, loopChartSpec, type LoopChart } from '../report/loop-chart.js';
import { renderChartPng } from './render-png.js';

/** The chart of a loop as PNG bytes. */
export function loopChartPng(chart: LoopChart): Promise<Buffer> {
  return renderChartPng(loopChartSpec(chart));
}

/** Writes the chart to `file`; the bytes written. */
export async function writeLoopChart(file: string, chart: LoopChart): Promise<number> {
  const png = await loopChartPng(chart);
  await writeFile(file, png);
  return png.length;
}

/** The PNG of a diagnosis's loop, for the report's thread; null when nothing was hot. */
export async function reportChartPng(report: DiagnosisReport): Promise<Buffer | null> {
  const chart = loopChartFromReport(report);
  return chart === null ? null : loopChartPng(chart);
}
