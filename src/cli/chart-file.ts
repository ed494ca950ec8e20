import type { LoopChart } from '../report/loop-chart.js';

/**
 * `--chart FILE.png`: the chart written, or a line on stderr saying why there is none (nothing
 * loops). stdout stays the report's, so that `--json` output is still JSON.
 */
export async function writeChart(file: string, chart: LoopChart | null): Promise<void> {
  if (chart === null) {
    process.stderr.write(`No chart written to ${file}: no object is written in a loop.\n`);
    return;
  }
  const { writeLoopChart } = await import('../chart/loop-chart-png.js');
  const bytes = await writeLoopChart(file, chart);
  process.stderr.write(`Chart of the loop written to ${file} (${bytes.toLocaleString('en-US')} bytes).\n`);
}
