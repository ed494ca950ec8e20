/**
 * A count with its noun in the right number: "1 object", "2 objects", "1,200 lines". Irregular
 * plurals are given: plural(n, 'finding'), plural(n, 'PodDisruptionBudget'), plural(n, 'entry', 'entries').
 */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? singular : pluralForm}`;
}
