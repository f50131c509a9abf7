import pg from "pg";

/** One statement on its own connection (CREATE/DROP DATABASE cannot run in a pool transaction; tests and tools use it). */
export async function adminQuery(url: string, sql: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
