// Why a run gets no cache entry: thrown by the entry builders of zoo-runtime
// and zoo run alike, and caught where the entry would be written.
export class Refused extends Error {}

export function no(why: string): never {
  throw new Refused(why);
}
