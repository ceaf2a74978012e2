/**
 * A graph keyed the way graphs people really have are keyed, unlike the sample graph: no `id` on people
 * and films (uniqueness constraints on Person.name and Movie.title), integer `id` keys from a relational
 * import (one beyond 2^53), a composite uniqueness constraint, a label with no key and no text property
 * among the defaults, relationship properties of every kind (lists, strings, numbers), nodes without a
 * timestamp, and a label whose configured key has duplicates.
 */
import type { Driver } from 'neo4j-driver';

/** What the graph holds, exactly. */
export const KEYED = {
  labels: { Award: 2, Customer: 3, Movie: 3, Order: 4, Person: 5, Role: 2, Tag: 3 },
  relationships: { ACTED_IN: 4, DIRECTED: 1, REVIEWED: 2, PLACED: 4, WON: 2, TAGGED: 3 },
  nodes: 22,
  relationshipCount: 16,
  /** The Order id beyond 2^53 (exact only as a 64-bit integer). */
  bigOrderId: '9007199254740993',
  /** Tag nodes sharing name 'classic' with the first one (by node id): rejected when Tag is keyed by name. */
  tagDuplicates: 1,
  /** Relationships that point at the duplicate tag. */
  tagDuplicateRelationships: 1,
} as const;

/** Empties the database: nodes, constraints and indexes (but the lookup indexes), so suites after it start clean. */
export async function clearDatabase(driver: Driver): Promise<void> {
  const session = driver.session();
  try {
    await session.run('MATCH (n) DETACH DELETE n');
    for (const row of (await session.run('SHOW CONSTRAINTS YIELD name RETURN name')).records)
      await session.run(`DROP CONSTRAINT \`${row.get('name') as string}\``);
    for (const row of (await session.run("SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP' RETURN name")).records)
      await session.run(`DROP INDEX \`${row.get('name') as string}\``);
  } finally {
    await session.close();
  }
}

export async function loadKeyedGraph(driver: Driver): Promise<void> {
  await clearDatabase(driver);
  const session = driver.session();
  try {
    await session.run('CREATE CONSTRAINT person_name FOR (p:Person) REQUIRE p.name IS UNIQUE');
    await session.run('CREATE CONSTRAINT movie_title FOR (m:Movie) REQUIRE m.title IS UNIQUE');
    await session.run('CREATE CONSTRAINT order_id FOR (o:Order) REQUIRE o.id IS UNIQUE');
    await session.run('CREATE CONSTRAINT customer_id FOR (c:Customer) REQUIRE c.id IS UNIQUE');
    await session.run('CREATE CONSTRAINT role_key FOR (r:Role) REQUIRE (r.person, r.movie) IS UNIQUE');
    await session.run(`
      CREATE (keanu:Person {name: 'Keanu Reeves', born: 1964, created_at: datetime('2020-01-01T00:00:00Z')})
      CREATE (carrie:Person {name: 'Carrie-Anne Moss', born: 1967})
      CREATE (lana:Person {name: 'Lana Wachowski', born: 1965})
      CREATE (jessica:Person {name: 'Jessica Thompson'})
      CREATE (hugo:Person {name: 'Hugo Weaving', born: 1960})
      CREATE (matrix:Movie {title: 'The Matrix', released: 1999, tagline: 'Welcome to the Real World'})
      CREATE (reloaded:Movie {title: 'The Matrix Reloaded', released: 2003})
      CREATE (cloud:Movie {title: 'Cloud Atlas', released: 2012})
      CREATE (keanu)-[:ACTED_IN {roles: ['Neo']}]->(matrix)
      CREATE (carrie)-[:ACTED_IN {roles: ['Trinity']}]->(matrix)
      CREATE (hugo)-[:ACTED_IN {roles: ['Agent Smith', 'Bill Smoke']}]->(cloud)
      CREATE (keanu)-[:ACTED_IN {roles: ['Neo'], since: date('1999-03-31')}]->(reloaded)
      CREATE (lana)-[:DIRECTED]->(matrix)
      CREATE (jessica)-[:REVIEWED {summary: 'An amazing journey', rating: 95}]->(cloud)
      CREATE (jessica)-[:REVIEWED {summary: 'Silly, but fun', rating: 65}]->(reloaded)
      CREATE (:Role {person: 'Keanu Reeves', movie: 'The Matrix', billing: 1})
      CREATE (:Role {person: 'Carrie-Anne Moss', movie: 'The Matrix', billing: 2})
      CREATE (oscar:Award {category: 'Best Visual Effects', year: 2000})
      CREATE (saturn:Award {category: 'Best Science Fiction Film', year: 2000})
      CREATE (matrix)-[:WON {ceremony: 'Academy Awards'}]->(oscar)
      CREATE (matrix)-[:WON {ceremony: 'Saturn Awards'}]->(saturn)
      CREATE (classic:Tag {name: 'classic'})
      CREATE (scifi:Tag {name: 'sci-fi'})
      CREATE (classic2:Tag {name: 'classic'})
      CREATE (matrix)-[:TAGGED]->(classic)
      CREATE (cloud)-[:TAGGED]->(scifi)
      CREATE (reloaded)-[:TAGGED]->(classic2)
      WITH 1 AS done
      CREATE (c1:Customer {id: 1, name: 'Ada'})
      CREATE (c2:Customer {id: 2, name: 'Grace'})
      CREATE (c3:Customer {id: 16961, name: 'Edsger'})
      CREATE (o1:Order {id: 100, total: 9.5, created_at: 1700000000000})
      CREATE (o2:Order {id: 101, total: 12.0, created_at: 1700000500000})
      CREATE (o3:Order {id: 9007199254740993, total: 1.25})
      CREATE (o4:Order {id: -7, total: 3.0})
      CREATE (c1)-[:PLACED {channel: 'web', items: [1, 2, 3]}]->(o1)
      CREATE (c2)-[:PLACED {channel: 'shop'}]->(o2)
      CREATE (c3)-[:PLACED {channel: 'web', weight: 0.9}]->(o3)
      CREATE (c3)-[:PLACED {channel: 'phone'}]->(o4)`);
  } finally {
    await session.close();
  }
}
