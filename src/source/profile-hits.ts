/** A PROFILE plan as neo4j-driver reports it (the fields read here). */
export interface ProfiledPlan {
  dbHits: number;
  children: ProfiledPlan[];
}

/** Total db hits of a PROFILE plan: what a query cost the store, independent of wall time and load. */
export function totalDbHits(plan: ProfiledPlan): number {
  return plan.children.reduce((sum, child) => sum + totalDbHits(child), plan.dbHits);
}
