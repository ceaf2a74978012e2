package dev.engrammigrate.neo4j;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.SettingValueParsers;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.QueryExecutionException;

/**
 * Runs an embedded Neo4j community DBMS with Bolt on 127.0.0.1, for tests, benchmarks and the demo.
 *
 * <pre>
 * java -Xmx2g [JVM flags] -cp 'target/neo4j-launcher.jar:target/lib/*' dev.engrammigrate.neo4j.Launcher \
 *   --home .runs/neo4j --port 7687 --page-cache 1g [--auth --user neo4j --password secret123 | --no-auth]
 * </pre>
 *
 * Prints {@code NEO4J READY bolt://127.0.0.1:<port>} once database "neo4j" is available and the password is
 * set (from --password, or env NEO4J_LAUNCHER_PASSWORD so it stays out of `ps`); shuts down cleanly on
 * SIGTERM/SIGINT and then prints {@code NEO4J STOPPED}. Heap is sized by the JVM's -Xmx. Passwords need
 * at least 8 characters (Neo4j's default minimum).
 */
public final class Launcher {
  private Launcher() {}

  public static void main(String[] argv) {
    try {
      run(parseArgs(argv));
    } catch (Throwable e) {
      // Embedded Neo4j keeps non-daemon threads alive: exit explicitly so a failed start never looks alive.
      System.err.println("NEO4J FAILED " + e);
      e.printStackTrace();
      System.exit(1);
    }
  }

  private static void run(Map<String, String> args) throws InterruptedException {
    Path home = Path.of(args.getOrDefault("home", ".runs/neo4j")).toAbsolutePath();
    int port = Integer.parseInt(args.getOrDefault("port", "7687"));
    boolean auth = Boolean.parseBoolean(args.getOrDefault("auth", "false"));
    long pageCache = SettingValueParsers.BYTES.parse(args.getOrDefault("page-cache", "512m"));

    long started = System.nanoTime();
    DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
        .setConfig(GraphDatabaseSettings.auth_enabled, auth)
        .setConfig(GraphDatabaseSettings.pagecache_memory, pageCache)
        // Tests and benchmarks never replay old transactions: keep only the newest log file on disk.
        .setConfig(GraphDatabaseSettings.keep_logical_logs, "false")
        .setConfig(BoltConnector.enabled, true)
        .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
        .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
        // Stock Bolt waits 5 s + 5 s for idle pools on shutdown; a test server has nothing worth waiting for.
        .setConfig(BoltConnectorInternalSettings.enable_local_connector, false)
        .setConfig(BoltConnectorInternalSettings.thread_pool_shutdown_wait_time, Duration.ofMillis(500))
        .setConfig(BoltConnectorInternalSettings.connection_shutdown_wait_time, Duration.ofMillis(500))
        .build();

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      dbms.shutdown();
      System.out.println("NEO4J STOPPED");
      System.out.flush();
      stopped.countDown();
    }, "neo4j-shutdown"));

    GraphDatabaseService db = dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (!db.isAvailable(1_000)) {
      if (System.nanoTime() > deadline) {
        System.err.println("NEO4J FAILED database neo4j not available after 5 minutes");
        System.exit(1);
      }
    }
    if (auth) {
      String password = args.getOrDefault("password", System.getenv("NEO4J_LAUNCHER_PASSWORD"));
      setPassword(dbms, args.getOrDefault("user", "neo4j"), password);
    }
    long ms = Duration.ofNanos(System.nanoTime() - started).toMillis();
    System.out.println("NEO4J READY bolt://127.0.0.1:" + port + " in " + ms + " ms (home " + home + ")");
    System.out.flush();
    stopped.await();
  }

  /** Sets the user's password (creating the user if needed) so clients never meet "credentials expired". */
  private static void setPassword(DatabaseManagementService dbms, String user, String password) {
    if (password == null || password.isEmpty()) {
      return; // keep neo4j/neo4j with a forced change, as a stock server does
    }
    GraphDatabaseService system = dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
    String quoted = "`" + user.replace("`", "``") + "`";
    String query = user.equals("neo4j")
        ? "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED"
        : "CREATE OR REPLACE USER " + quoted + " SET PASSWORD $password CHANGE NOT REQUIRED";
    try {
      system.executeTransactionally(query, Map.of("password", password));
    } catch (QueryExecutionException e) {
      // A restart with the password already in place: Neo4j refuses to "change" it to itself.
      if (!String.valueOf(e.getMessage()).contains("cannot be the same")) {
        throw e;
      }
    }
  }

  /** {@code --key value} pairs; {@code --auth} / {@code --no-auth} are flags. */
  private static Map<String, String> parseArgs(String[] argv) {
    Map<String, String> out = new HashMap<>();
    for (int i = 0; i < argv.length; i++) {
      String a = argv[i];
      if (a.equals("--auth") || a.equals("--no-auth")) {
        out.put("auth", String.valueOf(a.equals("--auth")));
      } else if (a.startsWith("--") && i + 1 < argv.length) {
        out.put(a.substring(2), argv[++i]);
      } else {
        throw new IllegalArgumentException("unexpected argument: " + a
            + " (known: --home, --port, --page-cache, --auth, --no-auth, --user, --password)");
      }
    }
    return out;
  }
}
