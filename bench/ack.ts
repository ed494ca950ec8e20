// Placeholder: filled in by the issue that builds this benchmark.
export async function run(_args: string[]): Promise<void> {
  console.log('not built yet');
}
