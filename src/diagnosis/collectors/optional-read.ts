/** A read the diagnosis can do without: its failure goes to the problems, and null stands for what it would have read. */
export async function attempt<T>(
  context: { problem(target: string, error: unknown): void },
  target: string,
  read: () => Promise<T>,
): Promise<T | null> {
  try {
    return await read();
  } catch (error) {
    context.problem(target, error);
    return null;
  }
}
