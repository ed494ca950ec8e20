/**
 * `npm run bench [-- part...]`: runs each benchmark part in turn (all by default). Each part
 * prints its own figures next to its reference and the ratio.
 */
const parts: Record<string, () => Promise<{ run: (args: string[]) => Promise<void> }>> = {
  logscan: () => import('./logscan.js'),
  diagnose: () => import('./diagnose.js'),
  ack: () => import('./ack.js'),
  'patch-race': () => import('./patch-race.js'),
  alerts: () => import('./alerts.js'),
  'time-to-report': () => import('./time-to-report.js'),
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('-'));
const names = wanted.length ? wanted : Object.keys(parts);
for (const name of names) {
  const load = parts[name];
  if (!load) {
    console.error(`unknown benchmark part "${name}"; parts: ${Object.keys(parts).join(', ')}`);
    process.exit(2);
  }
  console.log(`\n=== bench: ${name}`);
  const mod = await load();
  await mod.run(flags);
}
